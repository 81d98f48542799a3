/**
 * Per-client scopes on the device (ARCHITECTURE.md custody rule 7). A new AI client (an OAuth client of the
 * relay) reaches the account only after the person approved it HERE, choosing read-only or read +
 * ask-to-write, and all chats or chosen chats. The device enforces the scope on every call whatever the relay
 * claims: a call naming an unknown client, a write by a read-only client, or a chat outside the chosen ones
 * is refused with `[not_permitted]` before any tool runs; results of chat-spanning reads (`list_dialogs`,
 * `get_unread_messages` and `search_messages` without a peer) are filtered down to the chosen chats.
 * A call without a client id is refused (`[not_permitted]`) when the relay is one of ours — the device is
 * paired with it (proof-of-possession connect headers) or it sent `welcome` — since such a relay names every
 * caller (OAuth clients, personal access tokens `pat:<id>`, config tokens `cli:<user>`); only a plain
 * mctl-style relay (no `welcome`, no pairing), which cannot name its callers, still runs them unrestricted.
 *
 * The approvals are kept in a 0600 JSON file (written atomically), listed and revocable on the device.
 */
import { type Stats, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import {
  type CallFrame,
  type ClientConsentFrame,
  ClientScope,
  isToolName,
  type PeerRef,
  parsePeer,
  TOOLS,
  ToolError,
  ToolErrorCode,
} from '../protocol/index.js';
import type { ClientConsentAnswer } from '../link/relayLink.js';
import { writePrivateFileAtomic } from '../storage/privateFile.js';
import type { TelegramGateway } from '../telegram/gateway.js';

/**
 * One approved client. `approvedAt` in ms since the epoch. `relay` is the relay's own name for itself (from its
 * consent frame: display only); `via` is the origin of the relay this device was connected to when the person
 * approved (`https://relay.example`), known by the device itself: the approval holds only for calls through
 * that relay, so another relay cannot borrow it by naming the same client. Approvals recorded before `via`
 * existed have none and hold through any relay (the person can revoke them).
 */
export const ClientApproval = z.object({
  clientId: z.string().min(1).max(200),
  clientName: z.string().max(100),
  relay: z.string().max(200),
  via: z.string().max(2048).optional(),
  scope: ClientScope,
  approvedAt: z.number(),
});
export type ClientApproval = z.infer<typeof ClientApproval>;

const ScopesFile = z.object({ version: z.literal(1), clients: z.array(ClientApproval) });

/** Where the device keeps its approved AI clients in a data directory. */
export function clientsPathIn(home: string): string {
  return join(home, 'clients.json');
}

/** Resolves a peer argument to its canonical ref (`user:42`); throws ToolError when it cannot. */
export type PeerCanonicalizer = (ref: PeerRef) => Promise<string>;

/** Argument names that name a chat, across all tools. */
const PEER_ARGS = ['peer', 'from_peer', 'to_peer'] as const;
/** Reads that span chats when called without a peer; their results are filtered to the chosen chats. */
const SPANNING_READS = new Set(['list_dialogs', 'get_unread_messages', 'search_messages']);

/** The person's approved clients and their scopes. */
export class ClientScopes {
  private readonly clients = new Map<string, ClientApproval>();
  /**
   * `mtimeMs:ino:size` of the file as last read or written; a change by another process (the CLI) reloads it.
   */
  private loadedVersion = '';
  private readonly listeners = new Set<(clients: ClientApproval[]) => void>();

  private constructor(private readonly path: string | undefined) {}

  /**
   * Loads the approvals from `path` (missing file = none), or keeps them in memory when `path` is undefined.
   * @throws Error when the file exists but is not a valid approvals file (nothing is guessed).
   */
  static async open(path?: string): Promise<ClientScopes> {
    const scopes = new ClientScopes(path);
    await scopes.reload();
    return scopes;
  }

  /**
   * Re-reads the file when another process (`tg-bridge clients revoke`) changed it since: its modification time,
   * inode or size differ from the version loaded. Runs before every relay call, so the check is one synchronous
   * `stat` of a small local file (a few µs), not a thread-pool round trip on the call's path.
   * @throws Error when the file is not a valid approvals file.
   */
  async reload(): Promise<void> {
    if (this.path === undefined) return;
    let st: Stats | undefined;
    try {
      st = statSync(this.path, { throwIfNoEntry: false });
    } catch {
      st = undefined;
    }
    if (!st) {
      this.clients.clear();
      this.loadedVersion = '';
      return;
    }
    const version = fileVersion(st);
    if (version === this.loadedVersion) return;
    let json: unknown;
    try {
      json = JSON.parse(await readFile(this.path, 'utf8'));
    } catch {
      json = null;
    }
    const parsed = ScopesFile.safeParse(json);
    if (!parsed.success) throw new Error(`${this.path} is not a valid client approvals file`);
    this.clients.clear();
    for (const c of parsed.data.clients) this.clients.set(c.clientId, c);
    this.loadedVersion = version;
  }

  /** Approved clients, oldest first. */
  list(): ClientApproval[] {
    return [...this.clients.values()].sort((a, b) => a.approvedAt - b.approvedAt);
  }

  get(clientId: string): ClientApproval | undefined {
    return this.clients.get(clientId);
  }

  /** Calls `listener` with the new list after every approve or revoke here. @returns the unsubscribe function. */
  onChanged(listener: (clients: ClientApproval[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Records (or replaces) an approval and saves the file. */
  async approve(approval: ClientApproval): Promise<void> {
    await this.reload();
    this.clients.set(approval.clientId, ClientApproval.parse(approval));
    await this.save();
    this.changed();
  }

  /** Revokes a client: its calls are refused from now on. @returns false when it was not approved. */
  async revoke(clientId: string): Promise<boolean> {
    await this.reload();
    const had = this.clients.delete(clientId);
    if (had) {
      await this.save();
      this.changed();
    }
    return had;
  }

  private changed(): void {
    const list = this.list();
    for (const listener of [...this.listeners]) listener(list);
  }

  /**
   * Checks one call against its client's scope.
   * @param clientId the call frame's `oauth_client`; undefined = a caller the relay did not name.
   * @param requireClient true when the relay must name every caller (paired, or it sent `welcome`): an unnamed
   *   caller is then refused; false only for a plain mctl-style relay, whose unnamed callers run unrestricted.
   * @param via the origin of the relay the call came through (see {@link ClientApproval.via}); undefined = not
   *   checked (local front doors).
   * @throws ToolError `not_permitted` with a sentence the AI and the person can act on.
   */
  async check(
    clientId: string | undefined,
    tool: string,
    args: unknown,
    canonical: PeerCanonicalizer,
    requireClient = false,
    via?: string,
  ): Promise<void> {
    if (clientId === undefined) {
      if (!requireClient) return;
      throw new ToolError(
        ToolErrorCode.notPermitted,
        'The relay sent this call without naming the AI app that made it, so the person\'s device cannot check ' +
          'what that app may do. Nothing was run. Update or check the relay.',
      );
    }
    await this.reload().catch(() => this.clients.clear()); // a damaged file approves nobody
    const approval = this.clients.get(clientId);
    if (!approval) {
      throw new ToolError(
        ToolErrorCode.notPermitted,
        'This AI app is not approved on the person\'s device (or its approval was revoked there). The person must ' +
          'connect it again and approve it in the tg-bridge app.',
      );
    }
    const name = approval.clientName;
    if (via !== undefined && approval.via !== undefined && approval.via !== via) {
      throw new ToolError(
        ToolErrorCode.notPermitted,
        `The person approved "${name}" through another relay, not this one. They must approve it again for this relay.`,
      );
    }
    if (isToolName(tool) && TOOLS[tool].write && approval.scope.access === 'read') {
      throw new ToolError(
        ToolErrorCode.notPermitted,
        `The person allowed "${name}" to read only; ${tool} writes. They can change this in the tg-bridge app.`,
      );
    }
    const chats = approval.scope.chats;
    if (chats === 'all') return;
    const record = (typeof args === 'object' && args !== null ? args : {}) as Record<string, unknown>;
    const named = PEER_ARGS.filter((k) => typeof record[k] === 'string');
    if (named.length === 0 && !SPANNING_READS.has(tool)) {
      throw new ToolError(ToolErrorCode.notPermitted, `"${name}" may use chosen chats only; name the chat with peer.`);
    }
    for (const key of named) {
      const ref = parsePeer(record[key] as string);
      const peer = ref === null ? undefined : await canonical(ref);
      if (peer === undefined || !chats.includes(peer)) {
        throw new ToolError(
          ToolErrorCode.notPermitted,
          `The person allowed "${name}" only in chosen chats, and ${key} is not one of them.`,
        );
      }
    }
  }

  /**
   * Filters the result of a chat-spanning read down to the client's chosen chats (items whose `peer` is
   * chosen). Other results, and clients with all chats, pass unchanged.
   */
  filterResult(clientId: string | undefined, tool: string, result: unknown): unknown {
    if (clientId === undefined || !SPANNING_READS.has(tool)) return result;
    const chats = this.clients.get(clientId)?.scope.chats;
    if (chats === undefined || chats === 'all' || typeof result !== 'object' || result === null) return result;
    const out: Record<string, unknown> = { ...(result as Record<string, unknown>) };
    for (const key of ['dialogs', 'messages']) {
      const list = out[key];
      if (Array.isArray(list)) {
        out[key] = list.filter(
          (item: unknown) =>
            typeof item === 'object' && item !== null && chats.includes(String((item as { peer?: unknown }).peer)),
        );
      }
    }
    return out;
  }

  private async save(): Promise<void> {
    if (this.path === undefined) return;
    await writePrivateFileAtomic(this.path, `${JSON.stringify({ version: 1, clients: this.list() }, null, 2)}\n`);
    this.loadedVersion = fileVersion(statSync(this.path));
  }
}

/** What tells one version of the approvals file from another: `mtimeMs:ino:size`. */
function fileVersion(st: Stats): string {
  return `${st.mtimeMs}:${st.ino}:${st.size}`;
}

/** Asks the person about a new AI client (a popup, the web UI or the terminal). */
export type ClientConsentPrompt = (request: {
  clientId: string;
  clientName: string;
  relay: string;
}) => Promise<ClientConsentAnswer>;

/**
 * The relay link's `onClientConsent`: asks the person through `prompt` and records an approval in `scopes`.
 * Without a prompt every request is declined.
 */
export function clientConsentHandler(
  scopes: ClientScopes,
  prompt: ClientConsentPrompt | undefined,
  now: () => number = Date.now,
  via?: string,
): (frame: ClientConsentFrame) => Promise<ClientConsentAnswer> {
  return async (frame) => {
    // A token caller (`pat:` / `cli:`) is asked about before each MCP session; once approved (through this
    // relay), the person is not asked again (OAuth clients are asked on every authorization: the person may
    // change their scope).
    const known = scopes.get(frame.client_id);
    const sameRelay = via === undefined || known?.via === undefined || known.via === via;
    if (known && sameRelay && /^(pat|cli):/.test(frame.client_id)) return { approved: true, scope: known.scope };
    if (!prompt) return { approved: false, reason: 'This tg-bridge app has no way to ask you about new AI clients.' };
    const answer = await prompt({ clientId: frame.client_id, clientName: frame.client_name, relay: frame.relay });
    if (answer.approved) {
      await scopes.approve({
        clientId: frame.client_id,
        clientName: frame.client_name,
        relay: frame.relay,
        ...(via !== undefined ? { via } : {}),
        scope: answer.scope,
        approvedAt: now(),
      });
    }
    return answer;
  };
}

/**
 * Runs a relay call under its client's scope: checks first (refusing with `not_permitted`), then `run`, then
 * filters a chat-spanning read's result. Peers are canonicalised through the gateway.
 * @param requireClient see {@link ClientScopes.check}: true for a paired relay or one that sent `welcome`.
 * @param via the origin of the relay the call came through (see {@link ClientApproval.via}).
 */
export async function runScoped(
  scopes: ClientScopes,
  gateway: Pick<TelegramGateway, 'resolvePeer'>,
  call: Pick<CallFrame, 'tool' | 'args' | 'oauth_client'>,
  run: () => Promise<unknown>,
  requireClient = false,
  via?: string,
): Promise<unknown> {
  await scopes.check(
    call.oauth_client,
    call.tool,
    call.args,
    async (ref) => (await gateway.resolvePeer(ref)).ref,
    requireClient,
    via,
  );
  return scopes.filterResult(call.oauth_client, call.tool, await run());
}
