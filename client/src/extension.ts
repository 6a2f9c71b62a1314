// The extension client: starts the bundled language server and wires editor commands.
// Everything language-aware lives in the server (server/src); this file only connects.
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  TransportKind,
} from 'vscode-languageclient/node';
import { SimulationView, type SimulateArgs } from './simulation';
import { AnalysisStatus } from './status';
import type { ViewState } from './webview/protocol';

export const LANGUAGE_ID = 'x86-entry-asm';

let client: LanguageClient | undefined;

export interface EntryReviewApi {
  /** The running language client (tests use it to wait for the server). */
  readonly client: LanguageClient;
  /** The simulation view's state as its page last reported it. */
  simulationState(): ViewState | undefined;
}

export async function activate(context: vscode.ExtensionContext): Promise<EntryReviewApi> {
  const serverModule = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: LANGUAGE_ID },
      { scheme: 'untitled', language: LANGUAGE_ID },
      { scheme: 'vscode-remote', language: LANGUAGE_ID },
    ],
    // In an untrusted workspace the server runs restricted: no project file (it names code to
    // trust: contracts), no include paths outside the workspace.
    initializationOptions: { trusted: vscode.workspace.isTrusted },
    synchronize: {
      configurationSection: 'entryReview',
      fileEvents: vscode.workspace.createFileSystemWatcher('**/{*.h,*.S,*.s,*.inc,.config,.entry-review.json}'),
    },
  };
  client = new LanguageClient('entryReview', 'Entry Review', serverOptions, clientOptions);
  // the analysis state and time of the active file, in the status bar (a click opens the log)
  const status = new AnalysisStatus();
  context.subscriptions.push(status);
  status.attach(client);
  await client.start();
  // the built-in files a definition can lead to (the prelude, header stand-ins): read-only documents
  // whose text the server gives (`entry-review:/prelude.S`)
  const lsp = client;
  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider('entry-review', {
      provideTextDocumentContent: async (uri) => (await lsp.sendRequest<string | null>('entryReview/builtinText', { uri: uri.toString() })) ?? '',
    }),
  );
  context.subscriptions.push(
    // a finding's code action: the `entry-review simulate … --set …` line that replays its witness
    vscode.commands.registerCommand('entryReview.copyReplayCommand', async (line?: string) => {
      if (typeof line !== 'string') return undefined;
      try {
        await vscode.env.clipboard.writeText(line);
        void vscode.window.showInformationMessage('Entry Review: replay command copied');
      } catch {
        void vscode.window.showInformationMessage(line);
      }
      return line;
    }),
    vscode.commands.registerCommand('entryReview.showLog', () => client?.outputChannel.show(true)),
  );
  // The simulation view: the server's entryReview/simulate answers, shown and stepped through in a webview.
  const simulation = new SimulationView(context, () => client);
  context.subscriptions.push(
    vscode.commands.registerCommand('entryReview.simulateReturnPath', (args?: SimulateArgs) => simulation.simulateReturnPath(args)),
    vscode.commands.registerCommand('entryReview.simulateWithRegisters', (args?: SimulateArgs & { text?: string }) => simulation.simulateWithRegisters(args)),
    vscode.commands.registerCommand('entryReview.simulationNextStep', () => simulation.step(1)),
    vscode.commands.registerCommand('entryReview.simulationPreviousStep', () => simulation.step(-1)),
    // test-only: the page's state, and a key press as the page handles it
    vscode.commands.registerCommand('entryReview._simulationState', () => simulation.current()),
    vscode.commands.registerCommand('entryReview._simulationKey', (key: string) => simulation.key(key)),
    vscode.commands.registerCommand('entryReview._statusBar', () => status.shown()),
  );
  // granting trust lifts the restrictions: restart the server with them lifted
  context.subscriptions.push(
    vscode.workspace.onDidGrantWorkspaceTrust(async () => {
      if (!client) return;
      clientOptions.initializationOptions = { trusted: true };
      await client.stop();
      client = new LanguageClient('entryReview', 'Entry Review', serverOptions, clientOptions);
      status.attach(client);
      await client.start();
    }),
  );
  context.subscriptions.push({ dispose: () => void client?.stop() });
  return {
    get client() {
      return client as LanguageClient;
    },
    simulationState: () => simulation.current(),
  };
}

export async function deactivate(): Promise<void> {
  if (client) await client.stop();
  client = undefined;
}
