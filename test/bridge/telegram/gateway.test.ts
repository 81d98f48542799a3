/**
 * The gramjs gateway on a cold start: the first call after the bridge starts may name a peer by numeric id
 * (`channel:<id>` from an earlier conversation) before any dialogs were listed; gramjs knows no access hash
 * yet, so the gateway fills its cache once and resolves it. Unknown ids are a clear `peer_not_found`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GramjsGateway } from '../../../bridge/telegram/gateway.js';
import { type Sandbox, startSandbox } from '../../../sandbox/index.js';
import { sandboxGateway } from '../../helpers/sandboxGateway.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.stop();
});

function coldGateway(): GramjsGateway {
  return sandboxGateway(sandbox);
}

describe('gateway peer resolution on a cold start', () => {
  it.each(['user', 'chat', 'channel'] as const)('resolves a %s id before any dialogs were listed', async (kind) => {
    const id =
      kind === 'user'
        ? sandbox.control.users()[2]!.id
        : kind === 'chat'
          ? sandbox.control.chats()[0]!.id
          : sandbox.control.channels()[0]!.id;
    const g = coldGateway();
    try {
      expect(await g.resolvePeer({ kind, id: String(id) })).toMatchObject({ ref: `${kind}:${id}` });
    } finally {
      await g.close();
    }
  });

  it('an id nobody has is peer_not_found with a hint', async () => {
    const g = coldGateway();
    try {
      await expect(g.resolvePeer({ kind: 'channel', id: '424242' })).rejects.toMatchObject({
        code: 'peer_not_found',
        message: expect.stringMatching(/call list_dialogs/),
      });
    } finally {
      await g.close();
    }
  });
});
