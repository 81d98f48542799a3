/**
 * One pending write, rendered from its {@link ApprovalView} only (custody rule 6): the effect sentence, peer,
 * reply-to, exact text or media, asking client, flags, time left and the undo countdown. Every string is
 * rendered as text (React escapes it); nothing is ever injected as HTML. Approve, Deny (with an optional
 * reason sent to the AI), Edit (when the text is editable) and, when the view offers one, a standing rule
 * made with the approval. The view never decides on its own.
 */
import { useEffect, useId, useRef, useState } from 'react';
import type { ApprovalView, DeviceApi, DeviceResult } from '../../../bridge/protocol/index.js';
import { formatLeft, useNow } from '../deviceState.js';

/** Props of {@link ApprovalDetail}. `onDone` runs after a decision the device accepted. */
export interface ApprovalDetailProps {
  api: DeviceApi;
  view: ApprovalView;
  /** Focus the heading when shown (keyboard users land on the request). */
  autoFocus?: boolean;
  onDone?: (decision: 'approved' | 'denied') => void;
}

const KIND: Record<ApprovalView['peer']['kind'], string> = {
  user: 'person',
  bot: 'bot',
  group: 'group',
  supergroup: 'group',
  channel: 'channel',
};

/** The approval card. */
export function ApprovalDetail({ api, view, autoFocus, onDone }: ApprovalDetailProps) {
  const now = useNow(250);
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(view.text?.shown ?? '');
  const [reason, setReason] = useState('');
  const [always, setAlways] = useState(false);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  const ids = useId();
  const formatted = view.text !== undefined && view.text.format !== 'plain';
  const preview = useEditPreview(api, view.callId, editing && formatted ? draft : null);
  const editShowsNothing = editing && formatted && preview?.empty === true;

  useEffect(() => {
    setEditing(false);
    setDraft(view.text?.shown ?? '');
    setReason('');
    setAlways(false);
    setError('');
    if (autoFocus) heading.current?.focus();
  }, [view.callId, autoFocus, view.text?.shown]);

  const decide = async (kind: 'approve' | 'deny') => {
    if (busy) return;
    setBusy(true);
    setError('');
    try {
      const result =
        kind === 'approve'
          ? await api.call('approvals.approve', {
              callId: view.callId,
              ...(editing && draft !== view.text?.shown ? { text: draft } : {}),
              ...(always ? { always: true } : {}),
            })
          : await api.call('approvals.deny', { callId: view.callId, ...(reason.trim() ? { reason: reason.trim() } : {}) });
      if (result.ok) onDone?.(kind === 'approve' ? 'approved' : 'denied');
      else setError(result.error ?? 'The bridge refused that.');
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const left = view.expiresAt - now;
  const total = Math.max(1, view.expiresAt - view.createdAt);
  return (
    <article className="approval" aria-labelledby={`${ids}-effect`} data-call-id={view.callId}>
      <header className="approval-head">
        <h2 id={`${ids}-effect`} ref={heading} tabIndex={-1} className="effect">
          {view.effect}
        </h2>
        <p className="time-left" aria-live="off">
          <span>Time left: {formatLeft(left)}</span>
          <progress max={total} value={Math.max(0, left)} aria-label="Time left to decide" />
        </p>
      </header>
      {view.flags.length > 0 && (
        <ul className="flags" aria-label="Warnings">
          {view.flags.map((f) => (
            <li key={f.code} className={`flag flag-${f.code}`}>
              {f.message}
            </li>
          ))}
        </ul>
      )}
      <dl className="facts">
        <dt>To</dt>
        <dd>
          {view.peer.title}
          {view.peer.username ? <span className="muted"> @{view.peer.username}</span> : null}
          <span className="muted"> · {KIND[view.peer.kind]} · {view.peer.ref}</span>
        </dd>
        {view.source && (
          <>
            <dt>From chat</dt>
            <dd>{view.source.title}</dd>
          </>
        )}
        {view.replyTo && (
          <>
            <dt>In reply to</dt>
            <dd>
              #{view.replyTo.id} {view.replyTo.from}: <q>{view.replyTo.preview}</q>
            </dd>
          </>
        )}
        <dt>Asked by</dt>
        <dd>{view.client ?? 'an AI client (name not given)'}</dd>
        <dt>Tool</dt>
        <dd>
          <code>{view.tool}</code>
        </dd>
        {view.media && (
          <>
            <dt>File</dt>
            <dd>
              {view.media.kind}
              {view.media.fileName ? ` · ${view.media.fileName}` : ''}
              {view.media.bytes !== undefined ? ` · ${formatBytes(view.media.bytes)}` : ''}
            </dd>
          </>
        )}
      </dl>
      {view.messages && view.messages.length > 0 && (
        <section aria-label="Messages this acts on">
          <ul className="messages">
            {view.messages.map((m) => (
              <li key={m.id}>
                #{m.id} {m.from}: {m.preview}
              </li>
            ))}
          </ul>
          {view.moreMessages ? <p className="muted">and {view.moreMessages} more</p> : null}
        </section>
      )}
      {view.text && !editing && (
        <section aria-label="Exact text">
          <pre className="exact-text">{view.text.shown}</pre>
          {view.text.rendered !== undefined && (
            <p className="muted">
              Shown as ({view.text.format}): {view.text.rendered}
            </p>
          )}
          {view.text.links && view.text.links.length > 0 && (
            <ul className="links" aria-label="Where its links point">
              {view.text.links.map((l, i) => (
                <li key={`${i}:${l}`}>{l}</li>
              ))}
            </ul>
          )}
        </section>
      )}
      {editing && (
        <label className="field">
          <span>Text to send{formatted ? ` (read as ${view.text?.format === 'html' ? 'HTML' : 'Markdown'})` : ''}</span>
          <textarea value={draft} onChange={(e) => setDraft(e.target.value)} rows={5} maxLength={4096} />
        </label>
      )}
      {editing && formatted && preview && (
        <section aria-label="Telegram will show" className="edit-preview">
          <p className="muted">Telegram will show:</p>
          {preview.empty ? (
            <p className="error">Read as {view.text?.format === 'html' ? 'HTML' : 'Markdown'}, this text shows nothing; change it before approving.</p>
          ) : (
            <pre className="exact-text">{preview.rendered}</pre>
          )}
          {preview.links.length > 0 && (
            <ul className="links" aria-label="Where the edited text's links point">
              {preview.links.map((l, i) => (
                <li key={`${i}:${l}`}>{l}</li>
              ))}
            </ul>
          )}
        </section>
      )}
      <label className="field">
        <span>Reason for denying (optional, sent to the AI)</span>
        <input type="text" value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} />
      </label>
      <p className="error" role="alert">
        {error}
      </p>
      {view.rule.allowed && (
        <label className="check">
          <input type="checkbox" checked={always} onChange={(e) => setAlways(e.target.checked)} />
          <span>Also allow without asking: {view.rule.scope}</span>
        </label>
      )}
      <div className="actions">
        <button type="button" className="primary" disabled={busy || editShowsNothing} onClick={() => void decide('approve')}>
          Approve
        </button>
        <button type="button" className="danger" disabled={busy} onClick={() => void decide('deny')}>
          Deny
        </button>
        {view.text?.editable && (
          <button type="button" disabled={busy} aria-pressed={editing} onClick={() => setEditing((e) => !e)}>
            Edit
          </button>
        )}
      </div>
      {!view.rule.allowed && <p className="muted rule-offer">No standing rule can be made: {view.rule.why}</p>}
      {view.undoMs > 0 && (
        <p className="muted">After you approve, you have {formatLeft(view.undoMs)} to undo it.</p>
      )}
    </article>
  );
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** The device's rendering of an edited formatted text (debounced 150 ms); null while not editing one. */
function useEditPreview(api: DeviceApi, callId: string, draft: string | null) {
  const [preview, setPreview] = useState<DeviceResult<'approvals.previewEdit'> | null>(null);
  useEffect(() => {
    if (draft === null) {
      setPreview(null);
      return;
    }
    let live = true;
    const timer = setTimeout(() => {
      api.call('approvals.previewEdit', { callId, text: draft }).then(
        (p) => live && setPreview(p),
        () => live && setPreview(null),
      );
    }, 150);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [api, callId, draft]);
  return preview;
}
