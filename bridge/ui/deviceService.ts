/**
 * The device side of the {@link DeviceApi} (issue 9): one object that answers every method from the running
 * engine's pieces (approval queue, standing rules, audit chain, relay link, Telegram login) and turns their
 * events into {@link DeviceEvent}s. Both adapters — the headless host's HTTP + WebSocket server and the
 * Electron main process's IPC — sit in front of one of these and validate payloads with the same schemas.
 */
import { readFile } from 'node:fs/promises';
import { type AuditEntry, readAuditEntries, type VerifyResult } from '../audit/auditChain.js';
import type { BridgeHost } from '../host/bridgeHost.js';
import type { LinkStatus } from '../link/relayLink.js';
import type { ApprovalOutcome, HeldApproval, PendingApproval } from '../policy/approvals.js';
import type { StandingRule } from '../policy/standingRules.js';
import {
  type AccountView,
  type ApprovalOutcomeView,
  type AuditRow,
  type ConsentRequestView,
  DEVICE_METHODS,
  type DeviceEvent,
  type DeviceMethod,
  type DeviceParsedParams,
  type DeviceResult,
  type DeviceSettings,
  type DeviceStatus,
  type LinkView,
  type LoginStep,
  type RuleView,
  type TrayState,
} from '../protocol/index.js';
import { visibleText } from '../protocol/visibleText.js';
import { describeEntities, renderText } from '../telegram/formatting.js';
import type { LoginPrompts, LoginResult } from '../telegram/login.js';
import type { ConsentDesk } from './consentDesk.js';
import { RelaySetup, type RelaySetupOptions } from './relaySetup.js';
import { sentence } from '../protocol/sentence.js';

/** Where the person's settings live: the headless host keeps a 0600 JSON file, the app electron-store. */
export interface SettingsStore {
  load(): DeviceSettings;
  save(settings: DeviceSettings): void | Promise<void>;
}

/** Settings a fresh install starts with: 5 s undo window (issue 8), no media folder, not at login. */
export const DEFAULT_SETTINGS: DeviceSettings = { undoMs: 5_000, startAtLogin: false, theme: 'system' };

/** An in-memory {@link SettingsStore} (tests, the demo). */
export function memorySettings(initial: Partial<DeviceSettings> = {}): SettingsStore {
  let current: DeviceSettings = { ...DEFAULT_SETTINGS, ...initial };
  return {
    load: () => ({ ...current }),
    save: (s) => {
      current = { ...s };
    },
  };
}

/** Options of {@link DeviceService}. */
export interface DeviceServiceOptions {
  /** The running device; absent until the person has logged in (then {@link DeviceService.attach}). */
  host?: BridgeHost;
  /** The account the host runs as, for the header. */
  account?: { name: string; username: string | null };
  /** Runs a Telegram login with the given prompts (bound to api id/hash and endpoint by the embedder). */
  login?: (method: 'phone' | 'qr', prompts: LoginPrompts) => Promise<LoginResult>;
  /** Receives a finished login (seal the session, start the host and {@link DeviceService.attach} it). */
  onLoggedIn?: (result: LoginResult) => Promise<void>;
  /** Called when the person changes start-at-login (the app registers with the OS). */
  onStartAtLogin?: (enabled: boolean) => void;
  settings?: SettingsStore;
  /**
   * Where new AI apps wait for the person (give its `prompt` to the host as `clientConsent`); absent = the
   * UI shows no such requests (another prompt answers them, e.g. the terminal).
   */
  consent?: ConsentDesk;
  /** The saved relay set-up and where to keep changes (pairing, token, forget); see {@link RelaySetup}. */
  relay?: RelaySetupOptions;
  /** Current time in ms (default Date.now). */
  now?: () => number;
}

type Handlers = { [M in DeviceMethod]: (params: DeviceParsedParams<M>) => Promise<DeviceResult<M>> };

/**
 * Answers the device API. Methods never throw for a person's mistake: they answer `{ ok: false, error }` with a
 * sentence; they throw only for a call that cannot be served at all (e.g. no engine is running yet).
 */
export class DeviceService {
  #host: BridgeHost | null = null;
  #account: { name: string; username: string | null } | null;
  #paused = false;
  #lastError: string | undefined;
  #retryAt: number | undefined;
  #loginStep: LoginStep = { step: 'idle' };
  #loginAnswer: ((value: string) => void) | null = null;
  #loginAbort: AbortController | null = null;
  readonly #listeners = new Set<(event: DeviceEvent) => void>();
  readonly #detach: Array<() => void> = [];
  readonly #settings: SettingsStore;
  readonly #now: () => number;
  readonly #handlers: Handlers;
  readonly #relay: RelaySetup;
  /** Listeners that live as long as the service (not replaced by {@link attach}). */
  readonly #closers: Array<() => void> = [];

  constructor(private readonly options: DeviceServiceOptions = {}) {
    this.#settings = options.settings ?? memorySettings();
    this.#now = options.now ?? Date.now;
    this.#relay = new RelaySetup({ now: this.#now, ...options.relay }, (step) => {
      this.#emit({ type: 'pairing.step', step });
      if (step.step === 'done') this.#afterRelayChange();
    });
    this.#account = options.account ?? null;
    this.#handlers = this.#makeHandlers();
    if (options.host) this.attach(options.host, options.account);
    const desk = options.consent;
    if (desk) {
      const onAdded = (request: ConsentRequestView) => this.#emit({ type: 'consent.added', request });
      const onSettled = (id: string) => this.#emit({ type: 'consent.settled', id });
      desk.on('added', onAdded).on('settled', onSettled);
      this.#closers.push(() => desk.off('added', onAdded).off('settled', onSettled));
    }
  }

  /** The running device, if any. */
  get host(): BridgeHost | null {
    return this.#host;
  }

  /**
   * Connects a running device: its approvals, rules, audit and link events start flowing to every UI.
   * Replaces a previously attached one (whose listeners are removed).
   */
  attach(host: BridgeHost, account?: { name: string; username: string | null }): void {
    for (const off of this.#detach.splice(0)) off();
    this.#host = host;
    if (account) this.#account = account;
    const onAdded = () => this.#emitStatus();
    const onAddedView = (p: PendingApproval) => this.#emit({ type: 'approval.added', view: p.view });
    const onHeld = (hold: HeldApproval) => {
      this.#emit({ type: 'approval.held', hold });
      this.#emitStatus();
    };
    const onDecided = (callId: string, outcome: ApprovalOutcome) => {
      this.#emit({ type: 'approval.decided', callId, outcome: outcomeView(outcome) });
      this.#emitStatus();
    };
    const onExpired = (callId: string) => this.#emit({ type: 'approval.expired', callId });
    host.approvals
      .on('added', onAddedView)
      .on('added', onAdded)
      .on('held', onHeld)
      .on('decided', onDecided)
      .on('expired', onExpired);
    const onRules = (rules: StandingRule[]) => this.#emit({ type: 'rules.changed', rules: rules.map(ruleView) });
    host.engine.rules.on('changed', onRules);
    const offAudit = host.audit.onAppended((entry) => this.#emit({ type: 'audit.appended', row: auditRow(entry) }));
    const offClients = host.clientScopes.onChanged((clients) => this.#emit({ type: 'clients.changed', clients }));
    this.#detach.push(
      () => host.approvals.off('added', onAddedView).off('added', onAdded).off('decided', onDecided),
      () => host.approvals.off('expired', onExpired).off('held', onHeld),
      () => host.engine.rules.off('changed', onRules),
      offAudit,
      offClients,
    );
    this.#watchLink();
    this.#emitStatus();
  }

  /** Follows the current relay link's status (re-run after the link is replaced). */
  #watchLink(): void {
    const link = this.#host?.link;
    if (!link) return;
    // A replaced link may already have failed before this listener was attached.
    if (link.status.state === 'waiting') {
      this.#lastError = link.status.reason;
      this.#retryAt = this.#now() + link.status.retryInMs;
    }
    const onStatus = (s: LinkStatus) => {
      if (s.state === 'waiting') {
        this.#lastError = s.reason;
        this.#retryAt = this.#now() + s.retryInMs;
      }
      if (s.state === 'connected') this.#retryAt = undefined;
      this.#emitStatus();
    };
    link.on('status', onStatus);
    this.#detach.push(() => link.off('status', onStatus));
  }

  /** Receives every event until the returned function is called. */
  subscribe(listener: (event: DeviceEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Runs a method with already-validated parameters (adapters parse with {@link DEVICE_METHODS} first; see
   * {@link callUntrusted}).
   */
  call<M extends DeviceMethod>(method: M, params: DeviceParsedParams<M>): Promise<DeviceResult<M>> {
    const handler = this.#handlers[method] as (p: DeviceParsedParams<M>) => Promise<DeviceResult<M>>;
    return handler(params);
  }

  /**
   * Validates untrusted parameters against the method's schema, then runs it.
   * @throws DeviceCallError (`bad_request`) naming the bad fields; nothing is run.
   */
  async callUntrusted(method: DeviceMethod, raw: unknown): Promise<unknown> {
    const schema = DEVICE_METHODS[method].params;
    const parsed = schema.safeParse(raw ?? {});
    if (!parsed.success) {
      const why = parsed.error.issues.map((i) => `${i.path.join('.') || '(params)'}: ${i.message}`).join('; ');
      throw new DeviceCallError('bad_request', `${method}: ${why}`);
    }
    return this.call(method, parsed.data as never);
  }

  /** The current status (also pushed as a `status` event on every change). */
  status(): DeviceStatus {
    const account: AccountView = this.#account
      ? { state: 'logged_in', name: this.#account.name, username: this.#account.username }
      : this.#host
        ? { state: 'logged_in', name: 'your Telegram account', username: null }
        : { state: 'needs_login' };
    const link = this.#linkView();
    const pendingCount = this.#host?.approvals.pending().length ?? 0;
    return { state: trayState(account, link, this.#paused), link, account, pendingCount };
  }

  /** A `tgbridge://pair` link's relay, offered on the connection screen (see {@link RelaySetup.suggest}). */
  suggestRelay(relayUrl: string): void {
    this.#relay.suggest(relayUrl);
  }

  /** The relay pairing page the person is asked to open right now, if any. */
  get pairingPage(): string | undefined {
    return this.#relay.pairingPage;
  }

  /** Cancels a login in progress and stops emitting. Does not stop the host (its owner does). */
  close(): void {
    this.#loginAbort?.abort();
    this.#relay.close();
    for (const off of this.#closers.splice(0)) off();
    for (const off of this.#detach.splice(0)) off();
    this.#listeners.clear();
  }

  #linkView(): LinkView {
    const host = this.#host;
    const link = host?.link;
    if (!host || !link) return { state: 'unconfigured' };
    const s = link.status;
    const pairedAs = this.#relay.pairedAs;
    const base = {
      ...(host.relayUrl ? { relayUrl: redactRelayUrl(host.relayUrl) } : {}),
      ...(this.#lastError ? { lastError: this.#lastError } : {}),
      ...(pairedAs ? { pairedAs } : {}),
    };
    switch (s.state) {
      case 'connected':
        return { state: 'connected', since: s.since, ...base };
      case 'connecting':
        return { state: 'connecting', attempt: s.attempt, ...base };
      case 'waiting':
        return {
          state: 'waiting',
          attempt: s.attempt,
          retryInMs: s.retryInMs,
          ...(this.#retryAt ? { retryAt: this.#retryAt } : {}),
          ...base,
        };
      default:
        return { state: 'stopped', ...base };
    }
  }

  #emit(event: DeviceEvent): void {
    for (const listener of [...this.#listeners]) listener(event);
  }

  #emitStatus(): void {
    this.#emit({ type: 'status', status: this.status() });
  }

  #setLoginStep(step: LoginStep): void {
    this.#loginStep = step;
    this.#emit({ type: 'login.step', step });
  }

  #requireHost(): BridgeHost {
    if (!this.#host) throw new DeviceCallError('unavailable', 'the bridge is not running yet: log in first');
    return this.#host;
  }

  #makeHandlers(): Handlers {
    return {
      'status.get': async () => this.status(),
      'approvals.list': async () => (this.#host?.approvals.pending() ?? []).map((p) => p.view),
      'approvals.held': async () => this.#host?.approvals.holds() ?? [],
      'approvals.approve': async ({ callId, text, always }) => {
        const host = this.#requireHost();
        const queue = host.approvals;
        const pending = queue.pending().find((p) => p.callId === callId);
        if (!pending) return { ok: false, error: 'this request is no longer waiting (decided, expired or withdrawn)' };
        if (text !== undefined && !pending.editable) {
          return { ok: false, error: 'this request cannot be edited; approve or deny it as it is' };
        }
        const format = pending.view.text?.format ?? 'plain';
        if (text !== undefined && format !== 'plain' && previewEdit(text, format).empty) {
          return { ok: false, error: `read as ${format === 'html' ? 'HTML' : 'Markdown'}, the edited text shows nothing in Telegram` };
        }
        const offer = pending.view.rule;
        if (always && (!offer.allowed || !pending.rule)) {
          return { ok: false, error: `no standing rule can be made for this request: ${offer.allowed ? 'none offered' : offer.why}` };
        }
        const ok = queue.approve(callId, { by: 'person', ...(text === undefined ? {} : { text }) });
        if (!ok) return { ok, error: 'the edited text cannot be sent: it is empty or longer than 4096 characters' };
        if (always && offer.allowed && pending.rule) {
          host.engine.rules.add({
            ...pending.rule,
            peerTitle: pending.view.peer.title,
            durationMs: offer.durationMs,
            scope: offer.scope,
          });
        }
        return { ok };
      },
      'approvals.undo': async ({ callId }) => {
        const ok = this.#requireHost().approvals.undo(callId);
        return ok ? { ok } : { ok, error: 'nothing to undo: the undo window has passed or this was not approved' };
      },
      'approvals.previewEdit': async ({ callId, text }) => {
        const pending = this.#requireHost().approvals.pending().find((p) => p.callId === callId);
        if (!pending) throw new DeviceCallError('conflict', 'this request is no longer waiting (decided, expired or withdrawn)');
        return previewEdit(text, pending.view.text?.format ?? 'plain');
      },
      'approvals.deny': async ({ callId, reason }) => {
        const ok = this.#requireHost().approvals.deny(callId, reason);
        return ok ? { ok } : { ok, error: 'this request is no longer waiting (decided, expired or withdrawn)' };
      },
      'link.connect': async () => {
        const link = this.#requireHost().link;
        if (!link) return { ok: false, error: 'no relay is configured: enter the relay URL and bridge token first' };
        this.#paused = false;
        link.start();
        this.#emitStatus();
        return { ok: true };
      },
      'link.disconnect': async () => {
        const link = this.#requireHost().link;
        if (!link) return { ok: false, error: 'no relay is configured' };
        this.#paused = true;
        await link.stop();
        this.#emitStatus();
        return { ok: true };
      },
      'link.configure': async ({ relayUrl, bridgeToken }) => {
        const result = await this.#relay.useToken(this.#host, relayUrl, bridgeToken);
        if (!result.ok) return result;
        this.#afterRelayChange();
        await this.#saveSettings({ ...this.#settings.load(), relayUrl: shownRelayUrl(relayUrl) });
        return result;
      },
      'link.pair': async ({ relayUrl }) => this.#relay.pair(() => this.#host, relayUrl),
      'link.pairCancel': async () => {
        this.#relay.cancel();
        return { ok: true };
      },
      'link.pairState': async () => this.#relay.step,
      'link.forget': async () => {
        const result = await this.#relay.forget(this.#host);
        if (result.ok) {
          const { relayUrl: _forgotten, ...rest } = this.#settings.load();
          await this.#saveSettings(rest);
          this.#paused = false; // nothing left to pause: the status is "no relay set up", not "paused"
          this.#lastError = undefined;
          this.#retryAt = undefined;
          this.#emitStatus();
        }
        return result;
      },
      'consent.list': async () => this.options.consent?.pending() ?? [],
      'consent.decide': async (params) => {
        const desk = this.options.consent;
        const ok = desk ? desk.decide(params.id, params.approved ? params.scope : null) : false;
        return ok ? { ok } : { ok, error: 'this AI app is no longer waiting for an answer (answered or timed out)' };
      },
      // A ClientApproval is already the ClientView shape (the clients.changed event sends the same list).
      'clients.list': async () => this.#host?.clientScopes.list() ?? [],
      'clients.revoke': async ({ clientId }) => {
        const ok = await this.#requireHost().clientScopes.revoke(clientId);
        return ok ? { ok } : { ok, error: 'that AI app is not allowed on this computer (already revoked?)' };
      },
      'chats.list': async ({ query, limit }) => {
        const dialogs = await this.#requireHost().gateway.listDialogs({ limit, ...(query ? { query } : {}) });
        return dialogs.map((d) => ({ peer: d.peer.ref, title: d.peer.title, type: d.type }));
      },
      'login.start': async ({ method }) => this.#startLogin(method),
      'login.answer': async ({ step, value }) => {
        if (this.#loginStep.step !== step || !this.#loginAnswer) {
          return { ok: false, error: `the login is not waiting for a ${step} now` };
        }
        const answer = this.#loginAnswer;
        this.#loginAnswer = null;
        this.#setLoginStep({ step: 'working' });
        answer(value.trim());
        return { ok: true };
      },
      'login.cancel': async () => {
        this.#loginAbort?.abort();
        this.#setLoginStep({ step: 'idle' });
        return { ok: true };
      },
      'login.state': async () => this.#loginStep,
      'audit.page': async ({ offset, limit, tool, status }) => {
        const entries = await readAuditEntries(this.#requireHost().audit.path);
        const matching = entries
          .filter((e) => (tool ? e.tool === tool : true) && (status ? e.status === status : true))
          .reverse();
        return { rows: matching.slice(offset, offset + limit).map(auditRow), total: matching.length };
      },
      'audit.verify': async () => {
        const result = await this.#requireHost().audit.verify();
        return { ok: result.ok, verified: result.verified, summary: plainVerify(result) };
      },
      'audit.export': async () => {
        const audit = this.#requireHost().audit;
        const verdict = await audit.verify();
        if (!verdict.ok) throw new DeviceCallError('conflict', `not exporting: ${plainVerify(verdict)}`);
        const bytes = await readFile(audit.path, 'utf8');
        const jsonl = bytes.slice(0, bytes.lastIndexOf('\n') + 1);
        return { fileName: `tg-bridge-audit-${new Date(this.#now()).toISOString().slice(0, 10)}.jsonl`, jsonl };
      },
      'rules.list': async () => (this.#host?.engine.rules.list() ?? []).map(ruleView),
      'rules.revoke': async ({ id }) => {
        const ok = this.#requireHost().engine.rules.revoke(id);
        return ok ? { ok } : { ok, error: 'that rule has already ended or was revoked' };
      },
      'settings.get': async () => this.#settings.load(),
      'settings.set': async (patch) => {
        const before = this.#settings.load();
        const next = { ...before, ...stripUndefined(patch) };
        // An empty media folder turns sending files from disk off.
        if (next.mediaDir !== undefined && next.mediaDir.trim() === '') delete next.mediaDir;
        await this.#saveSettings(next);
        if (next.startAtLogin !== before.startAtLogin) this.options.onStartAtLogin?.(next.startAtLogin);
        return next;
      },
    };
  }

  /** A new relay link is running: forget the old link's error and countdown, follow the new one. */
  #afterRelayChange(): void {
    this.#paused = false;
    this.#lastError = undefined;
    this.#retryAt = undefined;
    if (this.#host?.link) this.#watchLink();
    this.#emitStatus();
  }

  async #saveSettings(next: DeviceSettings): Promise<void> {
    await this.#settings.save(next);
  }

  /** Starts the login flow in the background; its steps arrive as `login.step` events. */
  async #startLogin(method: 'phone' | 'qr'): Promise<LoginStep> {
    const run = this.options.login;
    if (!run) throw new DeviceCallError('unavailable', 'this bridge cannot log in from the UI');
    if (this.#loginAbort && !this.#loginAbort.signal.aborted && !['done', 'failed', 'idle'].includes(this.#loginStep.step)) {
      return this.#loginStep;
    }
    const abort = new AbortController();
    this.#loginAbort = abort;
    let lastError: string | undefined;
    const ask = (step: LoginStep): Promise<string> =>
      new Promise((resolve, reject) => {
        if (abort.signal.aborted) return reject(new Error('login cancelled'));
        abort.signal.addEventListener('abort', () => reject(new Error('login cancelled')), { once: true });
        this.#loginAnswer = resolve;
        this.#setLoginStep(step);
      });
    const withError = <T extends object>(s: T): T & { error?: string } => {
      const e = lastError;
      lastError = undefined;
      return e ? { ...s, error: e } : s;
    };
    const prompts: LoginPrompts = {
      phone: () => ask(withError({ step: 'phone' as const })),
      code: (viaApp) => ask(withError({ step: 'code' as const, viaApp })),
      password: (hint) => ask(withError({ step: 'password' as const, ...(hint ? { hint } : {}) })),
      showQr: async (url, expiresAt) => {
        if (!abort.signal.aborted) this.#setLoginStep({ step: 'qr', url, expiresAt });
      },
      error: (message) => {
        lastError = loginSentence(message);
      },
    };
    this.#setLoginStep({ step: 'working' });
    void run(method, prompts).then(
      async (result) => {
        if (abort.signal.aborted) return;
        this.#account = { name: result.user.name, username: result.user.username };
        try {
          await this.options.onLoggedIn?.(result);
          this.#setLoginStep({ step: 'done', name: result.user.name, username: result.user.username });
        } catch (err) {
          this.#setLoginStep({ step: 'failed', error: loginSentence((err as Error).message) });
        }
        this.#emitStatus();
      },
      (err: unknown) => {
        this.#loginAnswer = null;
        if (abort.signal.aborted) return;
        this.#setLoginStep({ step: 'failed', error: loginSentence((err as Error).message) });
      },
    );
    return this.#loginStep;
  }
}

/** A device API call that could not be served; `code` maps to an HTTP status in the web adapter. */
export class DeviceCallError extends Error {
  constructor(
    readonly code: 'bad_request' | 'unavailable' | 'conflict',
    message: string,
  ) {
    super(message);
    this.name = 'DeviceCallError';
  }
}

function trayState(account: AccountView, link: LinkView, paused: boolean): TrayState {
  if (account.state === 'needs_login') return 'needs_login';
  if (paused) return 'paused';
  if (link.state === 'connected') return 'connected';
  if (link.state === 'connecting') return 'connecting';
  return 'offline';
}

function outcomeView(o: ApprovalOutcome): ApprovalOutcomeView {
  switch (o.status) {
    case 'undone':
      return { status: 'undone' };
    case 'approved':
      return { status: 'approved', edited: o.edited, decidedBy: o.decidedBy };
    case 'denied':
      return o.reason ? { status: 'denied', reason: o.reason } : { status: 'denied' };
    case 'expired':
      return { status: 'expired' };
    default:
      return { status: 'cancelled', reason: o.reason };
  }
}

function ruleView(r: StandingRule): RuleView {
  return {
    id: r.id,
    tool: r.tool,
    peerTitle: r.peerTitle,
    ...(r.scope ? { scope: r.scope } : {}),
    createdAt: r.createdAt,
    expiresAt: r.expiresAt,
  };
}

/**
 * An edited text as Telegram will show it (the terminal's edit preview, for the UI): rendered with the same
 * parser the send uses (telegram/formatting.ts), hidden characters made visible, links on their own lines.
 */
function previewEdit(text: string, format: 'plain' | 'markdown' | 'html') {
  const rendered = renderText(text, format);
  const shown = visibleText(rendered.text, { multiline: true });
  const links = describeEntities(rendered).map((l) => visibleText(l, { maxLength: 400 }).text);
  return { rendered: shown.text, links, empty: rendered.text.trim() === '', hidden: shown.hidden };
}

function auditRow(e: AuditEntry): AuditRow {
  const { prev_hash: _prev, ...row } = e;
  return row;
}

/** The verify result in plain words (issue 9: "Verify with a plain-language result"). */
function plainVerify(r: VerifyResult): string {
  if (r.ok) {
    return r.verified === 0
      ? 'The audit chain is empty: nothing has been recorded yet.'
      : `All ${r.verified} entries check out: nothing in the audit chain was changed, removed or reordered.`;
  }
  return (
    `The audit chain is broken at entry ${r.first_bad_seq ?? '?'} (${r.reason ?? 'unknown reason'}). ` +
    `The ${r.verified} entries before it check out; entries from there on may have been changed or removed.`
  );
}

/** The relay URL as typed, unless it has a query or fragment (which may carry a token): then without them. */
function shownRelayUrl(url: string): string {
  const trimmed = url.trim();
  return /[?#]/.test(trimmed) ? redactRelayUrl(trimmed) : trimmed;
}

/** A relay URL without credentials or query (it may carry a token). */
function redactRelayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * A login error as the wizard shows it: the login flow's words (telegram/login.ts) with the terminal's advice
 * ("run `tg-bridge login` again") turned into the wizard's ("start the login again"), and a flood wait in
 * seconds and minutes.
 */
export function loginSentence(message: string): string {
  const flood = /FLOOD_WAIT_(\d+)/.exec(message);
  if (flood) {
    const seconds = Number(flood[1]);
    const wait = seconds >= 120 ? `${Math.ceil(seconds / 60)} minutes` : `${seconds} seconds`;
    return `Telegram asks you to wait ${wait} before trying again (too many login attempts).`;
  }
  return sentence(message.replace(/run `tg-bridge login(?: --qr)?` again/g, 'start the login again'));
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
