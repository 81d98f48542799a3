/**
 * The values an entry's enumerated fields may take and the size of its MAC (PROTOCOL.md "Audit chain"), as plain
 * constants: the schema (entry.ts) builds its enums from them, and verify's fast reader (entryScan.ts), which
 * runs in worker threads, matches stored bytes against them without loading zod (about 50 ms per thread).
 */

/** Phases of a call an entry records (see `AuditPhase` in entry.ts). */
export const AUDIT_PHASES = ['asked', 'decision', 'intent', 'result'] as const;

/** How a call ended (see `AuditStatus` in entry.ts). */
export const AUDIT_STATUSES = [
  'ok',
  'pending',
  'undone',
  'dry_run',
  'denied',
  'expired',
  'cancelled',
  'rate_limited',
  'invalid',
  'error',
] as const;

/** Who decided a write (see `AuditDecidedBy` in entry.ts). */
export const AUDIT_DECIDERS = ['person', 'rule', 'auto', '—'] as const;

/** Length of an entry MAC, in bytes (HMAC-SHA-256 truncated to 128 bits, RFC 2104 §5). */
export const ENTRY_MAC_BYTES = 16;
