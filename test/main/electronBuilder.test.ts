/**
 * `electron-builder.yml` (issue 9 "npm run dist"): valid against the JSON schema app-builder-lib 26.17.0 ships
 * (vendored: test/fixtures/electron-builder/), with the targets and fuses the issue asks for.
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';

const schema = JSON.parse(
  readFileSync(new URL('../fixtures/electron-builder/app-builder-lib-26.17.0.scheme.json', import.meta.url), 'utf8'),
) as object;
const config = load(readFileSync(new URL('../../electron-builder.yml', import.meta.url), 'utf8')) as Record<string, unknown>;

const check = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true }).compile(schema);

function validate(value: unknown) {
  return { ok: check(value), errors: check.errors };
}

describe('electron-builder.yml', () => {
  it('validates against app-builder-lib’s schema', () => {
    const result = validate(config);
    expect(result.errors ?? []).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('the schema check can fail (a misspelt key is rejected)', () => {
    expect(validate({ ...config, appID: 'x' }).ok).toBe(false);
    expect(validate({ ...config, electronFuses: { runAsNode: 'no' } }).ok).toBe(false);
  });

  it('builds AppImage + deb, a menu-bar dmg, nsis, registers tgbridge:// and flips the fuses', () => {
    expect(config.appId).toBe('org.tgbridge.desktop');
    expect(config).toMatchObject({
      linux: { target: ['AppImage', 'deb'] },
      mac: { target: ['dmg'], extendInfo: { LSUIElement: true } },
      win: { target: ['nsis'] },
      protocols: [{ schemes: ['tgbridge'] }],
      electronFuses: {
        runAsNode: false,
        enableNodeOptionsEnvironmentVariable: false,
        enableNodeCliInspectArguments: false,
        enableEmbeddedAsarIntegrityValidation: true,
        onlyLoadAppFromAsar: true,
        enableCookieEncryption: true,
      },
    });
  });
});
