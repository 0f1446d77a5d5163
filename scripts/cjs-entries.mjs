#!/usr/bin/env node
// Run by `npm run build` after tsup. Writes dist/<entry>.cjs for each library entry and fixes the CommonJS declarations.
//
// 1. dist/<entry>.cjs is `module.exports = require('./<entry>.js')`: `require('sipstate')` gets the ES module build
//    itself (Node >= 20.19 and >= 22.12 require() ES modules), so `require` and `import` share one copy of every class
//    and of all module state: `new (require('sipstate').SipError)() instanceof (await import('sipstate')).SipError`.
//    Two builds would mean two SipError classes, whichever file defines it.
// 2. sip.js publishes ES module types only ("type": "module", no "require" condition): a CommonJS declaration file
//    importing it is TS1479 for a module node16/nodenext consumer. Its imports of sip.js become type-only imports with
//    `resolution-mode: "import"` (TypeScript >= 5.3), which is what they are: a .d.cts holds nothing but types.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIST = fileURLToPath(new URL('../dist', import.meta.url));
const ENTRIES = ['index', 'machines', 'view', 'angular', 'react', 'testing', 'fast-parser'];
/** Packages whose types are ES modules only: imported from a .d.cts with resolution-mode "import". */
const ESM_ONLY_TYPES = ['sip.js', '@angular/core'];

for (const entry of ENTRIES) {
  if (!existsSync(join(DIST, `${entry}.js`)) || !existsSync(join(DIST, `${entry}.d.cts`))) {
    throw new Error(`cjs-entries: dist/${entry}.js or dist/${entry}.d.cts is missing: run tsup first`);
  }
  writeFileSync(
    join(DIST, `${entry}.cjs`),
    [
      "'use strict';",
      '// The ES module build, loaded with require(): one copy of every class for require and import alike.',
      `module.exports = require('./${entry}.js');`,
      '',
    ].join('\n'),
  );
}

const IMPORT = /^import (?:type )?(\{[^}]*\}|\* as \w+) from '([^']+)';$/gm;
/** `import 'sip.js';`, which rollup-plugin-dts leaves where a chunk's types came from sip.js: no types, only TS1479. */
const BARE_IMPORT = /^import '([^']+)';\n/gm;
let fixed = 0;
for (const file of readdirSync(DIST).filter((name) => name.endsWith('.d.cts'))) {
  const path = join(DIST, file);
  const text = readFileSync(path, 'utf8');
  const patched = text
    .replace(IMPORT, (line, names, from) => {
      if (!ESM_ONLY_TYPES.includes(from)) return line;
      fixed++;
      return `import type ${names} from '${from}' with { 'resolution-mode': 'import' };`;
    })
    .replace(BARE_IMPORT, (line, from) => (ESM_ONLY_TYPES.includes(from) ? '' : line));
  if (patched !== text) writeFileSync(path, patched);
}
const left = readdirSync(DIST)
  .filter((name) => name.endsWith('.d.cts'))
  .filter((name) => {
    const text = readFileSync(join(DIST, name), 'utf8');
    return ESM_ONLY_TYPES.some((pkg) => text.includes(`from '${pkg}';`) || text.includes(`import '${pkg}';`));
  });
if (left.length > 0)
  throw new Error(
    `cjs-entries: an import of ${ESM_ONLY_TYPES.join(', ')} in ${left.join(', ')} has a shape this script does not know`,
  );
console.error(
  `cjs-entries: ${ENTRIES.length} CommonJS entries written; ${fixed} import(s) of ES-module-only types in .d.cts marked resolution-mode "import"`,
);
