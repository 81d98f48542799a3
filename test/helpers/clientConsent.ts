/**
 * The person's answer to "‹client› wants to use your Telegram" in end-to-end tests that drive a device against
 * the real relay with a bearer token: the relay names every caller (`cli:<user>`, `pat:<id>`, OAuth clients)
 * and asks the device once per MCP session; this person allows read + ask-to-write in all chats (every write
 * still waits for their approval).
 */
import type { ClientConsentPrompt } from '../../bridge/policy/clientScopes.js';

/** Approves every AI client with read + ask-to-write in all chats, and records who was asked. */
export function personApproves(asked: string[] = []): ClientConsentPrompt {
  return async ({ clientId }) => {
    asked.push(clientId);
    return { approved: true, scope: { access: 'read_write', chats: 'all' } };
  };
}
