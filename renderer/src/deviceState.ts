/**
 * The UI's live copy of the device: status, pending approvals, login step and standing rules, kept current
 * from the device API's events (one subscription for the whole app).
 */
import { useEffect, useState } from 'react';
import type {
  ApprovalHold,
  ApprovalView,
  ClientView,
  ConsentRequestView,
  DeviceApi,
  DeviceStatus,
  LoginStep,
  PairingStep,
  RuleView,
} from '../../bridge/protocol/index.js';

/** What the screens read. `auditSeq` is the newest audit entry seen (the audit view refreshes on it). */
export interface DeviceState {
  status: DeviceStatus | null;
  approvals: ApprovalView[];
  /** Approvals inside their undo window, oldest first. */
  held: ApprovalHold[];
  login: LoginStep;
  /** New AI apps waiting for the person's answer, oldest first. */
  consents: ConsentRequestView[];
  /** AI apps allowed on this device. */
  clients: ClientView[];
  /** Device pairing with a relay (the connection screen). */
  pairing: PairingStep;
  rules: RuleView[];
  auditSeq: number;
  /** A sentence when the device could not be reached. */
  error: string | null;
}

const INITIAL: DeviceState = {
  status: null,
  approvals: [],
  held: [],
  login: { step: 'idle' },
  pairing: { step: 'idle' },
  consents: [],
  clients: [],
  rules: [],
  auditSeq: 0,
  error: null,
};

/** Subscribes to the device and loads the current state; re-renders on every event. */
export function useDeviceState(api: DeviceApi): DeviceState {
  const [state, setState] = useState<DeviceState>(INITIAL);
  useEffect(() => {
    let live = true;
    // Settled while the first list was in flight: the list must not bring them back.
    const settled = new Set<string>();
    const off = api.subscribe((event) => {
      setState((s) => {
        switch (event.type) {
          case 'status':
            return { ...s, status: event.status, error: null };
          case 'approval.added':
            return s.approvals.some((a) => a.callId === event.view.callId)
              ? s
              : { ...s, approvals: [...s.approvals, event.view] };
          case 'approval.decided':
          case 'approval.expired':
            settled.add(event.callId);
            return {
              ...s,
              approvals: s.approvals.filter((a) => a.callId !== event.callId),
              held: s.held.filter((h) => h.callId !== event.callId),
            };
          case 'approval.held':
            return {
              ...s,
              approvals: s.approvals.filter((a) => a.callId !== event.hold.callId),
              held: [...s.held.filter((h) => h.callId !== event.hold.callId), event.hold],
            };
          case 'login.step':
            return { ...s, login: event.step };
          case 'pairing.step':
            return { ...s, pairing: event.step };
          case 'consent.added':
            return s.consents.some((c) => c.id === event.request.id)
              ? s
              : { ...s, consents: [...s.consents, event.request] };
          case 'consent.settled':
            settled.add(event.id);
            return { ...s, consents: s.consents.filter((c) => c.id !== event.id) };
          case 'clients.changed':
            return { ...s, clients: event.clients };
          case 'rules.changed':
            return { ...s, rules: event.rules };
          case 'audit.appended':
            return { ...s, auditSeq: Math.max(s.auditSeq, event.row.seq) };
        }
      });
    });
    Promise.all([
      api.call('status.get', {}),
      api.call('approvals.list', {}),
      api.call('login.state', {}),
      api.call('rules.list', {}),
      api.call('approvals.held', {}),
      api.call('link.pairState', {}),
      api.call('consent.list', {}),
      api.call('clients.list', {}),
    ]).then(
      ([status, approvals, login, rules, held, pairing, consents, clients]) => {
        if (!live) return;
        setState((s) => ({
          ...s,
          status,
          // Events may have arrived meanwhile: keep those, add what the list knows.
          approvals: [
            ...approvals.filter((a) => !settled.has(a.callId) && !s.approvals.some((b) => b.callId === a.callId)),
            ...s.approvals,
          ],
          held: [...held.filter((h) => !settled.has(h.callId) && !s.held.some((x) => x.callId === h.callId)), ...s.held],
          login: s.login.step === 'idle' ? login : s.login,
          pairing: s.pairing.step === 'idle' && !s.pairing.suggestedRelayUrl ? pairing : s.pairing,
          consents: [...consents.filter((c) => !settled.has(c.id) && !s.consents.some((x) => x.id === c.id)), ...s.consents],
          clients,
          rules,
          error: null,
        }));
      },
      (err: unknown) => {
        if (live) setState((s) => ({ ...s, error: `Cannot reach the bridge: ${(err as Error).message}` }));
      },
    );
    return () => {
      live = false;
      off();
    };
  }, [api]);
  return state;
}

/** Re-renders every `ms` (countdowns). */
export function useNow(ms = 1_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

/** "1 min 05 s" / "42 s" for a duration in ms (never negative). */
export function formatLeft(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  if (s < 60) return `${s} s`;
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}
