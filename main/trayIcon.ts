/**
 * Tray icons drawn at run time: a filled disc in the state's colour on a transparent 32×32 PNG (no image
 * files to ship or keep in sync). Connected green, connecting amber, offline red, needs-login red with a
 * hollow centre, paused grey.
 */
import { crc32, deflateSync } from 'node:zlib';
import type { TrayState } from '../bridge/protocol/index.js';

/** Icon size in pixels (the OS scales it). */
export const TRAY_ICON_SIZE = 32;

const COLOURS: Record<TrayState, [number, number, number]> = {
  connected: [46, 160, 67],
  connecting: [230, 160, 20],
  offline: [210, 60, 50],
  needs_login: [210, 60, 50],
  paused: [140, 146, 156],
};

/** PNG bytes of the icon for `state`. */
export function trayIconPng(state: TrayState): Buffer {
  const n = TRAY_ICON_SIZE;
  const [r, g, b] = COLOURS[state];
  const rows: Buffer[] = [];
  const c = (n - 1) / 2;
  for (let y = 0; y < n; y += 1) {
    const row = Buffer.alloc(1 + n * 4);
    for (let x = 0; x < n; x += 1) {
      const d = Math.hypot(x - c, y - c);
      const outer = Math.max(0, Math.min(1, n / 2 - 2 - d + 0.5));
      const hole = state === 'needs_login' ? Math.max(0, Math.min(1, n / 4 - d + 0.5)) : 0;
      const alpha = Math.round(255 * outer * (1 - hole));
      row.set([r, g, b, alpha], 1 + x * 4);
    }
    rows.push(row);
  }
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(n, 0);
  ihdr.writeUInt32BE(n, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
