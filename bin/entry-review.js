#!/usr/bin/env node
// `entry-review` command: runs the bundled command line (dist/cli.js, made by `npm run build`).
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const cli = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write('entry-review: dist/cli.js is missing; run `npm run build` first\n');
  process.exit(2);
}
require(cli);
