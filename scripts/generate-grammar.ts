/**
 * Generates sipstate's fast SIP parser from the installed sip.js (issue 10).
 *
 * sip.js 0.21.2's generated PEG parser (lib/grammar/pegjs/dist/grammar.js) declares its bytecode table
 * (`const peg$bytecode = [peg$decode("…"), …]`, ~230 rules) inside `peg$parse`, so every parse call decodes the whole
 * grammar again. This script reads that file, checks it is exactly the one it knows (package version and sha256 of
 * the file), and writes src/generated/sip-grammar.ts: the same parser with the bytecode table decoded once, on first
 * use, and kept at module level. Nothing else changes, so results are identical.
 *
 * The output is generated, gitignored, and carries sip.js's MIT notice; tsup bundles it into dist/. Every build and
 * every type check runs this first (`npm run generate`), so a fresh clone needs nothing by hand.
 *
 * Any surprise (another version, another file, a shape the transformation does not find exactly once) fails loudly.
 *
 *   tsx scripts/generate-grammar.ts [--check]    # --check: verify only, write nothing
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUTPUT = join(ROOT, 'src', 'generated', 'sip-grammar.ts');

/**
 * The grammar files this transformation was written for and checked against (differential tests in
 * test/unit/parser.test.ts). `runtimeVersion` is what sip.js's own `version` export says: 0.21.2 ships "0.21.1".
 */
export const KNOWN_GRAMMARS = [
  {
    packageVersion: '0.21.2',
    runtimeVersion: '0.21.1',
    sha256: '66f6eabdcec39bfe90b9dbf3104e42af6169a6f4f5a1773694fce36c0262ab03',
  },
] as const;

class GenerateError extends Error {}

function fail(message: string): never {
  throw new GenerateError(`generate-grammar: ${message}`);
}

/** Replaces the one occurrence of `search` in `text`; fails if it occurs zero or several times. */
function replaceOnce(text: string, search: string, replacement: string, what: string): string {
  const first = text.indexOf(search);
  if (first === -1) fail(`expected shape not found: ${what}`);
  if (text.indexOf(search, first + 1) !== -1) fail(`expected shape found more than once: ${what}`);
  return text.slice(0, first) + replacement + text.slice(first + search.length);
}

/** Cuts the one block from `start` to the first `end` after it (both included); fails unless exactly one. */
function cutBlock(text: string, start: string, end: string, what: string): { rest: string; block: string } {
  const from = text.indexOf(start);
  if (from === -1) fail(`expected shape not found: ${what}`);
  if (text.indexOf(start, from + 1) !== -1) fail(`expected shape found more than once: ${what}`);
  const to = text.indexOf(end, from + start.length);
  if (to === -1) fail(`end of ${what} not found`);
  return { rest: text.slice(0, from) + text.slice(to + end.length), block: text.slice(from, to + end.length) };
}

export interface GeneratedGrammar {
  source: string;
  packageVersion: string;
  sha256: string;
}

/** Transforms the text of sip.js's grammar.js. Pure: exported for the generator's own tests. */
export function transformGrammar(original: string): string {
  let text = original;

  // sip.js's parser builds NameAddrHeader and URI instances: import the very classes sip.js uses (its root exports).
  text = replaceOnce(text, 'import { NameAddrHeader } from "../../name-addr-header.js";\n', '', 'NameAddrHeader import');
  text = replaceOnce(text, 'import { URI } from "../../uri.js";\n', '', 'URI import');

  // The table decoder: a pure function of its string, moved to module level unchanged.
  const decoder = cutBlock(
    text,
    '    function peg$decode(s) {\n',
    '    }\n',
    'peg$decode inside peg$parse',
  );
  text = decoder.rest;
  if (!decoder.block.includes('return s.split("").map((ch) => ch.charCodeAt(0) - 32);')) {
    fail('peg$decode has an unexpected body');
  }

  // The bytecode table: read-only data (peg$parseRule only reads it), decoded once on first use.
  const table = cutBlock(text, '    const peg$bytecode = [\n', '\n    ];\n', 'peg$bytecode table inside peg$parse');
  const entries = table.block.slice('    const peg$bytecode = ['.length, -'];\n'.length).trimEnd();
  const entryCount = entries.split('\n').filter((line) => line.trim().startsWith('peg$decode(')).length;
  if (entryCount < 100) fail(`peg$bytecode table has only ${entryCount} entries`);
  // The table's position inside peg$parse: right after peg$consts, before peg$currPos.
  const at = table.rest.indexOf('    let peg$currPos = 0;\n');
  if (at === -1 || at < table.rest.indexOf('function peg$parse(input, options) {')) fail('peg$currPos declaration not found');
  text = table.rest.slice(0, at) + '    const peg$bytecode = peg$loadBytecode();\n' + table.rest.slice(at);

  const hoisted = [
    'function peg$decode(s) {',
    '    return s.split("").map((ch) => ch.charCodeAt(0) - 32);',
    '}',
    '// Decoded once, on the first parse, instead of on every parse as in sip.js.',
    'let peg$bytecodeTable;',
    'function peg$loadBytecode() {',
    '    if (peg$bytecodeTable === undefined) {',
    `        peg$bytecodeTable = [${entries}\n        ];`,
    '    }',
    '    return peg$bytecodeTable;',
    '}',
    '',
  ].join('\n');
  text = replaceOnce(text, 'function peg$parse(input, options) {\n', `${hoisted}function peg$parse(input, options) {\n`, 'peg$parse');
  replaceOnce(text, 'export const parse = peg$parse;', 'export const parse = peg$parse;', 'parse export');
  if (text.includes('peg$decode(') && !text.includes('peg$bytecodeTable = [')) fail('transformation incomplete');
  return text;
}

function main(): void {
  const checkOnly = process.argv.includes('--check');
  const require = createRequire(join(ROOT, 'package.json'));
  const packageJsonPath = require.resolve('sip.js/package.json');
  const sipRoot = dirname(packageJsonPath);
  const packageVersion = (JSON.parse(readFileSync(packageJsonPath, 'utf8')) as { version: string }).version;
  const grammarPath = join(sipRoot, 'lib', 'grammar', 'pegjs', 'dist', 'grammar.js');
  const original = readFileSync(grammarPath, 'utf8');
  const sha256 = createHash('sha256').update(original).digest('hex');

  const known = KNOWN_GRAMMARS.find((entry) => entry.packageVersion === packageVersion && entry.sha256 === sha256);
  if (!known) {
    fail(
      `unknown sip.js grammar: sip.js ${packageVersion}, ${relative(ROOT, grammarPath)} sha256 ${sha256}. ` +
        `Known: ${KNOWN_GRAMMARS.map((entry) => `${entry.packageVersion} (${entry.sha256})`).join(', ')}. ` +
        'Check the transformation against the new file and add it to KNOWN_GRAMMARS.',
    );
  }

  const licensePath = ['LICENSE.md', 'LICENSE'].map((name) => join(sipRoot, name)).find((path) => existsSync(path));
  if (!licensePath) fail('sip.js licence file not found: the generated file must carry its MIT notice');
  const license = readFileSync(licensePath, 'utf8').trim();
  if (!/MIT License/.test(license)) fail('sip.js licence is not the MIT licence this file expects');

  const body = transformGrammar(original);
  const output = [
    '// @ts-nocheck',
    '/*! @license MIT (sip.js: see below). Kept in bundles: legal comment.',
    ' * GENERATED by scripts/generate-grammar.ts at build time from the installed',
    ` * sip.js ${packageVersion} lib/grammar/pegjs/dist/grammar.js (sha256 ${sha256}).`,
    ' * Do not edit; not in git. Changed from the original: the bytecode table is decoded once, not on every parse.',
    ' *',
    ' * sip.js licence:',
    ...license.split('\n').map((line) => (line ? ` * ${line}` : ' *')),
    ' */',
    "import { NameAddrHeader, URI } from 'sip.js';",
    `export const SOURCE_PACKAGE_VERSION = ${JSON.stringify(packageVersion)};`,
    `export const SOURCE_RUNTIME_VERSION = ${JSON.stringify(known.runtimeVersion)};`,
    `export const SOURCE_SHA256 = ${JSON.stringify(sha256)};`,
    body,
  ].join('\n');

  if (checkOnly) {
    console.log(`generate-grammar: sip.js ${packageVersion} grammar ${sha256.slice(0, 12)}… known; transformation ok`);
    return;
  }
  mkdirSync(dirname(OUTPUT), { recursive: true });
  const previous = existsSync(OUTPUT) ? readFileSync(OUTPUT, 'utf8') : undefined;
  if (previous !== output) writeFileSync(OUTPUT, output);
  console.log(`generate-grammar: ${relative(ROOT, OUTPUT)} from sip.js ${packageVersion} (${sha256.slice(0, 12)}…)`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    main();
  } catch (error) {
    console.error(error instanceof GenerateError ? error.message : error);
    process.exit(1);
  }
}
