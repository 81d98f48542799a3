/**
 * Settings: standing rules and AI apps (listed, revocable), the undo window, the media folder, start at login,
 * theme.
 */
import { useEffect, useState } from 'react';
import type { ClientView, DeviceApi, DeviceSettings, LinkView, RuleView } from '../../../bridge/protocol/index.js';
import { formatLeft, useNow } from '../deviceState.js';
import { AllowedApps } from './ClientConsent.js';

/** The settings screen. `onTheme` applies a theme change at once. */
export function Settings({
  api,
  rules,
  clients,
  link,
  onTheme,
}: {
  api: DeviceApi;
  /** The relay link, for the relay line (changed on the connection screen). */
  link: LinkView | undefined;
  rules: RuleView[];
  clients: ClientView[];
  onTheme: (theme: DeviceSettings['theme']) => void;
}) {
  const now = useNow();
  const [settings, setSettings] = useState<DeviceSettings | null>(null);
  const [message, setMessage] = useState('');
  useEffect(() => {
    api.call('settings.get', {}).then(setSettings, (err: unknown) => setMessage((err as Error).message));
  }, [api]);

  const save = async (patch: Partial<DeviceSettings>) => {
    try {
      const next = await api.call('settings.set', patch);
      setSettings(next);
      if (patch.theme) onTheme(next.theme);
      setMessage('Saved.');
    } catch (err) {
      setMessage((err as Error).message);
    }
  };
  const revoke = async (rule: RuleView) => {
    const r = await api.call('rules.revoke', { id: rule.id }).catch((err: unknown) => ({ ok: false, error: (err as Error).message }));
    setMessage(r.ok ? `Revoked: ${rule.tool} to ${rule.peerTitle} asks you again.` : (r.error ?? 'Could not revoke.'));
  };

  return (
    <section className="screen" aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <div className="card">
        <h2>Relay</h2>
        <p>
          {link?.relayUrl
            ? `${link.relayUrl}${link.pairedAs ? ` — paired as ${link.pairedAs}` : ' — set by bridge token'}`
            : 'No relay set up: AI assistants cannot reach this computer.'}{' '}
          <a href="#/connection">Change the relay</a>
        </p>
      </div>
      <div className="card">
        <h2>Standing rules</h2>
        {rules.length === 0 ? (
          <p className="muted">No standing rules: every write asks you.</p>
        ) : (
          <ul className="rules">
            {rules.map((r) => (
              <li key={r.id}>
                <span>
                  {r.scope ?? `${r.tool} to ${r.peerTitle}`} without asking — ends in {formatLeft(r.expiresAt - now)}
                </span>
                <button type="button" className="danger" aria-label={`Revoke rule: ${r.tool} to ${r.peerTitle}`} onClick={() => void revoke(r)}>
                  Revoke
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
      <AllowedApps api={api} clients={clients} />
      {settings && (
        <form className="card" onSubmit={(e) => e.preventDefault()}>
          <h2>Behaviour</h2>
          <label className="field">
            <span>Undo window after approving (seconds, applies from the next start)</span>
            <input
              type="number"
              min={0}
              max={60}
              value={Math.round(settings.undoMs / 1000)}
              onChange={(e) => void save({ undoMs: Math.min(60, Math.max(0, Number(e.target.value) || 0)) * 1000 })}
            />
          </label>
          <label className="field">
            <span>Media folder (the only folder files may be sent from; applies from the next start)</span>
            <input
              type="text"
              defaultValue={settings.mediaDir ?? ''}
              placeholder="not set: sending files from disk is off"
              onBlur={(e) => void save({ mediaDir: e.target.value.trim() || undefined })}
            />
          </label>
          <label className="check">
            <input type="checkbox" checked={settings.startAtLogin} onChange={(e) => void save({ startAtLogin: e.target.checked })} />
            <span>Start tg-bridge when I log in to this computer</span>
          </label>
          <label className="field">
            <span>Theme</span>
            <select value={settings.theme} onChange={(e) => void save({ theme: e.target.value as DeviceSettings['theme'] })}>
              <option value="system">Same as the system</option>
              <option value="light">Light</option>
              <option value="dark">Dark</option>
            </select>
          </label>
        </form>
      )}
      <p className="notice" role="status">
        {message}
      </p>
    </section>
  );
}
