/**
 * Local MCP without any cloud (issue 5): the same tools over stdio for MCP clients on this computer (Claude
 * Desktop, Cursor, …). Calls go to the running engine through its control socket, so approvals, limits and
 * the audit chain are exactly those of relay calls, and there is still only one Telegram connection.
 */

import type { Readable, Writable } from 'node:stream';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { ControlClient } from '../control/controlSocket.js';
import { createToolServer } from '../protocol/node/mcpTools.js';
import { APP_NAME, APP_VERSION } from '../version.js';

/** Builds the MCP tool server whose calls run in the engine behind `control`. */
export function createLocalToolServer(control: ControlClient): Server {
  return createToolServer({
    name: `${APP_NAME}-local`,
    version: APP_VERSION,
    call: (tool, args, { signal, onProgress, client }) =>
      control.call(tool, args, { signal, onProgress, ...(client ? { client } : {}) }),
  }).server;
}

/**
 * Serves MCP over stdio until the client closes stdin (issue 8 §7). The SDK's stdio transport does not notice
 * the end of its input, so this does: the server is closed, which aborts every call still running — a write
 * waiting for the person is then withdrawn in the engine (a `cancel` frame on the control socket) and never
 * sent later to a client that is gone.
 * @returns a promise that resolves when the MCP client disconnected and its calls were withdrawn.
 */
export async function serveMcpOverStdio(
  control: ControlClient,
  stdio: { input?: Readable; output?: Writable } = {},
): Promise<void> {
  const input = stdio.input ?? process.stdin;
  const server = createLocalToolServer(control);
  const transport = new StdioServerTransport(input, stdio.output);
  const closed = new Promise<void>((resolve) => {
    server.onclose = () => resolve();
  });
  const inputEnded = () => void server.close();
  input.once('end', inputEnded);
  input.once('close', inputEnded);
  try {
    await server.connect(transport);
    if (input.readableEnded || input.destroyed) await server.close();
    await closed;
  } finally {
    input.off('end', inputEnded);
    input.off('close', inputEnded);
  }
}
