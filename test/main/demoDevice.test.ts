/**
 * `npm start -- --demo` without Electron: the embedded sandbox, relay, bridge host and scripted AI the app
 * wires its popups to. The AI's first write arrives as a pending approval a person can answer.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PendingApproval } from '../../bridge/policy/approvals.js';
import { startDemoDevice } from '../../main/demoDevice.js';

describe('the --demo device', () => {
  it('starts connected and the scripted AI asks to send a message, which waits for the person', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tg-demo-device-'));
    const demo = await startDemoDevice(dir);
    try {
      await demo.host.waitConnected();
      expect(demo.account.name).toBeTruthy();
      const pending = await new Promise<PendingApproval>((resolve) => demo.host.approvals.on('added', resolve));
      expect(pending.tool).toBe('send_message');
      expect(pending.view.effect).toMatch(/^Send a message to ‹.+›$/);
      expect(pending.text).toBe('Hi! Running a bit late, see you at 7.');
      expect(demo.host.approvals.deny(pending.callId, 'not now')).toBe(true);
    } finally {
      await demo.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
