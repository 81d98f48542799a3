/**
 * The desktop app's answer to a relay's `client_consent` (ARCHITECTURE.md custody rule 7): a new AI app (an OAuth
 * client, or a personal/config token caller) wants to use the account, and the person decides here, on the
 * device, with a native dialog. The dialog offers read-only or read + ask-to-write, for all chats; choosing chats
 * one by one is what `tg-bridge connect`'s terminal prompt offers, and the UI's consent screen will. Escape,
 * closing the dialog or any unexpected answer denies. Names from the relay are shown with hidden characters made
 * visible and capped, so a hostile client name cannot pose as something else.
 */
import type { ClientConsentAnswer } from '../bridge/link/relayLink.js';
import type { ClientConsentPrompt } from '../bridge/policy/clientScopes.js';
import { MAX_CLIENT_NAME_LENGTH } from '../bridge/protocol/index.js';
import { visibleText } from '../bridge/protocol/visibleText.js';

/** The part of Electron's `dialog` this needs (injected, so tests and other shells can pass their own). */
export interface ConsentDialog {
  showMessageBox(options: {
    type: 'question';
    title: string;
    message: string;
    detail: string;
    buttons: string[];
    defaultId: number;
    cancelId: number;
    noLink: boolean;
  }): Promise<{ response: number }>;
}

/** Buttons, in the order the dialog shows them; index 0 (deny) is the default and the cancel answer. */
export const CONSENT_BUTTONS = ['Deny', 'Allow reading (all chats)', 'Allow reading and asking to write (all chats)'];

/**
 * A {@link ClientConsentPrompt} that asks with a native dialog.
 * @returns read-only for button 1, read + ask-to-write for button 2, denied otherwise (0, Escape, closing).
 */
export function dialogClientConsent(dialog: ConsentDialog): ClientConsentPrompt {
  return async ({ clientId, clientName, relay }): Promise<ClientConsentAnswer> => {
    const name = visibleText(clientName || clientId, { maxLength: MAX_CLIENT_NAME_LENGTH });
    const where = visibleText(relay, { maxLength: 200 });
    const warning = name.hidden ? '\n\n⚠ The name contains hidden characters (shown escaped).' : '';
    const { response } = await dialog.showMessageBox({
      type: 'question',
      title: 'A new AI app wants your Telegram',
      message: `‹${name.text}› wants to use your Telegram through ${where.text}`,
      detail:
        'Reading lets it list your chats and read messages. Asking to write lets it ask you to send, edit or ' +
        'delete; every write still waits for your approval on this computer. You can revoke it any time in ' +
        `Settings.${warning}`,
      buttons: CONSENT_BUTTONS,
      defaultId: 0,
      cancelId: 0,
      noLink: true,
    });
    if (response === 1) return { approved: true, scope: { access: 'read', chats: 'all' } };
    if (response === 2) return { approved: true, scope: { access: 'read_write', chats: 'all' } };
    return { approved: false, reason: 'the person declined this AI app on their computer' };
  };
}
