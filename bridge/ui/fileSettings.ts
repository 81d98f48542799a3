/**
 * The headless host's settings file: the UI's {@link DeviceSettings} as JSON, written 0600 atomically
 * (ARCHITECTURE.md: private files). A missing file means defaults; a damaged one is reported, not overwritten.
 */
import { readFile } from 'node:fs/promises';
import { DeviceSettings } from '../protocol/index.js';
import { writePrivateFileAtomic } from '../storage/privateFile.js';
import { DEFAULT_SETTINGS, type SettingsStore } from './deviceService.js';

/**
 * Loads the settings at `path` (defaults when absent) and returns a store that saves every change there.
 * @throws Error naming the file when it exists but is not valid settings (fix or delete it).
 */
export async function fileSettings(path: string): Promise<SettingsStore> {
  let current: DeviceSettings = { ...DEFAULT_SETTINGS };
  let text: string | null = null;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text !== null) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
    const parsed = DeviceSettings.safeParse({ ...DEFAULT_SETTINGS, ...(json as object) });
    if (!parsed.success || json === null || typeof json !== 'object') {
      throw new Error(`settings file ${path} is damaged; fix it or delete it to start from defaults`);
    }
    current = parsed.data;
  }
  return {
    load: () => ({ ...current }),
    save: async (next) => {
      const checked = DeviceSettings.parse(next);
      await writePrivateFileAtomic(path, `${JSON.stringify(checked, null, 2)}\n`);
      current = checked;
    },
  };
}
