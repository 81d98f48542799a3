/**
 * Where a new AI app's request to use the account waits for the person in the UI (custody rule 7;
 * issue 10: "a prompt like a write approval … read-only or read + ask-to-write, and all chats or chosen
 * chats"). The desk is a {@link ClientConsentPrompt}: the bridge host asks it, the desktop app's popup or the
 * headless UI shows the request, and the person's answer through the device API settles it. Unanswered
 * requests are denied after a timeout (the relay stops waiting too); nothing is ever allowed by default.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ClientConsentAnswer } from '../link/relayLink.js';
import type { ClientConsentPrompt } from '../policy/clientScopes.js';
import { type ClientScope, type ConsentRequestView, MAX_CLIENT_NAME_LENGTH } from '../protocol/index.js';

/** How long a request waits for the person, in ms: the relay's own wait (120 s — relay/mcpEndpoint.ts). */
export const CONSENT_TIMEOUT_MS = 120_000;

/** Most requests waiting at once; more are denied at once (a flood of fake apps cannot bury a real one). */
export const MAX_PENDING_CONSENTS = 20;

interface DeskEvents {
  added: [ConsentRequestView];
  settled: [string];
}

interface Waiting {
  view: ConsentRequestView;
  resolve(answer: ClientConsentAnswer): void;
  timer: NodeJS.Timeout;
}

/** Options of {@link ConsentDesk}. */
export interface ConsentDeskOptions {
  /** How long a request waits, in ms (default {@link CONSENT_TIMEOUT_MS}). */
  timeoutMs?: number;
  now?: () => number;
}

/** The queue of AI apps waiting for the person's answer. Emits `added` and `settled`. */
export class ConsentDesk extends EventEmitter<DeskEvents> {
  readonly #waiting = new Map<string, Waiting>();
  readonly #timeoutMs: number;
  readonly #now: () => number;

  constructor(options: ConsentDeskOptions = {}) {
    super();
    this.#timeoutMs = options.timeoutMs ?? CONSENT_TIMEOUT_MS;
    this.#now = options.now ?? Date.now;
  }

  /** The prompt to give `startBridgeHost({ clientConsent })`. */
  readonly prompt: ClientConsentPrompt = ({ clientId, clientName, relay }) =>
    new Promise<ClientConsentAnswer>((resolve) => {
      if (this.#waiting.size >= MAX_PENDING_CONSENTS) {
        resolve({ approved: false, reason: 'Too many AI apps are waiting for an answer on this computer; try again later.' });
        return;
      }
      const id = randomUUID();
      const askedAt = this.#now();
      const view: ConsentRequestView = {
        id,
        clientId: clientId.slice(0, 200),
        clientName: clientName.slice(0, MAX_CLIENT_NAME_LENGTH * 4),
        relay: relay.slice(0, 200),
        askedAt,
        expiresAt: askedAt + this.#timeoutMs,
      };
      const timer = setTimeout(
        () => this.#settle(id, { approved: false, reason: 'Nobody answered on the device in time.' }),
        this.#timeoutMs,
      );
      timer.unref();
      this.#waiting.set(id, { view, resolve, timer });
      this.emit('added', view);
    });

  /** Requests waiting now, oldest first. */
  pending(): ConsentRequestView[] {
    return [...this.#waiting.values()].map((w) => w.view);
  }

  /**
   * The person's answer. `scope` absent = denied.
   * @returns false when the request is no longer waiting (answered, expired).
   */
  decide(id: string, scope: ClientScope | null): boolean {
    return this.#settle(
      id,
      scope ? { approved: true, scope } : { approved: false, reason: 'The person denied it on their device.' },
    );
  }

  /** Denies everything waiting (the app is closing). */
  denyAll(reason: string): void {
    for (const id of [...this.#waiting.keys()]) this.#settle(id, { approved: false, reason });
  }

  #settle(id: string, answer: ClientConsentAnswer): boolean {
    const waiting = this.#waiting.get(id);
    if (!waiting) return false;
    this.#waiting.delete(id);
    clearTimeout(waiting.timer);
    waiting.resolve(answer);
    this.emit('settled', id);
    return true;
  }
}
