/**
 * The device key (bridge/audit/deviceKey.ts) and the keyed peer tags it gives the audit chain (issue 8 §6):
 * created once, 0600, plain or sealed with a SecretBox; tags that a dictionary of candidate ids or usernames
 * cannot match without the key.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditChain, DeviceKey, deviceKeyPathFor, loadDeviceKey } from '../../../bridge/audit/auditChain.js';
import { EntryMacCheck } from '../../../bridge/audit/entryMacCheck.js';
import { redactPeer } from '../../../bridge/audit/redactPeer.js';
import { PassphraseSecretBox, WrongPassphraseError } from '../../../bridge/vault/secretBox.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-key-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const LOW_COST = { logN: 10, r: 8, p: 1 };

describe('device key file', () => {
  it('is created once (0600, in a 0700 folder) and loads as the same key', async () => {
    const path = deviceKeyPathFor(join(dir, 'home', 'audit.jsonl'));
    expect(path).toBe(join(dir, 'home', 'device.key'));
    expect(await loadDeviceKey(path)).toBeNull();
    const created = (await loadDeviceKey(path, { create: true }))!;
    expect(created.fresh).toBe(true);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'home'))).mode & 0o777).toBe(0o700);
    const again = (await loadDeviceKey(path, { create: true }))!;
    expect(again.fresh).toBe(false);
    expect(again.id).toBe(created.id);
    expect(again.peerTag('user:1')).toBe(created.peerTag('user:1'));
  });

  it('two processes creating it at once end up with one key', async () => {
    const path = join(dir, 'device.key');
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadDeviceKey(path, { create: true })));
    expect(new Set(keys.map((k) => k!.id)).size).toBe(1);
    expect(keys.filter((k) => k!.fresh)).toHaveLength(1);
  });

  it('sealed with a SecretBox: the file holds no plain key; a wrong passphrase or no box is an error', async () => {
    const path = join(dir, 'device.key');
    const box = new PassphraseSecretBox('correct horse battery', LOW_COST);
    const key = (await loadDeviceKey(path, { box, create: true }))!;
    const file = JSON.parse(await readFile(path, 'utf8'));
    expect(Object.keys(file)).toEqual(['v', 'sealed']);
    expect((await loadDeviceKey(path, { box }))!.id).toBe(key.id);
    await expect(loadDeviceKey(path)).rejects.toThrow(/sealed: it needs the vault passphrase/);
    await expect(
      loadDeviceKey(path, { box: new PassphraseSecretBox('wrong passphrase', LOW_COST) }),
    ).rejects.toBeInstanceOf(WrongPassphraseError);
  });

  it('a file that is not a device key is a clear error, and is left alone', async () => {
    const path = join(dir, 'device.key');
    await writeFile(path, 'hello');
    await expect(loadDeviceKey(path, { create: true })).rejects.toThrow(/not a tg-bridge device key file/);
    expect(await readFile(path, 'utf8')).toBe('hello');
    await writeFile(path, JSON.stringify({ v: 1, plain: Buffer.alloc(16).toString('base64') }));
    await expect(loadDeviceKey(path)).rejects.toThrow(/wrong length/);
    expect(() => DeviceKey.fromSecret(Buffer.alloc(31))).toThrow(RangeError);
  });
});

describe('keyed peer tags', () => {
  const key = DeviceKey.fromSecret(randomBytes(32));

  it('keep the shape user#<8 hex>, are stable per peer on this device, and name the kind', () => {
    expect(key.peerTag('user:42')).toMatch(/^user#[0-9a-f]{8}$/);
    expect(key.peerTag('chat:7')).toMatch(/^chat#[0-9a-f]{8}$/);
    expect(key.peerTag('channel:-1001')).toMatch(/^channel#[0-9a-f]{8}$/);
    expect(key.peerTag('@Alice_Demo')).toMatch(/^username#[0-9a-f]{8}$/);
    expect(key.peerTag('user:42')).toBe(key.peerTag('user:42'));
    expect(key.peerTag('42')).toBe(key.peerTag('user:42'));
    expect(key.peerTag('@Alice_Demo')).toBe(key.peerTag('alice_demo'));
    expect(key.peerTag('user:42')).not.toBe(key.peerTag('user:43'));
  });

  it('a dictionary of candidate ids and usernames does not re-identify them without the key', () => {
    const candidates = [
      ...Array.from({ length: 5_000 }, (_, i) => `user:${i + 1}`),
      ...['alice_demo', 'bob_smith', 'durov', 'telegram', 'support_bot'].map((u) => `@${u}`),
    ];
    const stored = new Set(candidates.map((c) => key.peerTag(c)));
    // An attacker without the key: the unkeyed tag, or the keyed tag under any other key.
    const guessKey = DeviceKey.fromSecret(randomBytes(32));
    const unkeyedHits = candidates.filter((c) => stored.has(redactPeer(c)));
    const otherKeyHits = candidates.filter((c) => stored.has(guessKey.peerTag(c)));
    // 5,005 guesses against 5,005 32-bit tags: a chance match is ~0.6%; a working dictionary would match all.
    expect(unkeyedHits.length).toBeLessThanOrEqual(1);
    expect(otherKeyHits.length).toBeLessThanOrEqual(1);
    for (const c of candidates.slice(0, 200)) expect(key.peerTag(c)).not.toBe(redactPeer(c));
  });

  it('AuditChain.peerTag is keyed with the device key, and unkeyed (redactPeer) without one', async () => {
    const keyed = await AuditChain.open(join(dir, 'a.jsonl'), { deviceKey: key, fsync: false });
    const plain = await AuditChain.open(join(dir, 'b.jsonl'), { fsync: false });
    expect(keyed.peerTag('user:42')).toBe(key.peerTag('user:42'));
    expect(plain.peerTag('user:42')).toBe(redactPeer('user:42'));
    const e = await keyed.append({ tool: 'get_messages', phase: 'intent', status: 'ok', peer: keyed.peerTag('user:42') });
    expect(e.peer).toBe(key.peerTag('user:42'));
    await keyed.close();
    await plain.close();
  });
});

describe('entry MAC check (verify)', () => {
  it("the writer's hex MAC is the entry MAC, for any key and hash", () => {
    for (let round = 0; round < 200; round++) {
      const key = DeviceKey.fromSecret(randomBytes(32));
      const hash = randomBytes(32);
      expect(key.entryMacHex(hash.toString('hex'))).toBe(key.entryMac(hash).toString('hex'));
      // The reused buffers carry nothing from one MAC into the next.
      expect(key.entryMacHex(hash.toString('hex'))).toBe(key.entryMac(hash).toString('hex'));
    }
  });

  it('computes exactly HMAC-SHA-256 with the entry key, and matches only its own stored hex', () => {
    for (let round = 0; round < 200; round++) {
      const secret = randomBytes(32);
      const key = DeviceKey.fromSecret(secret);
      const check = new EntryMacCheck(key.entryMacPads());
      const hash = randomBytes(32);
      const mac = key.entryMac(hash);
      const full = Buffer.from(Int32Array.from(check.words(hash), (w) => w).buffer).swap32();
      // The same full HMAC as node:crypto computes over the hash with the pads' key.
      const pads = key.entryMacPads();
      const keyBytes = Buffer.from(pads.ipad.map((b) => b ^ 0x36));
      expect(full.toString('hex')).toBe(createHmac('sha256', keyBytes).update(hash).digest('hex'));
      expect(full.subarray(0, 16).equals(mac)).toBe(true);
      const hex = Buffer.from(`xx${mac.toString('hex')}`, 'latin1');
      expect(check.matches(hash, hex, 2, 16)).toBe(true);
      // Any other digit, an upper-case digit, another hash or another key: no match.
      const i = 2 + (round % 32);
      const flipped = Buffer.from(hex);
      flipped[i] = flipped[i] === 0x30 ? 0x31 : 0x30;
      expect(check.matches(hash, flipped, 2, 16)).toBe(false);
      const upper = Buffer.from(`xx${mac.toString('hex').toUpperCase()}`, 'latin1');
      if (!upper.equals(hex)) expect(check.matches(hash, upper, 2, 16)).toBe(false);
      const other = Buffer.from(hash);
      other[round % 32]! ^= 1;
      expect(check.matches(other, hex, 2, 16)).toBe(false);
      expect(new EntryMacCheck(DeviceKey.fromSecret(randomBytes(32)).entryMacPads()).matches(hash, hex, 2, 16)).toBe(false);
    }
  });
});
