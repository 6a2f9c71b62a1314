// Entry point of the bundled language server (dist/server.js): stdio or IPC, chosen from argv.
import { startServer } from './server';

startServer();
