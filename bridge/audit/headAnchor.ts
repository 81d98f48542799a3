/**
 * The head record: the chain's last (seq, hash) kept outside the audit file, in `audit.head` beside it (0600,
 * replaced atomically), with a MAC under the device key. It is what lets verify see that entries were cut from
 * the end, that the file was rolled back to an older copy, or that it was swapped for another chain (issue 8 §6).
 *
 * File: one JSON line `{"v":1,"seq":12,"hash":"…","legacy_until":0,"key_id":"1a2b3c4d","mac":"…"}` where
 * `legacy_until` is the last seq written before this chain was keyed (its entries carry no MAC), `key_id` names
 * the device key (deviceKey.ts) and `mac = HMAC-SHA-256(head key, "tg-bridge audit head v1\n" seq "\n" hash
 * "\n" legacy_until "\n" key_id)`, hex.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import type { DeviceKey } from './deviceKey.js';
import { replaceFileAtomic } from './fileIo.js';

/** The anchored head of a chain. `seq` 0 with the genesis hash is an empty chain. */
export interface ChainHead {
  seq: number;
  hash: string;
  /** Entries 1…legacy_until predate keying and carry no MAC. */
  legacy_until: number;
}

/** What reading the head record found. */
export type HeadRead =
  | { state: 'missing' }
  | { state: 'invalid'; why: string }
  | { state: 'other_key'; key_id: string }
  | { state: 'ok'; head: ChainHead };

const HeadFile = z.strictObject({
  v: z.literal(1),
  seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  legacy_until: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  key_id: z.string().regex(/^[0-9a-f]{8}$/),
  mac: z.string().regex(/^[0-9a-f]{64}$/),
});

/** `audit.jsonl` → `audit.head` (any other name gets `.head` appended), in the same folder. */
export function headPathFor(auditPath: string): string {
  const name = basename(auditPath);
  return join(dirname(auditPath), `${name.endsWith('.jsonl') ? name.slice(0, -'.jsonl'.length) : name}.head`);
}

function macText(head: ChainHead, keyId: string): string {
  return `tg-bridge audit head v1\n${head.seq}\n${head.hash}\n${head.legacy_until}\n${keyId}`;
}

/**
 * Reads and authenticates the head record at `path`.
 * @returns `missing` (no file), `invalid` (unreadable, or its MAC doesn't check: edited), `other_key` (made
 *   with another device key) or the head.
 * @throws fs errors other than ENOENT.
 */
export async function readHead(path: string, key: DeviceKey): Promise<HeadRead> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'missing' };
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { state: 'invalid', why: 'it is not readable' };
  }
  const parsed = HeadFile.safeParse(json);
  if (!parsed.success) return { state: 'invalid', why: 'it is not in the head record format' };
  const h = parsed.data;
  if (h.key_id !== key.id) return { state: 'other_key', key_id: h.key_id };
  const head = { seq: h.seq, hash: h.hash, legacy_until: h.legacy_until };
  if (key.headMac(macText(head, h.key_id)) !== h.mac) return { state: 'invalid', why: 'its MAC does not check out (edited?)' };
  return { state: 'ok', head };
}

/**
 * Writes the head record atomically (temporary file, fdatasync, rename; mode 0600).
 * @param opts.syncDir also make the rename durable (fsync the folder). Skipped on the append path: a head lost
 *   in a power cut leaves the previous head, which is behind the file — the state a crash between an append and
 *   its head update leaves, which verify accepts.
 * @throws fs errors; the previous head is then untouched.
 */
export async function writeHead(
  path: string,
  head: ChainHead,
  key: DeviceKey,
  opts: { syncDir?: boolean } = {},
): Promise<void> {
  const body = {
    v: 1,
    seq: head.seq,
    hash: head.hash,
    legacy_until: head.legacy_until,
    key_id: key.id,
    mac: key.headMac(macText(head, key.id)),
  };
  await replaceFileAtomic(path, `${JSON.stringify(body)}\n`, opts);
}
