/** App identity sent in `hello` and shown by the CLI. */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** package.json sits one folder up from the sources (`bridge/`) and two from the build (`dist/bridge/`). */
const pkg = (() => {
  try {
    return require('../package.json') as { name: string; version: string };
  } catch {
    return require('../../package.json') as { name: string; version: string };
  }
})();

/** Application name, from package.json. */
export const APP_NAME: string = pkg.name;
/** Application version, from package.json. */
export const APP_VERSION: string = pkg.version;
