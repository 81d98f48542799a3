/**
 * The terminal's answer to "‹client› wants to use your Telegram through ‹relay›" (custody rule 7): the person
 * allows it read-only or read + ask-to-write, in all chats or chosen ones, or denies it. Chosen chats may be
 * typed as `user:42`, `chat:7`, `channel:9` or `@username`; each is resolved to its canonical form now, so
 * the device compares real peers later.
 */
import type { ClientConsentAnswer } from '../link/relayLink.js';
import type { ClientConsentPrompt } from '../policy/clientScopes.js';
import { parsePeer, type PeerRef } from '../protocol/index.js';
import { type Asker, terminalAsker } from './terminalPrompts.js';

/** Makes control and direction characters visible, so a client name cannot disguise itself. */
function visible(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g, (c) =>
    `\\u{${c.codePointAt(0)!.toString(16)}}`,
  );
}

/**
 * A {@link ClientConsentPrompt} asking in the terminal.
 * @param canonical resolves a typed peer to `user:42` etc.; throws when the chat cannot be found.
 */
export function terminalClientConsent(
  asker: Asker,
  out: (text: string) => void,
  canonical: (ref: PeerRef) => Promise<string>,
): ClientConsentPrompt {
  return async ({ clientName, relay }): Promise<ClientConsentAnswer> => {
    out(
      `\nNew AI app: "${visible(clientName)}" wants to use your Telegram through ${visible(relay)}\n` +
        '  [r] allow read-only   [w] allow read + ask-to-write (every write still waits for you)   [n] deny\n',
    );
    let access: 'read' | 'read_write' | undefined;
    while (access === undefined) {
      const answer = (await asker.ask('> ')).trim().toLowerCase();
      if (answer === 'n' || answer === 'no') return { approved: false, reason: 'The person denied it on their device.' };
      if (answer === 'r') access = 'read';
      else if (answer === 'w') access = 'read_write';
      else out('  Type r, w or n.\n');
    }
    for (;;) {
      const line = (
        await asker.ask('  Which chats? Press Enter for all, or list them (user:42, chat:7, @name), separated by commas:\n> ')
      ).trim();
      if (line === '') return { approved: true, scope: { access, chats: 'all' } };
      const chats: string[] = [];
      let problem: string | undefined;
      for (const item of line.split(',').map((s) => s.trim()).filter(Boolean)) {
        const ref = parsePeer(item);
        if (!ref) {
          problem = `"${item}" is not a chat (use user:42, chat:7, channel:9 or @name)`;
          break;
        }
        try {
          chats.push(await canonical(ref));
        } catch {
          problem = `cannot find ${item} in your Telegram`;
          break;
        }
      }
      if (problem === undefined && chats.length > 0) {
        return { approved: true, scope: { access, chats: [...new Set(chats)] } };
      }
      out(`  ${problem ?? 'No chats given.'} Try again.\n`);
    }
  };
}

/**
 * A {@link ClientConsentPrompt} on the process's own terminal beside the write approvals: a fresh line reader
 * per question (so it never holds lines meant for the approvals), and stdin flowing again afterwards — closing
 * a readline pauses its input, which would leave the approvals deaf.
 */
export function stdinClientConsent(
  out: (text: string) => void,
  canonical: (ref: PeerRef) => Promise<string>,
): ClientConsentPrompt {
  return async (request) => {
    const asker = terminalAsker();
    try {
      return await terminalClientConsent(asker, out, canonical)(request);
    } finally {
      asker.close();
      process.stdin.resume();
    }
  };
}
