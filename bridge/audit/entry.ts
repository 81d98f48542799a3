/**
 * Audit entry schema (PROTOCOL.md "Audit chain"): what a caller may record, what a stored line holds, the
 * canonical line form, and the errors of the audit module.
 *
 * Line format (fields in this fixed order, no spaces, `error` only when present, `mac` on keyed entries):
 * `{"seq":1,"ts":"2025-01-01T00:00:00.000Z","call_id":"…","tool":"send_message","peer":"user#3f9a12bc",
 *   "phase":"intent","status":"ok","decided_by":"person","prev_hash":"00…00","hash":"…","mac":"…"}`
 *
 * Privacy by schema: an entry can only hold the fields above, each restricted to code-like characters, so
 * message text, file contents or paths, phone numbers, codes, passwords, tokens, session strings and names
 * cannot be stored (PROTOCOL.md "Never stored"). None of the value alphabets contains `{`, `}`, `"`, `\` or a
 * line break: a canonical line needs no JSON escapes, which is what lets verify read fields straight from the
 * stored bytes and tell a torn final line apart from a tampered one.
 */
import { z } from 'zod';
import { AUDIT_DECIDERS, AUDIT_PHASES, AUDIT_STATUSES } from './entryValues.js';

/** `prev_hash` of the first entry: 32 zero bytes, hex (PROTOCOL.md). */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * What an entry records (custody rule 4; issue 8 §6): a write put to the person (`asked`, status `pending`), the
 * person's approval (`decision`, before any undo window), the start of a call's effect (`intent`), its outcome
 * (`result`).
 */
export const AuditPhase = z.enum(AUDIT_PHASES);
export type AuditPhase = z.infer<typeof AuditPhase>;

/** How a call ended (PROTOCOL.md "Audit chain"). */
export const AuditStatus = z.enum(AUDIT_STATUSES);
export type AuditStatus = z.infer<typeof AuditStatus>;

/** Who decided a write: the person, a standing rule they made, an automatic decision, or nobody (`—`). */
export const AuditDecidedBy = z.enum(AUDIT_DECIDERS);
export type AuditDecidedBy = z.infer<typeof AuditDecidedBy>;

/** Relay call ids: uuids and similar, up to 128 characters of `[A-Za-z0-9._:-]`; empty when there is no call. */
export const CALL_ID = /^[A-Za-z0-9._:-]{0,128}$/;
/** Tool names (`send_message`) or a fixed placeholder such as `unknown`: 1–64 of `[A-Za-z0-9._:-]`. */
export const TOOL = /^[A-Za-z0-9._:-]{1,64}$/;
/** A peer tag as `AuditChain.peerTag` writes it (kind and 8 hex digits, no name, no username), or empty. */
export const PEER_TAG = /^(?:(?:user|chat|channel|username|peer)#[0-9a-f]{8})?$/;
/**
 * An error code or a short code-like note (`flood_wait`, `telegram_error: PEER_ID_INVALID`): 1–200 characters
 * of letters, digits, space and `_ . : , ; = ( ) [ ] -`. No line breaks, quotes, `@`, `+`, `/` or braces, so
 * free text, usernames, phone numbers and file paths don't fit.
 */
export const ERROR_CODE = /^[A-Za-z0-9_.:,;=()[\] -]{1,200}$/;
const ISO_UTC_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const HEX_HASH = /^[0-9a-f]{64}$/;
/** An entry MAC: 16 bytes (HMAC-SHA-256 truncated to 128 bits), 32 lower-case hex digits. */
const HEX_MAC = /^[0-9a-f]{32}$/;

const fields = {
  call_id: z.string().regex(CALL_ID, 'call_id: up to 128 of A-Z a-z 0-9 . _ : -'),
  tool: z.string().regex(TOOL, 'tool: 1–64 of A-Z a-z 0-9 . _ : -'),
  peer: z
    .string()
    .regex(PEER_TAG, 'peer: must be a peer tag (e.g. user#3f9a12bc, see AuditChain.peerTag) or empty'),
  phase: AuditPhase,
  status: AuditStatus,
  decided_by: AuditDecidedBy,
  error: z
    .string()
    .regex(
      ERROR_CODE,
      'error: a short code (1–200 of letters, digits, space, _ . : , ; = ( ) [ ] -), not free text',
    )
    .optional(),
};

/**
 * What a caller may record: exactly these fields (a strict object: any other key, e.g. `text`, is rejected).
 * `call_id` and `peer` default to `''`, `decided_by` to `'—'`.
 */
export const AuditInputSchema = z.strictObject({
  call_id: fields.call_id.default(''),
  tool: fields.tool,
  peer: fields.peer.default(''),
  phase: fields.phase,
  status: fields.status,
  decided_by: fields.decided_by.default('—'),
  error: fields.error,
});
/** Argument of `AuditChain.append`. */
export type AuditInput = z.input<typeof AuditInputSchema>;
/** A validated {@link AuditInput} with its defaults filled in. */
export type AuditRecord = z.output<typeof AuditInputSchema>;

/** One stored entry, as a line of the file holds it. */
export const AuditEntrySchema = z.strictObject({
  seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  ts: z.string().regex(ISO_UTC_MS, 'ts: ISO 8601 UTC with milliseconds'),
  call_id: fields.call_id,
  tool: fields.tool,
  peer: fields.peer,
  phase: fields.phase,
  status: fields.status,
  decided_by: fields.decided_by,
  error: fields.error,
  prev_hash: z.string().regex(HEX_HASH, 'prev_hash: 64 lower-case hex digits'),
  hash: z.string().regex(HEX_HASH, 'hash: 64 lower-case hex digits'),
  mac: z.string().regex(HEX_MAC, 'mac: 32 lower-case hex digits').optional(),
});
/**
 * One audit entry. `ts` is ISO 8601 UTC with ms; hashes are 64 lower-case hex digits; `mac` (keyed chains,
 * format 2) is 32 hex digits, absent on entries written before keying (format 1, "legacy").
 */
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

/**
 * The one canonical line of an entry (without the trailing newline): fixed key order, no spaces — exactly
 * `JSON.stringify` of the fields in that order. Written out directly: no value the schema accepts needs a JSON
 * escape (see the module comment), so the template is that text without building an object per entry.
 * @param e an entry that satisfies {@link AuditEntrySchema} (a value outside its alphabets would not be escaped).
 */
export function serialiseEntry(e: AuditEntry): string {
  const error = e.error === undefined ? '' : `,"error":"${e.error}"`;
  const mac = e.mac === undefined ? '' : `,"mac":"${e.mac}"`;
  return (
    `{"seq":${e.seq},"ts":"${e.ts}","call_id":"${e.call_id}","tool":"${e.tool}","peer":"${e.peer}",` +
    `"phase":"${e.phase}","status":"${e.status}","decided_by":"${e.decided_by}"${error},` +
    `"prev_hash":"${e.prev_hash}","hash":"${e.hash}"${mac}}`
  );
}

/** A caller tried to record something the schema forbids. Nothing was written. */
export class AuditInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditInputError';
  }
}

/** The audit file can't be used: damaged at its end, closed, keyed with another key, or an earlier write failed. */
export class AuditChainError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuditChainError';
  }
}
