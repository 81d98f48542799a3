/**
 * Pending approvals: the list (oldest first) and the selected one's detail. Fully keyboard usable: the list
 * is a set of buttons (Tab, Enter; Up/Down move between them), the detail's heading takes focus on selection,
 * and Approve / Deny / Edit are plain buttons.
 */
import { useEffect, useRef, useState } from 'react';
import type { ApprovalHold, DeviceApi } from '../../../bridge/protocol/index.js';
import { type DeviceState, formatLeft, useNow } from '../deviceState.js';
import { ApprovalDetail } from './ApprovalDetail.js';
import { ConsentCard } from './ClientConsent.js';

/** The approvals screen. */
export function Approvals({ api, state }: { api: DeviceApi; state: DeviceState }) {
  const now = useNow();
  const [selected, setSelected] = useState<string | null>(null);
  const [focusDetail, setFocusDetail] = useState(false);
  const list = useRef<HTMLUListElement>(null);
  const current = state.approvals.find((a) => a.callId === selected) ?? state.approvals[0];

  useEffect(() => {
    if (selected && !state.approvals.some((a) => a.callId === selected)) setSelected(null);
  }, [state.approvals, selected]);

  const onListKey = (e: React.KeyboardEvent) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const buttons = [...(list.current?.querySelectorAll('button') ?? [])];
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
    const next = buttons[Math.min(buttons.length - 1, Math.max(0, at + (e.key === 'ArrowDown' ? 1 : -1)))];
    next?.focus();
    e.preventDefault();
  };

  const held = (
    <>
      {state.consents.map((c) => (
        <ConsentCard key={c.id} api={api} request={c} />
      ))}
      <HeldList api={api} held={state.held} now={now} />
    </>
  );
  if (state.approvals.length === 0) {
    return (
      <section className="screen" aria-labelledby="approvals-title">
        <h1 id="approvals-title">Approvals</h1>
        {held}
        {state.consents.length === 0 && (
          <p className="empty" role="status">
            Nothing is waiting for you. When an AI asks to write in Telegram, the request appears here.
          </p>
        )}
      </section>
    );
  }
  return (
    <section className="screen approvals" aria-labelledby="approvals-title">
      <h1 id="approvals-title">Approvals</h1>
      {held}
      <div className="split">
        <ul className="approval-list" aria-label="Pending approvals" ref={list} onKeyDown={onListKey}>
          {state.approvals.map((a) => (
            <li key={a.callId}>
              <button
                type="button"
                aria-current={a.callId === current?.callId ? 'true' : undefined}
                onClick={() => {
                  setSelected(a.callId);
                  setFocusDetail(true);
                }}
              >
                <span className="item-effect">{a.effect}</span>
                <span className="muted">
                  {a.client ?? 'AI client'} · {formatLeft(a.expiresAt - now)} left
                </span>
              </button>
            </li>
          ))}
        </ul>
        {current && (
          <ApprovalDetail
            api={api}
            view={current}
            autoFocus={focusDetail}
            onDone={() => setFocusDetail(true)}
          />
        )}
      </div>
    </section>
  );
}

/** Approvals in their undo window: what will be sent, a countdown and Undo. */
function HeldList({ api, held, now }: { api: DeviceApi; held: ApprovalHold[]; now: number }) {
  const [error, setError] = useState('');
  if (held.length === 0) return null;
  const undo = async (callId: string) => {
    try {
      const r = await api.call('approvals.undo', { callId });
      setError(r.ok ? '' : (r.error ?? 'Could not undo.'));
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <section className="card held" aria-label="Approved, can still be undone">
      <ul>
        {held.map((h) => (
          <li key={h.callId} data-held-call-id={h.callId}>
            <span role="status">
              Approved: {h.effect} — sends in {formatLeft(h.sendsAt - now)}
            </span>
            <button type="button" onClick={() => void undo(h.callId)}>
              Undo
            </button>
          </li>
        ))}
      </ul>
      <p className="error" role="alert">
        {error}
      </p>
    </section>
  );
}
