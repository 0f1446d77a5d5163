// Imports every built entry of sipstate where the browser's globals are absent (`absent`) or throw when read
// (`throwing`: getters on globalThis that record the read, then throw), then makes a client the way a server-rendered
// page's code would, and prints one JSON line: which globals were read, which entries failed to load, and what
// createSipClient threw. Run by test/integration/ssr.test.ts:
//
//   node test/support/ssr-child.mjs <absent|throwing> <esm|cjs> <dist dir> <entry file>...
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [mode, format, dist, ...entries] = process.argv.slice(2);
// The frameworks the adapters are for, loaded first: @angular/core itself reads `document` when imported (it is fine
// where it is absent, fails where reading throws), and what is checked here is sipstate's own code.
await import('@angular/core');
await import('react');
const BROWSER_GLOBALS = ['window', 'document', 'navigator', 'WebSocket', 'BroadcastChannel', 'localStorage'];
const touched = [];
for (const name of BROWSER_GLOBALS) {
  if (mode === 'absent') delete globalThis[name];
  else {
    Object.defineProperty(globalThis, name, {
      configurable: true,
      get() {
        touched.push(name);
        throw new Error(`${name} was read`);
      },
    });
  }
}
const present = mode === 'absent' ? BROWSER_GLOBALS.filter((name) => name in globalThis) : [];

const require = createRequire(import.meta.url);
const load = (file) => (format === 'esm' ? import(pathToFileURL(join(dist, file)).href) : require(join(dist, file)));

const failures = [];
const loaded = {};
for (const file of entries) {
  try {
    loaded[file] = await load(file);
  } catch (error) {
    failures.push(`${file}: ${String(error)}`);
  }
}
const touchedOnImport = [...touched];

let created;
const index = loaded[format === 'esm' ? 'index.js' : 'index.cjs'];
try {
  const client = index.createSipClient({ server: 'wss://sip.example.com', uri: 'sip:alice@example.com' });
  client.dispose();
  created = { threw: false };
} catch (error) {
  created = {
    threw: true,
    name: error?.name,
    isSipConfigError: error instanceof index.SipConfigError,
    field: error?.field,
    message: error?.message,
  };
}
process.stdout.write(`${JSON.stringify({ present, touchedOnImport, failures, created })}\n`);
