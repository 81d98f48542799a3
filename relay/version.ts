/** Relay version, from package.json; reported as the MCP server version. */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** package.json sits one folder up from the sources (`relay/`) and two from the build (`dist/relay/`). */
const pkg = (() => {
  try {
    return require('../package.json') as { version: string };
  } catch {
    return require('../../package.json') as { version: string };
  }
})();

/** Version of this relay build (package.json `version`). */
export const RELAY_VERSION: string = pkg.version;
