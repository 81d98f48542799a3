/**
 * The connection screen: where the relay is, whether the link is up, the last error and the reconnect
 * countdown; Connect / Disconnect; set the relay up by device pairing (a code the person confirms on the
 * relay while signed in) or by pasting a bridge token; forget it. The set-up is saved on this computer, so
 * the next start reconnects by itself.
 */
import { useEffect, useState } from 'react';
import type { DeviceApi, DeviceStatus, PairingStep } from '../../../bridge/protocol/index.js';
import { sentence } from '../../../bridge/protocol/sentence.js';
import { formatLeft, useNow } from '../deviceState.js';

const WORDS: Record<DeviceStatus['link']['state'], string> = {
  connected: 'Connected — AI tool calls reach this computer',
  connecting: 'Connecting…',
  waiting: 'Offline — will retry',
  stopped: 'Disconnected',
  unconfigured: 'No relay set up yet',
};

type Result = { ok: boolean; error?: string };

/** The connection screen. */
export function Connection({ api, status, pairing }: { api: DeviceApi; status: DeviceStatus | null; pairing: PairingStep }) {
  const now = useNow();
  const [message, setMessage] = useState('');
  const link = status?.link;

  const act = async (fn: () => Promise<Result>, done: string) => {
    setMessage('');
    try {
      const r = await fn();
      setMessage(r.ok ? done : sentence(r.error ?? 'That did not work.'));
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
          <dt>Relay account</dt>
          <dd>{link?.pairedAs ? `${link.pairedAs} (paired device)` : link?.relayUrl ? 'set by bridge token' : '—'}</dd>
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
          <button
            type="button"
            disabled={!link || link.state === 'unconfigured'}
            onClick={() =>
              void act(() => api.call('link.forget', {}), 'Forgot the relay: AI assistants cannot reach this computer until you set one up again.')
            }
          >
            Forget this relay
          </button>
        </div>
      </div>
      <Pairing api={api} step={pairing} now={now} />
      <TokenForm api={api} act={act} />
      <p className="error" role="alert">
        {message}
      </p>
    </section>
  );
}

/** Device pairing: relay address → a code to confirm on the relay → paired. */
function Pairing({ api, step, now }: { api: DeviceApi; step: PairingStep; now: number }) {
  const suggested = step.step === 'idle' ? step.suggestedRelayUrl : undefined;
  const [relayUrl, setRelayUrl] = useState(suggested ?? '');
  const [error, setError] = useState('');
  useEffect(() => {
    if (suggested) setRelayUrl(suggested);
  }, [suggested]);

  const call = async (fn: () => Promise<unknown>) => {
    setError('');
    try {
      await fn();
    } catch (err) {
      setError((err as Error).message);
    }
  };

  if (step.step === 'starting' || step.step === 'code') {
    const page = step.step === 'code' ? (step.verificationUriComplete ?? step.verificationUri) : null;
    return (
      <div className="card pairing" aria-labelledby="pairing-title">
        <h2 id="pairing-title">Pairing with {step.relayUrl}</h2>
        {step.step === 'starting' ? (
          <p role="status">Asking the relay for a pairing code…</p>
        ) : (
          <>
            <p>
              Open the relay's pairing page, sign in to your relay account there, and check that it shows this code:
            </p>
            <p className="pairing-code" aria-label="Pairing code">
              {step.code}
            </p>
            <p>
              <a href={page ?? undefined} target="_blank" rel="noopener noreferrer">
                Open the pairing page
              </a>{' '}
              <span className="muted">({page})</span>
            </p>
            <p className="muted" role="status">
              Waiting for you to confirm on the relay · the code expires in {formatLeft(step.expiresAt - now)}
            </p>
          </>
        )}
        <div className="actions">
          <button type="button" onClick={() => void call(() => api.call('link.pairCancel', {}))}>
            Cancel pairing
          </button>
        </div>
        <p className="error" role="alert">
          {error}
        </p>
      </div>
    );
  }

  return (
    <form
      className="card"
      aria-labelledby="pair-title"
      onSubmit={(e) => {
        e.preventDefault();
        void call(() => api.call('link.pair', { relayUrl }));
      }}
    >
      <h2 id="pair-title">Pair with your relay account</h2>
      {step.step === 'done' && (
        <p role="status">
          Paired with {step.relayUrl} as {step.user}. This computer reconnects there by itself from now on.
        </p>
      )}
      {suggested && (
        <p role="status">
          A link asked to pair with this relay. Check the address is the relay you use before you press Pair.
        </p>
      )}
      <p className="muted">
        The recommended way: this computer makes its own key and gets a code; you confirm the code on the relay while
        signed in. No token to copy.
      </p>
      <label className="field">
        <span>Relay address</span>
        <input
          type="url"
          value={relayUrl}
          onChange={(e) => setRelayUrl(e.target.value)}
          placeholder="https://relay.example"
          required
        />
      </label>
      <button type="submit" className="primary">
        Pair
      </button>
      <p className="error" role="alert">
        {step.step === 'failed' ? step.error : error}
      </p>
    </form>
  );
}

/** The other way: a relay address and a bridge token the relay gave you. */
function TokenForm({ api, act }: { api: DeviceApi; act: (fn: () => Promise<Result>, done: string) => Promise<void> }) {
  const [relayUrl, setRelayUrl] = useState('');
  const [token, setToken] = useState('');
  return (
    <details className="card">
      <summary>Or use a bridge token</summary>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void act(() => api.call('link.configure', { relayUrl, bridgeToken: token }), 'Saved; connecting to the new relay.');
          setToken('');
        }}
      >
        <p className="muted">For a relay that gives out bridge tokens: paste the address and the token it showed you.</p>
        <label className="field">
          <span>Relay URL</span>
          <input type="url" value={relayUrl} onChange={(e) => setRelayUrl(e.target.value)} placeholder="https://relay.example" required />
        </label>
        <label className="field">
          <span>Bridge token</span>
          <input type="password" value={token} onChange={(e) => setToken(e.target.value)} autoComplete="off" required />
        </label>
        <button type="submit">Save and connect</button>
      </form>
    </details>
  );
}
