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
  });
}

/**
 * Serves MCP over stdio until the client closes stdin.
 * @returns a promise that resolves when the MCP client disconnects.
 */
export async function serveMcpOverStdio(
  control: ControlClient,
  stdio: { input?: Readable; output?: Writable } = {},
): Promise<void> {
  const server = createLocalToolServer(control);
  const transport = new StdioServerTransport(stdio.input, stdio.output);
  const closed = new Promise<void>((resolve) => {
    server.onclose = () => resolve();
  });
  await server.connect(transport);
  await closed;
}
