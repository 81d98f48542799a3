/**
 * `npm run bench` — every benchmark, each printing ratios measured side by side in one run.
 * Pass section names to run only some: `npm run bench -- roundtrip audit`.
 */
import { benchAudit } from './audit.bench.js';
import { benchEngine } from './engine.bench.js';
import { benchHops } from './hops.bench.js';
import { benchReconnect } from './reconnect.bench.js';
import { benchRelayLoad } from './relayLoad.bench.js';
import { benchRelayMemory } from './relayMemory.bench.js';
import { benchReplicas } from './replicas.bench.js';
import { benchRoundTrip } from './roundtrip.bench.js';
import { benchSandbox } from './sandbox.bench.js';
import { benchUi } from './ui.bench.js';

const sections: Record<string, () => Promise<void>> = {
  roundtrip: benchRoundTrip,
  hops: benchHops,
  audit: benchAudit,
  engine: benchEngine,
  relayload: benchRelayLoad,
  relaymem: benchRelayMemory,
  replicas: benchReplicas,
  reconnect: benchReconnect,
  sandbox: async () => {
    await benchSandbox();
  },
  ui: async () => {
    await benchUi();
  },
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const name of wanted.length ? wanted : Object.keys(sections)) {
  const run = sections[name];
  if (!run) {
    process.stderr.write(`unknown bench section "${name}"; known: ${Object.keys(sections).join(', ')}\n`);
    process.exit(2);
  }
  process.stdout.write(`\n== ${name} ==\n`);
  await run();
}
process.exit(0);
