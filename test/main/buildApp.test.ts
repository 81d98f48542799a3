/**
 * The app a person runs with `npm start` / `npm run dist` builds: the main bundle (ESM, Electron and
 * dependencies external), the sandboxed preload (CommonJS, nothing but `electron` required, exposing exactly
 * `window.tgBridge`), and the renderer next to them where main/app.ts looks for it.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../scripts/buildApp.js';

describe('buildApp', () => {
  it('writes main, a self-contained CommonJS preload and the renderer', async () => {
    const dist = await mkdtemp(join(tmpdir(), 'tg-app-dist-'));
    try {
      await buildApp(dist);
      const preload = await readFile(join(dist, 'main', 'preload.cjs'), 'utf8');
      expect([...preload.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1])).toEqual(['electron']);
      expect(preload).not.toMatch(/^\s*(import|export)\s/m);
      expect(preload).toMatch(/exposeInMainWorld\("tgBridge"/);
      expect(preload).toMatch(/"device:call"/);
      const main = await readFile(join(dist, 'main', 'app.js'), 'utf8');
      expect(main).toMatch(/from "electron"/);
      expect(main).toMatch(/requestSingleInstanceLock/);
      expect((await stat(join(dist, 'renderer', 'index.html'))).isFile()).toBe(true);
    } finally {
      await rm(dist, { recursive: true, force: true });
    }
  }, 60_000);
});
