/**
 * A new AI app asking to use the person's Telegram (custody rule 7): who asks (its name with hidden characters
 * made visible), through which relay, and the person's choice — read-only or read + ask-to-write, all chats
 * or chosen chats (picked from their own chat list, searchable). Deny is the safe default: nothing is
 * allowed until the person presses Allow with a choice made. Also the list of AI apps allowed on this
 * computer, each revocable.
 */
import { useEffect, useState } from 'react';
import type { ChatOption, ClientView, ConsentRequestView, DeviceApi } from '../../../bridge/protocol/index.js';
import { MAX_CLIENT_NAME_LENGTH } from '../../../bridge/protocol/index.js';
import { visibleText } from '../../../bridge/protocol/visibleText.js';
import { formatLeft, useNow } from '../deviceState.js';

/** The most chats one AI app may be given by name (ClientScope in bridge/protocol/frames.ts). */
const MAX_CHOSEN = 500;

/** One request: the question, the scope choice, Allow and Deny. `onDone` after an answer went through. */
export function ConsentCard({
  api,
  request,
  autoFocus,
  onDone,
}: {
  api: DeviceApi;
  request: ConsentRequestView;
  autoFocus?: boolean;
  onDone?: (approved: boolean) => void;
}) {
  const now = useNow();
  const [access, setAccess] = useState<'read' | 'read_write'>('read');
  const [which, setWhich] = useState<'all' | 'chosen'>('all');
  const [chosen, setChosen] = useState<string[]>([]);
  const [error, setError] = useState('');
  const name = visibleText(request.clientName || request.clientId, { maxLength: MAX_CLIENT_NAME_LENGTH });
  const relay = visibleText(request.relay, { maxLength: 200 });

  const answer = async (approved: boolean) => {
    setError('');
    if (approved && which === 'chosen' && chosen.length === 0) {
      setError('Pick at least one chat, or choose all chats.');
      return;
    }
    try {
      const r = approved
        ? await api.call('consent.decide', {
            id: request.id,
            approved: true,
            scope: { access, chats: which === 'all' ? 'all' : chosen },
          })
        : await api.call('consent.decide', { id: request.id, approved: false });
      if (r.ok) onDone?.(approved);
      else setError(r.error ?? 'That did not work.');
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <section className="card consent" aria-labelledby={`consent-${request.id}`}>
      <h2 id={`consent-${request.id}`} tabIndex={-1} ref={(h) => (autoFocus ? h?.focus() : undefined)}>
        ‹{name.text}› wants to use your Telegram
      </h2>
      <p className="muted">
        Through {relay.text} · waits {formatLeft(request.expiresAt - now)} more for your answer, then it is denied
      </p>
      {name.hidden && (
        <p className="flag" role="note">
          The name contains hidden characters (shown escaped). An app that hides characters in its name may be
          posing as another.
        </p>
      )}
      <fieldset>
        <legend>What it may do</legend>
        <label className="check">
          <input type="radio" name={`access-${request.id}`} checked={access === 'read'} onChange={() => setAccess('read')} />
          <span>Read only: list chats and read messages</span>
        </label>
        <label className="check">
          <input
            type="radio"
            name={`access-${request.id}`}
            checked={access === 'read_write'}
            onChange={() => setAccess('read_write')}
          />
          <span>Read, and ask to write (every send, edit or delete still waits for your approval here)</span>
        </label>
      </fieldset>
      <fieldset>
        <legend>Which chats</legend>
        <label className="check">
          <input type="radio" name={`chats-${request.id}`} checked={which === 'all'} onChange={() => setWhich('all')} />
          <span>All chats</span>
        </label>
        <label className="check">
          <input type="radio" name={`chats-${request.id}`} checked={which === 'chosen'} onChange={() => setWhich('chosen')} />
          <span>Only the chats I pick</span>
        </label>
        {which === 'chosen' && <ChatPicker api={api} chosen={chosen} setChosen={setChosen} />}
      </fieldset>
      <div className="actions">
        <button type="button" className="primary" onClick={() => void answer(true)}>
          Allow
        </button>
        <button type="button" className="danger" onClick={() => void answer(false)}>
          Deny
        </button>
      </div>
      <p className="error" role="alert">
        {error}
      </p>
    </section>
  );
}

/** The person's chats with a search box; checked ones are the scope. */
function ChatPicker({ api, chosen, setChosen }: { api: DeviceApi; chosen: string[]; setChosen: (c: string[]) => void }) {
  const [query, setQuery] = useState('');
  const [chats, setChats] = useState<ChatOption[] | null>(null);
  const [titles, setTitles] = useState<Record<string, string>>({});
  const [error, setError] = useState('');
  useEffect(() => {
    let live = true;
    const timer = setTimeout(() => {
      api.call('chats.list', { limit: 50, ...(query.trim() ? { query: query.trim() } : {}) }).then(
        (list) => {
          if (!live) return;
          setChats(list);
          setError('');
        },
        (err: unknown) => live && setError(`Could not load your chats: ${(err as Error).message}`),
      );
    }, 200);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [api, query]);

  const toggle = (chat: ChatOption, on: boolean) => {
    setTitles((t) => ({ ...t, [chat.peer]: chat.title }));
    setChosen(on ? [...new Set([...chosen, chat.peer])].slice(0, MAX_CHOSEN) : chosen.filter((p) => p !== chat.peer));
  };

  return (
    <div className="chat-picker">
      <label className="field">
        <span>Find a chat</span>
        <input type="search" value={query} onChange={(e) => setQuery(e.target.value)} placeholder="Name or @username" />
      </label>
      {chats === null && !error && <p className="muted" role="status">Loading your chats…</p>}
      {chats && chats.length === 0 && <p className="muted">No chat matches.</p>}
      <ul aria-label="Your chats">
        {(chats ?? []).map((c) => (
          <li key={c.peer}>
            <label className="check">
              <input type="checkbox" checked={chosen.includes(c.peer)} onChange={(e) => toggle(c, e.target.checked)} />
              <span>
                {visibleText(c.title, { maxLength: 80 }).text} <span className="muted">({c.type})</span>
              </span>
            </label>
          </li>
        ))}
      </ul>
      <p className="muted" role="status">
        {chosen.length === 0
          ? 'No chats picked yet.'
          : `Picked: ${chosen.map((p) => visibleText(titles[p] ?? p, { maxLength: 40 }).text).join(', ')}`}
      </p>
      <p className="error" role="alert">
        {error}
      </p>
    </div>
  );
}

/** AI apps allowed on this computer, with their scope and Revoke. */
export function AllowedApps({ api, clients }: { api: DeviceApi; clients: ClientView[] }) {
  const [message, setMessage] = useState('');
  const revoke = async (c: ClientView, name: string) => {
    const r = await api
      .call('clients.revoke', { clientId: c.clientId })
      .catch((err: unknown) => ({ ok: false, error: (err as Error).message }));
    setMessage(r.ok ? `Revoked: ${name} cannot use your Telegram until you allow it again.` : (r.error ?? 'Could not revoke.'));
  };
  return (
    <div className="card">
      <h2>AI apps allowed on this computer</h2>
      {clients.length === 0 ? (
        <p className="muted">None yet: the first time an AI app asks, you choose here what it may do.</p>
      ) : (
        <ul className="rules">
          {clients.map((c) => {
            const name = visibleText(c.clientName || c.clientId, { maxLength: MAX_CLIENT_NAME_LENGTH }).text;
            const chats = c.scope.chats === 'all' ? 'all chats' : `${c.scope.chats.length} chosen chat${c.scope.chats.length === 1 ? '' : 's'}`;
            return (
              <li key={c.clientId}>
                <span>
                  ‹{name}› — {c.scope.access === 'read' ? 'read only' : 'read + ask to write'}, {chats}
                  <span className="muted"> · via {visibleText(c.via ?? c.relay, { maxLength: 200 }).text}</span>
                </span>
                <button type="button" className="danger" aria-label={`Revoke AI app ${name}`} onClick={() => void revoke(c, name)}>
                  Revoke
                </button>
              </li>
            );
          })}
        </ul>
      )}
      <p className="notice" role="status">
        {message}
      </p>
    </div>
  );
}
