// Entry point of the bundled language server (dist/server.js): stdio or IPC, chosen from argv.
// The server's analysis thread runs this same bundle (analysis-thread.ts): it serves analyses, it
// starts no server.
import { isAnalysisThread } from './analysis-thread';
import { startServer } from './server';

if (!isAnalysisThread()) startServer();
