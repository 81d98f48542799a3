/**
 * The device API (issue 9 "One device API, two adapters"): everything the UI may ask of the engine on this
 * device, as named methods with zod-checked parameters and results, plus the events the engine pushes.
 * Two adapters carry it: Electron IPC (main/ipcChannels.ts) and HTTP + WebSocket to the headless host
 * (bridge/ui/uiServer.ts). Both validate every payload against these schemas at the boundary.
 *
 * Browser-safe: zod only (the renderer imports this file).
 */
import { z } from 'zod';
import { ApprovalHold, ApprovalView } from './approvalView.js';
import { ClientScope } from './frames.js';

/** Longest deny reason the UI sends, in characters (the approval queue caps reasons at 500 — approvals.ts). */
export const MAX_DENY_REASON_LENGTH = 500;
/** Most audit entries one page holds. */
export const MAX_AUDIT_PAGE = 200;

/** The relay link as the UI shows it; times in ms since the epoch, `retryInMs` in ms. */
export const LinkView = z.object({
  state: z.enum(['connecting', 'connected', 'waiting', 'stopped', 'unconfigured']),
  relayUrl: z.string().optional(),
  since: z.number().optional(),
  attempt: z.number().int().optional(),
  retryInMs: z.number().optional(),
  /** When the link will retry (ms since the epoch), for the reconnect countdown. */
  retryAt: z.number().optional(),
  lastError: z.string().optional(),
  /** The relay account this device is paired with (device pairing), absent for a pasted bridge token. */
  pairedAs: z.string().optional(),
});
export type LinkView = z.infer<typeof LinkView>;

/** The Telegram account: logged in (display name and @username), or a login is needed. */
export const AccountView = z.union([
  z.object({ state: z.literal('logged_in'), name: z.string(), username: z.string().nullable() }),
  z.object({ state: z.literal('needs_login') }),
]);
export type AccountView = z.infer<typeof AccountView>;

/** The tray's and the header's one-word state (issue 9: connected / connecting / offline / needs login / paused). */
export const TrayState = z.enum(['connected', 'connecting', 'offline', 'needs_login', 'paused']);
export type TrayState = z.infer<typeof TrayState>;

/** Everything the header and the tray show at once. */
export const DeviceStatus = z.object({
  state: TrayState,
  link: LinkView,
  account: AccountView,
  pendingCount: z.number().int().nonnegative(),
});
export type DeviceStatus = z.infer<typeof DeviceStatus>;

/**
 * How an approval ended, as the UI shows it (mirrors the approval queue's outcome without the sent text).
 * `undone` is an approval the person took back inside the undo window.
 */
export const ApprovalOutcomeView = z.discriminatedUnion('status', [
  z.object({ status: z.literal('approved'), edited: z.boolean(), decidedBy: z.enum(['person', 'auto']) }),
  z.object({ status: z.literal('denied'), reason: z.string().optional() }),
  z.object({ status: z.literal('expired') }),
  z.object({ status: z.literal('cancelled'), reason: z.string() }),
  z.object({ status: z.literal('undone') }),
]);
export type ApprovalOutcomeView = z.infer<typeof ApprovalOutcomeView>;

/**
 * Login steps the wizard walks through (issue 9 "Login wizard"). `error` is the plain sentence for the last
 * failed attempt (wrong code, wrong password); `fatal` ends the flow (expired code, flood wait, too many tries).
 */
export const LoginStep = z.discriminatedUnion('step', [
  z.object({ step: z.literal('idle') }),
  z.object({ step: z.literal('phone'), error: z.string().optional() }),
  z.object({ step: z.literal('code'), viaApp: z.boolean(), error: z.string().optional() }),
  z.object({ step: z.literal('password'), hint: z.string().optional(), error: z.string().optional() }),
  z.object({ step: z.literal('qr'), url: z.string(), expiresAt: z.number() }),
  z.object({ step: z.literal('working') }),
  z.object({ step: z.literal('done'), name: z.string(), username: z.string().nullable() }),
  z.object({ step: z.literal('failed'), error: z.string() }),
]);
export type LoginStep = z.infer<typeof LoginStep>;

/**
 * Device pairing as the connection screen shows it (PROTOCOL.md "Transport", RFC 8628 style): the device asks
 * the relay for a code, the person confirms that code on the relay's page while signed in. `expiresAt` in ms
 * since the epoch; `verificationUri` is the relay page to open (`verificationUriComplete` has the code filled in).
 */
export const PairingStep = z.discriminatedUnion('step', [
  /** `suggestedRelayUrl`: a `tgbridge://pair` link asked to pair with this relay; the person checks and starts it. */
  z.object({ step: z.literal('idle'), suggestedRelayUrl: z.string().optional() }),
  z.object({ step: z.literal('starting'), relayUrl: z.string() }),
  z.object({
    step: z.literal('code'),
    relayUrl: z.string(),
    code: z.string(),
    verificationUri: z.string(),
    verificationUriComplete: z.string().optional(),
    expiresAt: z.number(),
  }),
  z.object({ step: z.literal('done'), relayUrl: z.string(), user: z.string() }),
  z.object({ step: z.literal('failed'), error: z.string() }),
]);
export type PairingStep = z.infer<typeof PairingStep>;

/**
 * A new AI app asking to use the account (custody rule 7), waiting for the person on this device. Names come
 * from the relay: the UI shows them through `visibleText` (hidden characters escaped, capped). `askedAt` and
 * `expiresAt` in ms since the epoch (unanswered by then = denied).
 */
export const ConsentRequestView = z.object({
  id: z.string(),
  clientId: z.string(),
  clientName: z.string(),
  relay: z.string(),
  askedAt: z.number(),
  expiresAt: z.number(),
});
export type ConsentRequestView = z.infer<typeof ConsentRequestView>;

/**
 * An AI app the person allowed, with its scope (chats as canonical refs, `user:42`); `approvedAt` in ms.
 * `via`: the relay origin the approval is bound to (absent for approvals made before binding existed).
 */
export const ClientView = z.object({
  clientId: z.string(),
  clientName: z.string(),
  relay: z.string(),
  via: z.string().optional(),
  scope: ClientScope,
  approvedAt: z.number(),
});
export type ClientView = z.infer<typeof ClientView>;

/** A chat the person can pick for an AI app's scope: canonical ref, title and kind. */
export const ChatOption = z.object({ peer: z.string(), title: z.string(), type: z.string() });
export type ChatOption = z.infer<typeof ChatOption>;

/** A standing rule as listed in settings; times in ms since the epoch. */
export const RuleView = z.object({
  id: z.string(),
  tool: z.string(),
  peerTitle: z.string(),
  /** The rule's scope in words, as the person read it when making it. */
  scope: z.string().optional(),
  createdAt: z.number(),
  expiresAt: z.number(),
});
export type RuleView = z.infer<typeof RuleView>;

/** One audit chain entry as the audit view lists it (the chain holds no text, only redacted peers). */
export const AuditRow = z.object({
  seq: z.number().int(),
  ts: z.string(),
  call_id: z.string(),
  tool: z.string(),
  peer: z.string(),
  phase: z.string(),
  status: z.string(),
  decided_by: z.string(),
  error: z.string().optional(),
  hash: z.string(),
});
export type AuditRow = z.infer<typeof AuditRow>;

/**
 * The person's settings the UI edits. `undoMs` in ms (0–60 000, the approval queue's MAX_UNDO_MS; applies from
 * the next start); `mediaDir` absent = file paths refused.
 */
export const DeviceSettings = z.object({
  relayUrl: z.string().max(2048).optional(),
  undoMs: z.number().int().min(0).max(60_000),
  mediaDir: z.string().max(4096).optional(),
  startAtLogin: z.boolean(),
  theme: z.enum(['system', 'light', 'dark']),
});
export type DeviceSettings = z.infer<typeof DeviceSettings>;

const Ok = z.object({ ok: z.boolean(), error: z.string().optional() });
const CallId = z.string().min(1).max(128);

/** Every method: its parameter and result schemas. Names are `area.verb`. */
export const DEVICE_METHODS = {
  'status.get': { params: z.object({}), result: DeviceStatus },
  'approvals.list': { params: z.object({}), result: z.array(ApprovalView) },
  /** Approvals in their undo window. */
  'approvals.held': { params: z.object({}), result: z.array(ApprovalHold) },
  /** `always`: also make the standing rule the view offers (`view.rule`), when it allows one. */
  'approvals.approve': {
    params: z.object({ callId: CallId, text: z.string().max(4096).optional(), always: z.boolean().optional() }),
    result: Ok,
  },
  'approvals.undo': { params: z.object({ callId: CallId }), result: Ok },
  /**
   * How an edited text of a formatted (Markdown/HTML) write will show in Telegram, before the person approves
   * it: the rendered text and where its links point (display-safe), `empty` when nothing would show.
   */
  'approvals.previewEdit': {
    params: z.object({ callId: CallId, text: z.string().max(4096) }),
    result: z.object({ rendered: z.string(), links: z.array(z.string()), empty: z.boolean(), hidden: z.boolean() }),
  },
  'approvals.deny': {
    params: z.object({ callId: CallId, reason: z.string().max(MAX_DENY_REASON_LENGTH).optional() }),
    result: Ok,
  },
  'link.connect': { params: z.object({}), result: Ok },
  'link.disconnect': { params: z.object({}), result: Ok },
  'link.configure': {
    params: z.object({ relayUrl: z.string().min(1).max(2048), bridgeToken: z.string().min(1).max(512) }),
    result: Ok,
  },
  /** Starts device pairing with the relay at `relayUrl`; the steps arrive as `pairing.step` events. */
  'link.pair': { params: z.object({ relayUrl: z.string().min(1).max(2048) }), result: PairingStep },
  'link.pairCancel': { params: z.object({}), result: Ok },
  'link.pairState': { params: z.object({}), result: PairingStep },
  /** Disconnects and forgets the saved relay set-up (pairing credential or token). */
  'link.forget': { params: z.object({}), result: Ok },
  'consent.list': { params: z.object({}), result: z.array(ConsentRequestView) },
  /** Answers a new AI app: denied, or allowed with the scope the person chose (`chats`: 'all' or refs). */
  'consent.decide': {
    params: z.union([
      z.object({ id: z.string().min(1).max(128), approved: z.literal(false) }),
      z.object({ id: z.string().min(1).max(128), approved: z.literal(true), scope: ClientScope }),
    ]),
    result: Ok,
  },
  'clients.list': { params: z.object({}), result: z.array(ClientView) },
  'clients.revoke': { params: z.object({ clientId: z.string().min(1).max(200) }), result: Ok },
  /** The person's chats for picking an AI app's scope (newest first; `query` filters by title/username). */
  'chats.list': {
    params: z.object({ query: z.string().max(64).optional(), limit: z.number().int().min(1).max(100).default(50) }),
    result: z.array(ChatOption),
  },
  'login.start': { params: z.object({ method: z.enum(['phone', 'qr']) }), result: LoginStep },
  'login.answer': {
    params: z.object({ step: z.enum(['phone', 'code', 'password']), value: z.string().min(1).max(256) }),
    result: Ok,
  },
  'login.cancel': { params: z.object({}), result: Ok },
  'login.state': { params: z.object({}), result: LoginStep },
  'audit.page': {
    params: z.object({
      /** Entries to skip from the newest. */
      offset: z.number().int().min(0).default(0),
      limit: z.number().int().min(1).max(MAX_AUDIT_PAGE).default(50),
      tool: z.string().max(64).optional(),
      status: z.string().max(32).optional(),
    }),
    result: z.object({ rows: z.array(AuditRow), total: z.number().int() }),
  },
  'audit.verify': {
    params: z.object({}),
    result: z.object({ ok: z.boolean(), verified: z.number().int(), summary: z.string() }),
  },
  'audit.export': { params: z.object({}), result: z.object({ fileName: z.string(), jsonl: z.string() }) },
  'rules.list': { params: z.object({}), result: z.array(RuleView) },
  'rules.revoke': { params: z.object({ id: z.string().min(1).max(64) }), result: Ok },
  'settings.get': { params: z.object({}), result: DeviceSettings },
  'settings.set': { params: DeviceSettings.partial(), result: DeviceSettings },
} as const;

/** A method name. */
export type DeviceMethod = keyof typeof DEVICE_METHODS;
/** Parameters a caller passes (defaults not yet applied). */
export type DeviceParams<M extends DeviceMethod> = z.input<(typeof DEVICE_METHODS)[M]['params']>;
/** Parameters as the device receives them (validated, defaults applied). */
export type DeviceParsedParams<M extends DeviceMethod> = z.output<(typeof DEVICE_METHODS)[M]['params']>;
/** A method's result. */
export type DeviceResult<M extends DeviceMethod> = z.output<(typeof DEVICE_METHODS)[M]['result']>;

/** Whether `name` is a device API method (guards untrusted input before indexing). */
export function isDeviceMethod(name: unknown): name is DeviceMethod {
  return typeof name === 'string' && Object.hasOwn(DEVICE_METHODS, name);
}

/** Events the device pushes to every UI (issue 9: approvals, link status, login steps, rules, audit). */
export const DeviceEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('approval.added'), view: ApprovalView }),
  z.object({ type: z.literal('approval.decided'), callId: z.string(), outcome: ApprovalOutcomeView }),
  z.object({ type: z.literal('approval.expired'), callId: z.string() }),
  /** An approval entered its undo window: it sends at `hold.sendsAt` unless undone first. */
  z.object({ type: z.literal('approval.held'), hold: ApprovalHold }),
  z.object({ type: z.literal('status'), status: DeviceStatus }),
  z.object({ type: z.literal('login.step'), step: LoginStep }),
  z.object({ type: z.literal('pairing.step'), step: PairingStep }),
  z.object({ type: z.literal('consent.added'), request: ConsentRequestView }),
  /** A consent request was answered (here, elsewhere) or expired. */
  z.object({ type: z.literal('consent.settled'), id: z.string() }),
  z.object({ type: z.literal('clients.changed'), clients: z.array(ClientView) }),
  z.object({ type: z.literal('rules.changed'), rules: z.array(RuleView) }),
  z.object({ type: z.literal('audit.appended'), row: AuditRow }),
]);
export type DeviceEvent = z.infer<typeof DeviceEvent>;

/**
 * The device API as a UI sees it, whichever adapter carries it: `call` runs a method (rejects with an Error
 * whose message is a sentence for the person), `subscribe` receives every event until the returned function
 * is called.
 */
export interface DeviceApi {
  call<M extends DeviceMethod>(method: M, params: DeviceParams<M>): Promise<DeviceResult<M>>;
  subscribe(listener: (event: DeviceEvent) => void): () => void;
}
