/**
 * The audit chain view: newest first, paged, filtered by tool and outcome; Verify says in plain words whether
 * the chain is intact; Export saves the verified chain as a JSON Lines file.
 */
import { useCallback, useEffect, useState } from 'react';
import type { AuditRow, DeviceApi } from '../../../bridge/protocol/index.js';

const PAGE = 20;
const STATUSES = ['ok', 'dry_run', 'denied', 'expired', 'cancelled', 'rate_limited', 'invalid', 'error'];

/** The audit screen. `auditSeq` changes when an entry is appended (the page refreshes). */
export function Audit({ api, auditSeq }: { api: DeviceApi; auditSeq: number }) {
  const [rows, setRows] = useState<AuditRow[]>([]);
  const [total, setTotal] = useState(0);
  const [offset, setOffset] = useState(0);
  const [tool, setTool] = useState('');
  const [status, setStatus] = useState('');
  const [verdict, setVerdict] = useState<{ ok: boolean; summary: string } | null>(null);
  const [error, setError] = useState('');

  const load = useCallback(async () => {
    try {
      const page = await api.call('audit.page', {
        offset,
        limit: PAGE,
        ...(tool ? { tool } : {}),
        ...(status ? { status } : {}),
      });
      setRows(page.rows);
      setTotal(page.total);
      setError('');
    } catch (err) {
      setError((err as Error).message);
    }
  }, [api, offset, tool, status]);
  useEffect(() => {
    void load();
  }, [load, auditSeq]);

  const verify = async () => {
    setVerdict(null);
    try {
      setVerdict(await api.call('audit.verify', {}));
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const exportChain = async () => {
    try {
      const { fileName, jsonl } = await api.call('audit.export', {});
      const url = URL.createObjectURL(new Blob([jsonl], { type: 'application/x-ndjson' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = fileName;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <section className="screen" aria-labelledby="audit-title">
      <h1 id="audit-title">Audit chain</h1>
      <p className="muted">
        Every call the AI made, in order, hash-chained so changes show. Entries hold the tool, a tag for the chat
        and the outcome — never message text.
      </p>
      <div className="toolbar">
        <label className="field inline">
          <span>Tool</span>
          <input
            type="search"
            value={tool}
            onChange={(e) => {
              setTool(e.target.value.trim());
              setOffset(0);
            }}
            placeholder="e.g. send_message"
          />
        </label>
        <label className="field inline">
          <span>Outcome</span>
          <select
            value={status}
            onChange={(e) => {
              setStatus(e.target.value);
              setOffset(0);
            }}
          >
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="primary" onClick={() => void verify()}>
          Verify
        </button>
        <button type="button" onClick={() => void exportChain()}>
          Export
        </button>
      </div>
      <p className={`verdict ${verdict ? (verdict.ok ? 'good' : 'bad') : ''}`} role="status">
        {verdict?.summary ?? ''}
      </p>
      <table className="audit-table">
        <caption className="sr-only">Audit entries, newest first</caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Time</th>
            <th scope="col">Tool</th>
            <th scope="col">Chat tag</th>
            <th scope="col">Phase</th>
            <th scope="col">Outcome</th>
            <th scope="col">Decided by</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.seq}>
              <td>{r.seq}</td>
              <td>{new Date(r.ts).toLocaleString()}</td>
              <td>
                <code>{r.tool}</code>
              </td>
              <td>
                <code>{r.peer || '—'}</code>
              </td>
              <td>{r.phase}</td>
              <td>
                {r.status}
                {r.error ? <span className="muted"> ({r.error})</span> : null}
              </td>
              <td>{r.decided_by}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length === 0 && <p className="empty">No entries{tool || status ? ' match this filter' : ' yet'}.</p>}
      <div className="pager">
        <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
          Newer
        </button>
        <span>
          {total === 0 ? '0' : `${offset + 1}–${Math.min(total, offset + PAGE)}`} of {total}
        </span>
        <button type="button" disabled={offset + PAGE >= total} onClick={() => setOffset(offset + PAGE)}>
          Older
        </button>
      </div>
      <p className="error" role="alert">
        {error}
      </p>
    </section>
  );
}
