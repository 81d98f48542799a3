/** Relay version, from package.json; reported as the MCP server version. */
import { createRequire } from 'node:module';

const pkg = createRequire(import.meta.url)('../package.json') as { version: string };

/** Version of this relay build (package.json `version`). */
export const RELAY_VERSION: string = pkg.version;
