/**
 * The connection screen: where the relay is, whether the link is up, the last error and the reconnect
 * countdown; set the relay URL and bridge token; Connect / Disconnect.
 */
import { useState } from 'react';
import type { DeviceApi, DeviceStatus } from '../../../bridge/protocol/index.js';
import { formatLeft, useNow } from '../deviceState.js';

const WORDS: Record<DeviceStatus['link']['state'], string> = {
  connected: 'Connected — AI tool calls reach this computer',
  connecting: 'Connecting…',
  waiting: 'Offline — will retry',
  stopped: 'Disconnected',
  unconfigured: 'No relay set up yet',
};

/** The connection screen. */
export function Connection({ api, status }: { api: DeviceApi; status: DeviceStatus | null }) {
  const now = useNow();
  const [relayUrl, setRelayUrl] = useState('');
  const [token, setToken] = useState('');
  const [message, setMessage] = useState('');
  const link = status?.link;

  const act = async (fn: () => Promise<{ ok: boolean; error?: string }>, done: string) => {
    setMessage('');
    try {
      const r = await fn();
      setMessage(r.ok ? done : (r.error ?? 'That did not work.'));
    } catch (err) {
      setMessage((err as Error).message);
    }
  };

  return (
    <section className="screen" aria-labelledby="connection-title">
      <h1 id="connection-title">Connection</h1>
      <div className="card">
        <p className={`link-state link-${link?.state ?? 'unknown'}`} role="status">
          {link ? WORDS[link.state] : 'Loading…'}
        </p>
        <dl className="facts">
          <dt>Relay</dt>
          <dd>{link?.relayUrl ?? 'not set'}</dd>
          <dt>Last error</dt>
          <dd>{link?.lastError ?? 'none'}</dd>
          <dt>Next try</dt>
          <dd>{link?.state === 'waiting' && link.retryAt ? `in ${formatLeft(link.retryAt - now)}` : '—'}</dd>
        </dl>
        <div className="actions">
          <button
            type="button"
            className="primary"
            disabled={!link || link.state === 'connected' || link.state === 'unconfigured'}
            onClick={() => void act(() => api.call('link.connect', {}), 'Connecting.')}
          >
            Connect
          </button>
          <button
            type="button"
            disabled={!link || link.state === 'stopped' || link.state === 'unconfigured'}
            onClick={() => void act(() => api.call('link.disconnect', {}), 'Disconnected: AI calls wait until you connect again.')}
          >
            Disconnect
          </button>
        </div>
      </div>
      <form
        className="card"
        onSubmit={(e) => {
          e.preventDefault();
          void act(() => api.call('link.configure', { relayUrl, bridgeToken: token }), 'Saved; connecting to the new relay.');
          setToken('');
        }}
      >
        <h2>Relay</h2>
        <label className="field">
          <span>Relay URL</span>
          <input type="url" value={relayUrl} onChange={(e) => setRelayUrl(e.target.value)} placeholder="https://relay.example" required />
        </label>
        <label className="field">
          <span>Bridge token</span>
          <input type="password" value={token} onChange={(e) => setToken(e.target.value)} autoComplete="off" required />
        </label>
        <p className="muted">Pairing with a code from the relay is coming; for now paste the bridge token the relay gave you.</p>
        <button type="submit">Save and connect</button>
      </form>
      <p className="error" role="alert">
        {message}
      </p>
    </section>
  );
}
