/**
 * Approval popups (issue 9): one always-on-top window per pending write; Escape denies, closing denies; a
 * decision made elsewhere closes the popup without denying; and whatever happens, a popup never approves.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import type { ApprovalView, DeviceEvent } from '../../bridge/protocol/index.js';
import { ApprovalPopups, CLOSED_REASON, ConsentPopups } from '../../main/approvalPopups.js';
import { FakeBrowserWindow } from './electronMock.js';

function view(callId: string): ApprovalView {
  return {
    callId,
    tool: 'send_message',
    effect: 'Send a message to ‹Alice›',
    peer: { ref: 'user:1', title: 'Alice', id: '1', kind: 'user' },
    text: { shown: 'hi', format: 'plain', editable: true },
    createdAt: 0,
    expiresAt: 120_000,
    undoMs: 0,
    flags: [],
    rule: { allowed: true, scope: 'x', durationMs: 3_600_000 },
  };
}

function setup() {
  FakeBrowserWindow.all = [];
  const call = vi.fn(async () => ({ ok: true }));
  const popups = new ApprovalPopups({
    service: { call } as never,
    createWindow: (callId) => {
      const win = new FakeBrowserWindow({ alwaysOnTop: true });
      void win.loadURL(`file:///app/index.html#/popup/${callId}`);
      return win as never;
    },
  });
  const win = (callId: string) => FakeBrowserWindow.all.find((w) => w.loaded?.endsWith(`/popup/${callId}`))!;
  const escape = (w: FakeBrowserWindow) => {
    const e = { preventDefault: vi.fn() };
    w.webContents.emit('before-input-event', e, { type: 'keyDown', key: 'Escape' });
    return e;
  };
  return { popups, call, win, escape };
}

describe('ApprovalPopups', () => {
  it('opens one always-on-top popup per pending write, shown when ready', () => {
    const { popups, win } = setup();
    popups.onEvent({ type: 'approval.added', view: view('c1') });
    popups.onEvent({ type: 'approval.added', view: view('c1') });
    popups.onEvent({ type: 'approval.added', view: view('c2') });
    expect(FakeBrowserWindow.all).toHaveLength(2);
    expect(win('c1').options.alwaysOnTop).toBe(true);
    expect(win('c1').visible).toBe(false);
    win('c1').emit('ready-to-show');
    expect(win('c1').visible).toBe(true);
  });

  it('Escape denies (with a reason the AI reads) and closes the popup', () => {
    const { popups, call, win, escape } = setup();
    popups.onEvent({ type: 'approval.added', view: view('c1') });
    const e = escape(win('c1'));
    expect(e.preventDefault).toHaveBeenCalled();
    expect(call).toHaveBeenCalledExactlyOnceWith('approvals.deny', { callId: 'c1', reason: CLOSED_REASON });
    expect(win('c1').destroyed).toBe(true);
    expect(popups.openCallIds).toEqual([]);
  });

  it('closing the popup denies', () => {
    const { popups, call, win } = setup();
    popups.onEvent({ type: 'approval.added', view: view('c1') });
    win('c1').close();
    expect(call).toHaveBeenCalledExactlyOnceWith('approvals.deny', { callId: 'c1', reason: CLOSED_REASON });
  });

  it('a decision made elsewhere (UI, terminal, expiry) closes the popup without a deny', () => {
    const { popups, call, win } = setup();
    popups.onEvent({ type: 'approval.added', view: view('c1') });
    popups.onEvent({ type: 'approval.added', view: view('c2') });
    popups.onEvent({ type: 'approval.decided', callId: 'c1', outcome: { status: 'approved', edited: false, decidedBy: 'person' } });
    popups.onEvent({ type: 'approval.expired', callId: 'c2' });
    expect(win('c1').destroyed && win('c2').destroyed).toBe(true);
    expect(call).not.toHaveBeenCalled();
  });

  it('never approves, whatever order events, keys and closes come in', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.constantFrom('add', 'escape', 'other-key', 'close', 'decided', 'expired'), fc.constantFrom('a', 'b', 'c')),
          { maxLength: 30 },
        ),
        (steps) => {
          const { popups, call, win, escape } = setup();
          for (const [step, id] of steps) {
            const w = win(id);
            if (step === 'add') popups.onEvent({ type: 'approval.added', view: view(id) });
            else if (step === 'escape' && w && !w.destroyed) escape(w);
            else if (step === 'other-key' && w) w.webContents.emit('before-input-event', { preventDefault() {} }, { type: 'keyDown', key: 'Enter' });
            else if (step === 'close' && w && !w.destroyed) w.close();
            else if (step === 'decided') popups.onEvent({ type: 'approval.decided', callId: id, outcome: { status: 'denied' } } as DeviceEvent);
            else if (step === 'expired') popups.onEvent({ type: 'approval.expired', callId: id });
          }
          for (const [method] of call.mock.calls as unknown as Array<[string]>) expect(method).toBe('approvals.deny');
          // Each call is denied at most once.
          const denied = (call.mock.calls as unknown as Array<[string, { callId: string }]>).map((c) => c[1].callId);
          expect(new Set(denied).size).toBe(denied.length);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('ConsentPopups', () => {
  const request = (id: string) => ({
    id,
    clientId: `client-${id}`,
    clientName: 'Claude',
    relay: 'https://relay.example',
    askedAt: 0,
    expiresAt: 120_000,
  });
  function consentSetup() {
    FakeBrowserWindow.all = [];
    const call = vi.fn(async () => ({ ok: true }));
    const popups = new ConsentPopups({
      service: { call } as never,
      createWindow: (id) => {
        const win = new FakeBrowserWindow({ alwaysOnTop: true });
        void win.loadURL(`file:///app/index.html#/consent/${id}`);
        return win as never;
      },
    });
    const win = (id: string) => FakeBrowserWindow.all.find((w) => w.loaded?.endsWith(`/consent/${id}`))!;
    return { popups, call, win };
  }

  it('one popup per new AI app; Escape or closing denies it; an answer given elsewhere closes it without a deny', () => {
    const { popups, call, win } = consentSetup();
    popups.onEvent({ type: 'consent.added', request: request('r1') });
    popups.onEvent({ type: 'consent.added', request: request('r2') });
    popups.onEvent({ type: 'consent.added', request: request('r3') });
    expect(FakeBrowserWindow.all).toHaveLength(3);
    win('r1').webContents.emit('before-input-event', { preventDefault: vi.fn() }, { type: 'keyDown', key: 'Escape' });
    win('r2').close();
    popups.onEvent({ type: 'consent.settled', id: 'r3' });
    expect(win('r3').destroyed).toBe(true);
    expect(call.mock.calls).toEqual([
      ['consent.decide', { id: 'r1', approved: false }],
      ['consent.decide', { id: 'r2', approved: false }],
    ]);
    // Approval events never open a consent popup, and the reverse.
    popups.onEvent({ type: 'approval.added', view: view('c9') });
    expect(FakeBrowserWindow.all).toHaveLength(3);
  });
});
