/** The CLI's sentences for an audit verdict and a relay link status (the demo and CI grep for them). */
import type { VerifyResult } from '../audit/auditChain.js';
import type { LinkStatus } from '../link/relayLink.js';

/**
 * The verdict, first line starting `audit chain:` (the demo and CI grep for it), then what was proven: with the
 * key, or consistency only; entries without MACs; incidents the device recorded earlier.
 */
export function describeVerify(r: VerifyResult): string {
  const lines: string[] = [];
  if (r.ok) {
    const torn = r.torn_tail ? ' (a torn final line from a crash will be repaired on next start)' : '';
    const nl = r.missing_newline ? ' (the last entry lacks its newline; it is added on next start)' : '';
    lines.push(`audit chain: ok — ${r.verified} entries verified${torn}${nl}`);
  } else {
    lines.push(
      `audit chain: BROKEN at entry ${r.first_bad_seq ?? '?'} — ${r.reason ?? 'unknown reason'} (${r.verified} entries before it verify)`,
    );
  }
  lines.push(
    r.keyed
      ? '  checked with this device\'s key: entry MACs and the head record (nothing cut from the end, no rollback, no rewrite without the key)'
      : '  checked WITHOUT the device key: internal consistency only — this does not show who wrote the file, nor that entries were not cut from its end or the whole file rewritten',
  );
  if (r.legacy_unkeyed) {
    lines.push(`  ${r.legacy_unkeyed} entries predate keying (no MAC of their own; anchored by the keyed entries after them)`);
  }
  for (const i of r.incidents ?? []) lines.push(`  WARNING: at entry ${i.seq} this device recorded: ${i.what}`);
  return lines.join('\n');
}

/** Human line for a link status. */
export function describeStatus(s: LinkStatus): string {
  switch (s.state) {
    case 'connecting':
      return `relay: connecting (attempt ${s.attempt})…`;
    case 'connected':
      return 'relay: connected — AI tool calls now reach this device';
    case 'waiting':
      return `relay: ${s.reason}; retrying in ${(s.retryInMs / 1000).toFixed(1)} s`;
    case 'stopped':
      return 'relay: disconnected';
  }
}
