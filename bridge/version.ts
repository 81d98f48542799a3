/** App identity sent in `hello` and shown by the CLI. */
import { createRequire } from 'node:module';

const pkg = createRequire(import.meta.url)('../package.json') as { name: string; version: string };

/** Application name, from package.json. */
export const APP_NAME: string = pkg.name;
/** Application version, from package.json. */
export const APP_VERSION: string = pkg.version;
