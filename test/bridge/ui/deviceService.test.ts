/**
 * The device side of the DeviceApi against a real bridge host, relay and MTProto sandbox: login errors in
 * plain words (expired code, flood wait), Connect / Disconnect and the tray states, approvals that cannot be
 * edited or made into a rule, the audit page filter and export, settings.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridgeHost } from '../../../bridge/host/bridgeHost.js';
import type { DeviceEvent, LoginStep } from '../../../bridge/protocol/index.js';
import { DeviceService, loginSentence, memorySettings } from '../../../bridge/ui/deviceService.js';
import { type Relay, startRelay } from '../../../relay/index.js';
import { type Sandbox, startSandbox } from '../../../sandbox/index.js';
import { sandboxGateway } from '../../helpers/sandboxGateway.js';
import { sandboxLogin } from '../../helpers/uiHarness.js';
import { personApproves } from '../../helpers/clientConsent.js';
import { until } from '../../helpers/until.js';

function loginService(sandbox: Sandbox): { service: DeviceService; steps: LoginStep[] } {
  const steps: LoginStep[] = [];
  const service = new DeviceService({
    settings: memorySettings(),
    login: sandboxLogin(sandbox),
  });
  service.subscribe((e) => e.type === 'login.step' && steps.push(e.step));
  return { service, steps };
}


describe('login through the device API', () => {
  it('an expired code ends the login with a sentence that says to start again', async () => {
    const sandbox = await startSandbox({ loginCodeTtlMs: 1 });
    const { service, steps } = loginService(sandbox);
    try {
      await service.call('login.start', { method: 'phone' });
      await until(() => steps.find((s) => s.step === 'phone'), 'phone step');
      const phone = sandbox.control.account().phone;
      expect(await service.call('login.answer', { step: 'phone', value: `+${phone}` })).toEqual({ ok: true });
      await until(() => steps.find((s) => s.step === 'code'), 'code step');
      await new Promise((r) => setTimeout(r, 20));
      await service.call('login.answer', { step: 'code', value: sandbox.control.lastLoginCode(phone)! });
      const failed = await until(() => steps.find((s) => s.step === 'failed'), 'failed step');
      expect(failed).toEqual({ step: 'failed', error: 'The login code expired; start the login again to get a new one.' });
      expect(service.status().state).toBe('needs_login');
    } finally {
      service.close();
      await sandbox.stop();
    }
  });

  it('a flood wait is reported in seconds, and an answer for the wrong step is refused', async () => {
    const sandbox = await startSandbox();
    const { service, steps } = loginService(sandbox);
    try {
      sandbox.control.failNext('auth.sendCode', 'FLOOD_WAIT_42');
      await service.call('login.start', { method: 'phone' });
      await until(() => steps.find((s) => s.step === 'phone'), 'phone step');
      expect(await service.call('login.answer', { step: 'code', value: '12345' })).toEqual({
        ok: false,
        error: 'the login is not waiting for a code now',
      });
      await service.call('login.answer', { step: 'phone', value: `+${sandbox.control.account().phone}` });
      const failed = await until(() => steps.find((s) => s.step === 'failed'), 'failed step');
      expect(failed).toEqual({
        step: 'failed',
        error: 'Telegram asks you to wait 42 seconds before trying again (too many login attempts).',
      });
    } finally {
      service.close();
      await sandbox.stop();
    }
  });

  it('login errors read as sentences', () => {
    expect(loginSentence('Telegram asks to wait before trying again (FLOOD_WAIT_3600)')).toBe(
      'Telegram asks you to wait 60 minutes before trying again (too many login attempts).',
    );
    expect(loginSentence('that 2FA password is not right; try again')).toBe('That 2FA password is not right; try again.');
    expect(loginSentence('the QR code expired before it was scanned; run `tg-bridge login --qr` again')).toBe(
      'The QR code expired before it was scanned; start the login again.',
    );
  });
});

describe('a running device through the device API', () => {
  let sandbox: Sandbox;
  let relay: Relay;
  let home: string;
  let service: DeviceService;
  const events: DeviceEvent[] = [];
  let stopHost: () => Promise<void>;
  let bridgeToken: string;

  beforeAll(async () => {
    sandbox = await startSandbox();
    bridgeToken = randomBytes(24).toString('base64url');
    relay = await startRelay({ users: [{ id: 'u', mcpToken: randomBytes(24).toString('base64url'), bridgeToken }] });
    home = await mkdtemp(join(tmpdir(), 'tg-devsvc-'));
    const host = await startBridgeHost({
      clientConsent: personApproves(),
      relayUrl: relay.url,
      bridgeToken,
      gateway: sandboxGateway(sandbox),
      auditPath: join(home, 'audit.jsonl'),
      undoMs: 0,
    });
    stopHost = () => host.stop();
    await host.waitConnected();
    service = new DeviceService({ host, account: { name: 'Dana', username: 'dana' }, settings: memorySettings() });
    service.subscribe((e) => events.push(e));
  });
  afterAll(async () => {
    service.close();
    await stopHost();
    await relay.close();
    await sandbox.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('Disconnect pauses (tray: paused), Connect reconnects (tray: connected)', async () => {
    expect(service.status()).toMatchObject({ state: 'connected', account: { state: 'logged_in', name: 'Dana' } });
    expect(await service.call('link.disconnect', {})).toEqual({ ok: true });
    expect(service.status().state).toBe('paused');
    expect(await service.call('link.connect', {})).toEqual({ ok: true });
    await until(() => (service.status().state === 'connected' ? true : undefined), 'reconnected');
    const states = events.flatMap((e) => (e.type === 'status' ? [e.status.state] : []));
    expect(states).toContain('paused');
    expect(states.at(-1)).toBe('connected');
  });

  it('a relay that cannot be reached: offline with the last error and when it retries; back on the good one', async () => {
    expect(await service.call('link.configure', { relayUrl: 'http://127.0.0.1:9', bridgeToken: 'x' })).toEqual({ ok: true });
    const waiting = await until(() => {
      const s = service.status();
      return s.link.state === 'waiting' ? s : undefined;
    }, 'waiting');
    expect(waiting.state).toBe('offline');
    expect(waiting.link.relayUrl).toBe('http://127.0.0.1:9/');
    expect(waiting.link.lastError).toMatch(/refused|ECONNREFUSED|closed/i);
    expect(waiting.link.retryAt).toBeGreaterThan(Date.now() - 1_000);
    expect(await service.call('link.configure', { relayUrl: relay.url, bridgeToken })).toEqual({ ok: true });
    await until(() => (service.status().state === 'connected' ? true : undefined), 'connected again');
    expect(service.status().link.lastError).toBeUndefined();
    expect((await service.call('settings.get', {})).relayUrl).toBe(relay.url);
  });

  it('a bad relay URL is an answer, not a crash, and the link keeps running', async () => {
    const r = await service.call('link.configure', { relayUrl: 'ftp://nope', bridgeToken: 'x' });
    expect(r.ok).toBe(false);
    expect(r.error).toBeTruthy();
    expect(service.status().state).toBe('connected');
  });

  it('approving something that is not pending, undoing nothing, revoking no rule: clear answers', async () => {
    expect(await service.call('approvals.approve', { callId: 'nope' })).toMatchObject({ ok: false, error: /no longer waiting/ });
    expect(await service.call('approvals.deny', { callId: 'nope' })).toMatchObject({ ok: false });
    expect(await service.call('approvals.undo', { callId: 'nope' })).toMatchObject({ ok: false, error: /nothing to undo/ });
    expect(await service.call('rules.revoke', { id: 'nope' })).toMatchObject({ ok: false });
  });

  it('the audit page filters and pages newest first; export hands out the verified chain', async () => {
    await service.host!.engine.call({ callId: 'a1', tool: 'list_dialogs', args: { limit: 3 } });
    await service.host!.engine.call({ callId: 'a2', tool: 'list_dialogs', args: { limit: 3 } });
    const page = await service.call('audit.page', { offset: 0, limit: 2 });
    expect(page.total).toBeGreaterThanOrEqual(4);
    expect(page.rows).toHaveLength(2);
    expect(page.rows[0]!.seq).toBeGreaterThan(page.rows[1]!.seq);
    const none = await service.call('audit.page', { offset: 0, limit: 50, tool: 'send_message' });
    expect(none).toEqual({ rows: [], total: 0 });
    expect(events.some((e) => e.type === 'audit.appended')).toBe(true);
    const verdict = await service.call('audit.verify', {});
    expect(verdict).toMatchObject({ ok: true });
    expect(verdict.summary).toMatch(/^All \d+ entries check out/);
    const exported = await service.call('audit.export', {});
    expect(exported.fileName).toMatch(/^tg-bridge-audit-\d{4}-\d{2}-\d{2}\.jsonl$/);
    expect(exported.jsonl.trim().split('\n')).toHaveLength(page.total);
  });

  it('settings: saved, validated, and an empty media folder turns file paths off', async () => {
    expect(await service.call('settings.set', { mediaDir: '/home/dana/Send' })).toMatchObject({ mediaDir: '/home/dana/Send' });
    const cleared = await service.call('settings.set', { mediaDir: '  ' });
    expect(cleared.mediaDir).toBeUndefined();
    await expect(service.callUntrusted('settings.set', { undoMs: 61_000 })).rejects.toThrow(/undoMs/);
    expect((await service.call('settings.get', {})).undoMs).toBe(5_000);
  });
});
