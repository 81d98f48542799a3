/**
 * The app's settings in electron-store (issue 9): the device settings the UI edits plus the app-only
 * `allowBasicText` opt-in. The file is written with mode 0600; a damaged file is not silently reset.
 */
import Store from 'electron-store';
import { DeviceSettings } from '../bridge/protocol/index.js';
import { DEFAULT_SETTINGS, type SettingsStore } from '../bridge/ui/deviceService.js';

/** Everything the app stores (never a secret: sessions and tokens go through the SecretBox). */
export interface AppSettingsShape {
  device: DeviceSettings;
  /** The person chose to store the session without a keyring on Linux (basic_text). */
  allowBasicText: boolean;
}

/** The electron-store options we use (exported for the test that asserts them). */
export const STORE_OPTIONS = {
  name: 'settings',
  configFileMode: 0o600,
  clearInvalidConfig: false,
  defaults: { device: DEFAULT_SETTINGS, allowBasicText: false },
} as const;

/** The app settings: the device part as a {@link SettingsStore}, and the basic_text opt-in. */
export interface AppSettings {
  device: SettingsStore;
  allowBasicText(): boolean;
  setAllowBasicText(value: boolean): void;
}

/** Opens the settings store. @throws when the file exists but is not valid JSON (electron-store's error). */
export function openAppSettings(): AppSettings {
  const store = new Store<AppSettingsShape>({ ...STORE_OPTIONS, defaults: { ...STORE_OPTIONS.defaults } });
  return {
    device: {
      load: () => {
        const parsed = DeviceSettings.safeParse({ ...DEFAULT_SETTINGS, ...store.get('device') });
        return parsed.success ? parsed.data : { ...DEFAULT_SETTINGS };
      },
      save: (next) => store.set('device', DeviceSettings.parse(next)),
    },
    allowBasicText: () => store.get('allowBasicText') === true,
    setAllowBasicText: (value) => store.set('allowBasicText', value),
  };
}
