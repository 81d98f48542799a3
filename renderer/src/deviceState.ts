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
  DeviceEvent,
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

/**
 * Subscribes to the device and loads the current state each time the event stream is live (first connect and
 * every reconnect, so nothing missed while it connected or was down stays missing); re-renders on every event.
 * Events that arrive while a snapshot is in flight are newer than it: they are replayed on top of it.
 */
export function useDeviceState(api: DeviceApi): DeviceState {
  const [state, setState] = useState<DeviceState>(INITIAL);
  useEffect(() => {
    let live = true;
    let loads = 0;
    /** Events since the newest snapshot was asked for; null once it has been applied. */
    let since: DeviceEvent[] | null = null;
    const onEvent = (event: DeviceEvent) => {
      since?.push(event);
      setState((s) => applyEvent(s, event));
    };
    const load = () => {
      const epoch = ++loads;
      const newer: DeviceEvent[] = [];
      since = newer;
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
          if (!live || epoch !== loads) return;
          since = null;
          setState((s) =>
            newer.reduce(applyEvent, { ...s, status, approvals, held, login, pairing, consents, clients, rules, error: null }),
          );
        },
        (err: unknown) => {
          if (live && epoch === loads) setState((s) => ({ ...s, error: `Cannot reach the bridge: ${(err as Error).message}` }));
        },
      );
    };
    const off = api.subscribe(onEvent, load);
    return () => {
      live = false;
      off();
    };
  }, [api]);
  return state;
}

/** One event applied to the state. */
function applyEvent(s: DeviceState, event: DeviceEvent): DeviceState {
  switch (event.type) {
    case 'status':
      return { ...s, status: event.status, error: null };
    case 'approval.added':
      return s.approvals.some((a) => a.callId === event.view.callId) ? s : { ...s, approvals: [...s.approvals, event.view] };
    case 'approval.decided':
    case 'approval.expired':
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
      return s.consents.some((c) => c.id === event.request.id) ? s : { ...s, consents: [...s.consents, event.request] };
    case 'consent.settled':
      return { ...s, consents: s.consents.filter((c) => c.id !== event.id) };
    case 'clients.changed':
      return { ...s, clients: event.clients };
    case 'rules.changed':
      return { ...s, rules: event.rules };
    case 'audit.appended':
      return { ...s, auditSeq: Math.max(s.auditSeq, event.row.seq) };
    default:
      return s;
  }
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
