/**
 * The desktop app's consent dialog for a new AI app (main/clientConsentDialog.ts): each button maps to exactly one
 * scope, Escape/closing/unknown answers deny, and a hostile client name reaches the dialog only with its hidden
 * characters made visible and capped.
 */
import { describe, expect, it } from 'vitest';
import { CONSENT_BUTTONS, type ConsentDialog, dialogClientConsent } from '../../main/clientConsentDialog.js';
import { MAX_CLIENT_NAME_LENGTH } from '../../bridge/protocol/index.js';

type Shown = Parameters<ConsentDialog['showMessageBox']>[0];

function fakeDialog(response: number): { dialog: ConsentDialog; shown: Shown[] } {
  const shown: Shown[] = [];
  return {
    shown,
    dialog: {
      showMessageBox: async (opts) => {
        shown.push(opts);
        return { response };
      },
    },
  };
}

const request = { clientId: 'oauth-client-1', clientName: 'Claude', relay: 'https://relay.example.com' };

describe('dialogClientConsent', () => {
  it('deny is the default and the cancel answer; read-only and read + ask-to-write cover all chats', async () => {
    const { dialog, shown } = fakeDialog(0);
    expect(await dialogClientConsent(dialog)(request)).toMatchObject({ approved: false });
    expect(shown[0]).toMatchObject({ defaultId: 0, cancelId: 0, buttons: CONSENT_BUTTONS });
    expect(shown[0]!.message).toBe('‹Claude› wants to use your Telegram through https://relay.example.com');
    expect(await dialogClientConsent(fakeDialog(1).dialog)(request)).toEqual({
      approved: true,
      scope: { access: 'read', chats: 'all' },
    });
    expect(await dialogClientConsent(fakeDialog(2).dialog)(request)).toEqual({
      approved: true,
      scope: { access: 'read_write', chats: 'all' },
    });
  });

  it('an answer the dialog never offers denies', async () => {
    for (const response of [-1, 3, 99, Number.NaN]) {
      expect(await dialogClientConsent(fakeDialog(response).dialog)(request)).toMatchObject({ approved: false });
    }
  });

  it('a hostile client name is shown escaped, capped, and with a warning', async () => {
    const hostile = `Claude\u202E\u001b[2J${'x'.repeat(200)}`;
    const { dialog, shown } = fakeDialog(0);
    await dialogClientConsent(dialog)({ ...request, clientName: hostile });
    const message = shown[0]!.message;
    expect(message).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(message).toContain('⟨U+202E⟩');
    expect(message).toContain('␛');
    const name = message.slice(message.indexOf('‹') + 1, message.indexOf('›'));
    expect([...name].length).toBeLessThanOrEqual(MAX_CLIENT_NAME_LENGTH + 1);
    expect(shown[0]!.detail).toContain('hidden characters');
  });

  it('a client without a name is named by its id', async () => {
    const { dialog, shown } = fakeDialog(0);
    await dialogClientConsent(dialog)({ ...request, clientName: '' });
    expect(shown[0]!.message).toContain('‹oauth-client-1›');
  });
});
