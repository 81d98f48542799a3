/**
 * The app shell: a header with the device state, section navigation, and the screens. `#/popup/<callId>`
 * renders one approval alone (the Electron approval popup): Escape there denies, and the window closes after
 * a decision.
 */
import { useEffect, useMemo, useState } from 'react';
import type { DeviceApi, DeviceSettings, TrayState } from '../../bridge/protocol/index.js';
import { formatLeft, useDeviceState, useNow } from './deviceState.js';
import { ApprovalDetail } from './screens/ApprovalDetail.js';
import { Approvals } from './screens/Approvals.js';
import { Audit } from './screens/Audit.js';
import { ConsentCard } from './screens/ClientConsent.js';
import { Connection } from './screens/Connection.js';
import { Login } from './screens/Login.js';
import { Settings } from './screens/Settings.js';

const SECTIONS = [
  ['approvals', 'Approvals'],
  ['connection', 'Connection'],
  ['login', 'Account'],
  ['audit', 'Audit'],
  ['settings', 'Settings'],
] as const;
type Section = (typeof SECTIONS)[number][0];

const STATE_WORDS: Record<TrayState, string> = {
  connected: 'Connected',
  connecting: 'Connecting',
  offline: 'Offline',
  needs_login: 'Needs login',
  paused: 'Paused',
};

function readRoute(): { section: Section; popup?: string; consent?: string } {
  const hash = location.hash.replace(/^#\/?/, '');
  if (hash.startsWith('popup/')) return { section: 'approvals', popup: decodeURIComponent(hash.slice(6)) };
  if (hash.startsWith('consent/')) return { section: 'approvals', consent: decodeURIComponent(hash.slice(8)) };
  const found = SECTIONS.find(([id]) => id === hash);
  return { section: found ? found[0] : 'approvals' };
}

const darkQuery = matchMedia('(prefers-color-scheme: dark)');
let chosenTheme: DeviceSettings['theme'] = 'system';

/** Applies a theme to the document; `system` follows the OS, live (data-theme is always light or dark). */
function applyTheme(theme: DeviceSettings['theme']) {
  chosenTheme = theme;
  const dark = theme === 'dark' || (theme === 'system' && darkQuery.matches);
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
}
darkQuery.addEventListener('change', () => applyTheme(chosenTheme));
applyTheme('system');

/** The whole UI over one device API. */
export function App({ api, closeWindow }: { api: DeviceApi; closeWindow?: () => void }) {
  const state = useDeviceState(api);
  const [route, setRoute] = useState(readRoute);
  useEffect(() => {
    const on = () => setRoute(readRoute());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  useEffect(() => {
    api.call('settings.get', {}).then((s) => applyTheme(s.theme), () => applyTheme('system'));
  }, [api]);
  const go = (section: Section) => {
    location.hash = `#/${section}`;
  };
  const status = state.status;
  const account = status?.account.state === 'logged_in' ? status.account : null;
  const loggedIn = useMemo(
    () => (account ? `${account.name}${account.username ? ` (@${account.username})` : ''}` : null),
    [account],
  );

  if (route.consent !== undefined) {
    const request = state.consents.find((c) => c.id === route.consent);
    return (
      <main
        className="popup"
        onKeyDown={(e) =>
          e.key === 'Escape' && request && void api.call('consent.decide', { id: request.id, approved: false }).finally(() => closeWindow?.())
        }
      >
        {request ? (
          <ConsentCard api={api} request={request} autoFocus onDone={() => closeWindow?.()} />
        ) : (
          <p role="status">This AI app is no longer waiting for an answer.</p>
        )}
      </main>
    );
  }

  if (route.popup !== undefined) {
    const view = state.approvals.find((a) => a.callId === route.popup);
    const hold = state.held.find((h) => h.callId === route.popup);
    return (
      <main className="popup" onKeyDown={(e) => e.key === 'Escape' && view && void denyAndClose(api, view.callId, closeWindow)}>
        {view ? (
          // After Approve the popup stays for the undo window (main closes it when the write settles).
          <ApprovalDetail api={api} view={view} autoFocus onDone={(d) => d === 'denied' && closeWindow?.()} />
        ) : hold ? (
          <HeldPopup api={api} callId={hold.callId} effect={hold.effect} sendsAt={hold.sendsAt} />
        ) : (
          <p role="status">This request is no longer waiting.</p>
        )}
      </main>
    );
  }

  return (
    <div className="app">
      <header className="topbar">
        <span className="brand">tg-bridge</span>
        <span className={`pill state-${status?.state ?? 'unknown'}`} role="status" aria-label="Bridge state">
          {status ? STATE_WORDS[status.state] : 'Loading'}
        </span>
        {loggedIn && <span className="muted account">{loggedIn}</span>}
      </header>
      <nav className="sections" aria-label="Sections">
        {SECTIONS.map(([id, label]) => (
          <a key={id} href={`#/${id}`} aria-current={route.section === id ? 'page' : undefined} onClick={() => go(id)}>
            {label}
            {id === 'approvals' && state.approvals.length + state.consents.length > 0 ? (
              <span className="count" aria-label={`${state.approvals.length + state.consents.length} waiting`}>
                {state.approvals.length + state.consents.length}
              </span>
            ) : null}
          </a>
        ))}
      </nav>
      <main className="content">
        {state.error && (
          <p className="error banner" role="alert">
            {state.error}
          </p>
        )}
        {route.section === 'approvals' && <Approvals api={api} state={state} />}
        {route.section === 'connection' && <Connection api={api} status={status} pairing={state.pairing} />}
        {route.section === 'login' && <Login api={api} step={state.login} loggedIn={loggedIn} />}
        {route.section === 'audit' && <Audit api={api} auditSeq={state.auditSeq} />}
        {route.section === 'settings' && <Settings api={api} rules={state.rules} clients={state.clients} link={status?.link} onTheme={applyTheme} />}
      </main>
    </div>
  );
}

/** Escape in a popup: deny (no reason), then close. A popup never approves on its own. */
async function denyAndClose(api: DeviceApi, callId: string, closeWindow?: () => void) {
  await api.call('approvals.deny', { callId, reason: 'the person closed the approval window' }).catch(() => undefined);
  closeWindow?.();
}

/** The popup during the undo window: what will be sent, the countdown and Undo. */
function HeldPopup({ api, callId, effect, sendsAt }: { api: DeviceApi; callId: string; effect: string; sendsAt: number }) {
  const now = useNow(250);
  return (
    <section className="approval" aria-label="Approved">
      <h2 className="effect">{effect}</h2>
      <p role="status">Approved — sends in {formatLeft(sendsAt - now)}</p>
      <button type="button" autoFocus onClick={() => void api.call('approvals.undo', { callId }).catch(() => undefined)}>
        Undo
      </button>
    </section>
  );
}
