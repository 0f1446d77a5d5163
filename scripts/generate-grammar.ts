/**
 * Generates sipstate's fast SIP parser from the installed sip.js (issue 10).
 *
 * sip.js 0.21.2's generated PEG parser (lib/grammar/pegjs/dist/grammar.js) is PEG.js's compact output: a bytecode
 * table (`const peg$bytecode = [peg$decode("…"), …]`, ~230 rules) run by an interpreter (`peg$parseRule`), and both the
 * table and a ~800-entry constants table are built inside `peg$parse`, so every parse call decodes the whole grammar
 * and allocates hundreds of RegExps, expectation objects and closures again. This script reads that file, checks it is
 * exactly the one it knows (package version and sha256 of the file), and writes src/generated/sip-grammar.ts: the same
 * grammar with (1) the bytecode compiled here, at build time, to one JavaScript function per rule (what PEG.js's own
 * "speed" output does with the same bytecode; no interpreter at run time) and (2) the constants and helpers built once
 * per parser instead of once per call. The grammar's actions and constants are sip.js's, unchanged, so results are
 * identical (differential tests in test/unit/parser.test.ts).
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
import { runInNewContext } from 'node:vm';

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
  text = replaceOnce(
    text,
    'import { NameAddrHeader } from "../../name-addr-header.js";\n',
    '',
    'NameAddrHeader import',
  );
  text = replaceOnce(text, 'import { URI } from "../../uri.js";\n', '', 'URI import');

  // The table decoder: a pure function of its string, run here at build time.
  const decoder = cutBlock(text, '    function peg$decode(s) {\n', '    }\n', 'peg$decode inside peg$parse');
  text = decoder.rest;
  if (!decoder.block.includes('return s.split("").map((ch) => ch.charCodeAt(0) - 32);')) {
    fail('peg$decode has an unexpected body');
  }

  // The bytecode table: decoded here and compiled to one JavaScript function per rule, in its place inside peg$parse.
  const table = cutBlock(text, '    const peg$bytecode = [\n', '\n    ];\n', 'peg$bytecode table inside peg$parse');
  const bytecode = decodeBytecodeTable(table.block);
  if (bytecode.length < 100) fail(`peg$bytecode table has only ${bytecode.length} entries`);
  // The table's position inside peg$parse: right after peg$consts, before peg$currPos.
  const at = table.rest.indexOf('    let peg$currPos = 0;\n');
  if (at === -1 || at < table.rest.indexOf('function peg$parse(input, options) {'))
    fail('peg$currPos declaration not found');
  const constants = readConstants(table.rest);
  const hoisted = new Set<number>();
  const classes = new Map<number, ReadonlyArray<readonly [number, number]>>();
  const rules = bytecode.map((code, index) => compileRule(code, index, constants, hoisted, classes)).join('');
  const dispatch =
    [...hoisted]
      .sort((a, b) => a - b)
      .map((n) => `    const peg$c${n} = peg$consts[${n}];\n`)
      .join('') +
    [...classes]
      .sort(([a], [b]) => a - b)
      .map(([n, ranges]) => {
        const test = ranges.map(([from, to]) =>
          from === to ? `code === ${from}` : `(code >= ${from} && code <= ${to})`,
        );
        return `    // ${String(constants[n])}\n    function peg$class${n}(code) {\n        return ${test.join(' || ')};\n    }\n`;
      })
      .join('') +
    `    const peg$rules = [${bytecode.map((_, index) => `peg$r${index}`).join(', ')}];\n`;
  text = table.rest.slice(0, at) + rules + dispatch + table.rest.slice(at);

  // The interpreter that ran the table, replaced by a call of the compiled rule.
  const interpreter = cutBlock(
    text,
    '    function peg$parseRule(index) {\n',
    '        return stack[0];\n    }\n',
    'interpreter',
  );
  if (!interpreter.block.includes('switch (bc[ip]) {') || !interpreter.block.includes('case 29:'))
    fail('interpreter has an unexpected body');
  const insertAt = interpreter.rest.indexOf('    function list(head, tail) {\n');
  if (insertAt === -1) fail('list() helper not found');
  text =
    interpreter.rest.slice(0, insertAt) +
    '    function peg$parseRule(index) {\n        return peg$rules[index]();\n    }\n' +
    interpreter.rest.slice(insertAt);
  replaceOnce(text, 'export const parse = peg$parse;', 'export const parse = peg$parse;', 'parse export');
  if (text.includes('peg$decode(') || text.includes('peg$bytecode')) fail('transformation incomplete');
  return buildParserOnce(text);
}

/** The rule table `[peg$decode("…"), …]` as arrays of opcodes: each character's code minus 32, as peg$decode does. */
function decodeBytecodeTable(block: string): number[][] {
  const literals = block.match(/peg\$decode\("(?:[^"\\]|\\.)*"\)/g) ?? [];
  const lines = block.split('\n').filter((line) => line.trim().startsWith('peg$decode('));
  if (literals.length !== lines.length) fail('peg$bytecode entries are not one peg$decode("…") call per line');
  return literals.map((call) => {
    const literal = call.slice('peg$decode('.length, -1);
    // A JavaScript string literal of printable ASCII and \x/\u/\\/\" escapes: read as JSON after mapping \xNN.
    const json = literal.replace(/\\x([0-9a-fA-F]{2})/g, (_, hex: string) => `\\u00${hex}`);
    let decoded: string;
    try {
      decoded = JSON.parse(json) as string;
    } catch {
      fail(`peg$bytecode entry is not a plain string literal: ${literal.slice(0, 40)}`);
    }
    return [...decoded].map((ch) => ch.charCodeAt(0) - 32);
  });
}

/**
 * The values of `peg$consts`, read here at build time (in a throwaway VM context, never at run time) so the compiled
 * rules can say literal strings directly: the string and RegExp literals and expectation objects of the table, and a
 * placeholder for each action function (whose code stays in the table, untouched).
 */
function readConstants(text: string): unknown[] {
  const { block } = cutBlock(text, '    const peg$consts = [\n', '\n    ];\n', 'peg$consts table');
  const expectation =
    (type: string) =>
    (...args: unknown[]) => ({ type, args });
  const values = runInNewContext(`[${block.slice('    const peg$consts = ['.length, -';\n'.length)}`, {
    peg$literalExpectation: expectation('literal'),
    peg$classExpectation: expectation('class'),
    peg$anyExpectation: expectation('any'),
    peg$otherExpectation: expectation('other'),
    peg$endExpectation: expectation('end'),
  }) as unknown[];
  if (!Array.isArray(values) || values.length < 100) fail('peg$consts table not read');
  return [...values];
}

/**
 * The UTF-16 code units a character-class RegExp of the grammar accepts, as ranges, found by running the RegExp itself
 * on every code unit here at build time; undefined for a RegExp with state (g, y flags) or not a RegExp. The compiled
 * rule then tests `input.charCodeAt(peg$currPos)` against the ranges: the same answer as the interpreter's
 * `re.test(input.charAt(peg$currPos))` for every code unit, and false past the end (NaN compares false; `re.test('')`
 * is false for every class in this grammar, checked here).
 */
export function classRanges(value: unknown): Array<[number, number]> | undefined {
  if (Object.prototype.toString.call(value) !== '[object RegExp]') return undefined;
  const re = value as RegExp;
  if (/[gy]/.test(re.flags) || re.test('')) return undefined;
  const ranges: Array<[number, number]> = [];
  for (let code = 0; code <= 0xffff; code++) {
    if (!re.test(String.fromCharCode(code))) continue;
    const last = ranges[ranges.length - 1];
    if (last && last[1] === code - 1) last[1] = code;
    else ranges.push([code, code]);
  }
  return ranges;
}

/**
 * Compiles one rule's bytecode to a JavaScript function with the same effect as sip.js's interpreter running it
 * (`peg$parseRule`): the interpreter's value stack becomes local variables s0, s1, … (its depth at each opcode is known
 * here), its jumps become if/else and while. This is what PEG.js's own "speed" output does with the same bytecode.
 * Opcodes, numbered as the interpreter's switch: 0 PUSH c, 1 PUSH_UNDEFINED, 2 PUSH_NULL, 3 PUSH_FAILED,
 * 4 PUSH_EMPTY_ARRAY, 5 PUSH_CURR_POS, 6 POP, 7 POP_CURR_POS, 8 POP_N n, 9 NIP, 10 APPEND, 11 WRAP n, 12 TEXT,
 * 13 IF t f, 14 IF_ERROR t f, 15 IF_NOT_ERROR t f, 16 WHILE_NOT_ERROR b, 17 MATCH_ANY t f, 18 MATCH_STRING s t f,
 * 19 MATCH_STRING_IC s t f, 20 MATCH_REGEXP r t f, 21 ACCEPT_N n, 22 ACCEPT_STRING s, 23 FAIL e, 24 LOAD_SAVED_POS p,
 * 25 UPDATE_SAVED_POS, 26 CALL f n pc p…, 27 RULE r, 28 SILENT_FAILS_ON, 29 SILENT_FAILS_OFF.
 * One deliberate difference: the expectations behind PEG.js's "Expected … but found …" messages are not recorded
 * (FAIL, SILENT_FAILS_*), because sip.js's `Grammar.parse`, the only caller, replaces every thrown error with -1.
 * Throws (the build fails) on any opcode or stack shape it does not know.
 */
export function compileRule(
  bytecode: readonly number[],
  index: number,
  constants: readonly unknown[] = [],
  hoisted: Set<number> = new Set(),
  classes: Map<number, ReadonlyArray<readonly [number, number]>> = new Map(),
): string {
  let sp = -1;
  let maxSp = -1;
  const variable = (depth: number): string => {
    if (depth < 0) fail(`rule ${index}: stack underflow`);
    return `s${depth}`;
  };
  const push = (expression: string): string => {
    sp += 1;
    maxSp = Math.max(maxSp, sp);
    return `${variable(sp)} = ${expression};`;
  };
  const pop = (): string => {
    const name = variable(sp);
    sp -= 1;
    return name;
  };
  const top = (): string => variable(sp);
  // stack[stack.length - 1 - n] in the interpreter.
  const below = (n: number): string => variable(sp - n);
  // A string constant is written as its literal; a RegExp or action function is read once into peg$c<n>.
  const stringAt = (n: number): string | undefined => {
    const value = constants[n];
    return typeof value === 'string' ? value : undefined;
  };
  const constant = (n: number): string => {
    const value = stringAt(n);
    if (value !== undefined) return JSON.stringify(value);
    // (Not `instanceof`: the values come from another VM context.)
    const kind = typeof constants[n];
    if (kind === 'function' || (kind === 'object' && constants[n] !== null)) {
      hoisted.add(n);
      return `peg$c${n}`;
    }
    return `peg$consts[${n}]`;
  };
  const indent = (lines: string[]): string[] => lines.map((line) => `    ${line}`);

  function compile(code: readonly number[]): string[] {
    const out: string[] = [];
    let ip = 0;
    const operand = (offset: number): number => {
      const value = code[ip + offset];
      if (value === undefined) fail(`rule ${index}: truncated bytecode`);
      return value;
    };
    const condition = (test: string, argCount: number): void => {
      const base = argCount + 3;
      const thenLength = operand(base - 2);
      const elseLength = operand(base - 1);
      const baseSp = sp;
      const thenCode = compile(code.slice(ip + base, ip + base + thenLength));
      const thenSp = sp;
      sp = baseSp;
      const elseCode = compile(code.slice(ip + base + thenLength, ip + base + thenLength + elseLength));
      if (sp !== thenSp) fail(`rule ${index}: branches leave different stack depths`);
      out.push(`if (${test}) {`, ...indent(thenCode));
      if (elseCode.length > 0) out.push('} else {', ...indent(elseCode));
      out.push('}');
      ip += base + thenLength + elseLength;
    };
    while (ip < code.length) {
      const op = code[ip]!;
      switch (op) {
        case 0:
          out.push(push(constant(operand(1))));
          ip += 2;
          break;
        case 1:
          out.push(push('undefined'));
          ip += 1;
          break;
        case 2:
          out.push(push('null'));
          ip += 1;
          break;
        case 3:
          out.push(push('peg$FAILED'));
          ip += 1;
          break;
        case 4:
          out.push(push('[]'));
          ip += 1;
          break;
        case 5:
          out.push(push('peg$currPos'));
          ip += 1;
          break;
        case 6:
          pop();
          ip += 1;
          break;
        case 7:
          out.push(`peg$currPos = ${pop()};`);
          ip += 1;
          break;
        case 8:
          sp -= operand(1);
          ip += 2;
          break;
        case 9: {
          const kept = pop();
          pop();
          out.push(push(kept));
          ip += 1;
          break;
        }
        case 10: {
          const value = pop();
          out.push(`${top()}.push(${value});`);
          ip += 1;
          break;
        }
        case 11: {
          const n = operand(1);
          const names = Array.from({ length: n }, (_, k) => variable(sp - n + 1 + k));
          sp -= n;
          out.push(push(`[${names.join(', ')}]`));
          ip += 2;
          break;
        }
        case 12:
          out.push(push(`input.substring(${pop()}, peg$currPos)`));
          ip += 1;
          break;
        case 13:
          condition(top(), 0);
          break;
        case 14:
          condition(`${top()} === peg$FAILED`, 0);
          break;
        case 15:
          condition(`${top()} !== peg$FAILED`, 0);
          break;
        case 16: {
          const bodyLength = operand(1);
          const baseSp = sp;
          const test = `${top()} !== peg$FAILED`;
          const body = compile(code.slice(ip + 2, ip + 2 + bodyLength));
          if (sp !== baseSp) fail(`rule ${index}: a loop body moves the stack`);
          out.push(`while (${test}) {`, ...indent(body), '}');
          ip += 2 + bodyLength;
          break;
        }
        case 17:
          condition('input.length > peg$currPos', 0);
          break;
        case 18: {
          // The interpreter's `input.substr(peg$currPos, c.length) === c`, said directly.
          const value = stringAt(operand(1));
          const c = constant(operand(1));
          if (value?.length === 1) condition(`input.charCodeAt(peg$currPos) === ${value.charCodeAt(0)}`, 1);
          else condition(`input.startsWith(${c}, peg$currPos)`, 1);
          break;
        }
        case 19: {
          const value = stringAt(operand(1));
          const c = constant(operand(1));
          const length = value === undefined ? `${c}.length` : String(value.length);
          condition(`input.substr(peg$currPos, ${length}).toLowerCase() === ${c}`, 1);
          break;
        }
        case 20: {
          const n = operand(1);
          const ranges = classRanges(constants[n]);
          if (ranges) {
            classes.set(n, ranges);
            condition(`peg$class${n}(input.charCodeAt(peg$currPos))`, 1);
          } else {
            condition(`${constant(n)}.test(input.charAt(peg$currPos))`, 1);
          }
          break;
        }
        case 21: {
          const n = operand(1);
          out.push(push(`input.substr(peg$currPos, ${n})`), `peg$currPos += ${n};`);
          ip += 2;
          break;
        }
        case 22: {
          const value = stringAt(operand(1));
          const c = constant(operand(1));
          out.push(push(c), `peg$currPos += ${value === undefined ? `${c}.length` : value.length};`);
          ip += 2;
          break;
        }
        case 23: {
          // The interpreter also records the expectation for the error message when failures are not silenced. sip.js's
          // Grammar.parse turns every thrown error into -1, so nothing can observe those messages: not recorded.
          out.push(push('peg$FAILED'));
          ip += 2;
          break;
        }
        case 24:
          out.push(`peg$savedPos = ${below(operand(1))};`);
          ip += 2;
          break;
        case 25:
          out.push('peg$savedPos = peg$currPos;');
          ip += 1;
          break;
        case 26: {
          const f = operand(1);
          const n = operand(2);
          const paramCount = operand(3);
          const params = Array.from({ length: paramCount }, (_, k) => below(operand(4 + k)));
          // The interpreter calls actions with `apply(null, …)`; no action of this grammar reads `this`.
          const call = `${constant(f)}(${params.join(', ')})`;
          sp -= n;
          out.push(push(call));
          ip += 4 + paramCount;
          break;
        }
        case 27:
          out.push(push(`peg$r${operand(1)}()`));
          ip += 2;
          break;
        // Silencing failures only matters to the expectations recorded for error messages (see FAIL).
        case 28:
          ip += 1;
          break;
        case 29:
          ip += 1;
          break;
        default:
          fail(`rule ${index}: unknown opcode ${op}`);
      }
    }
    return out;
  }

  const body = compile(bytecode);
  if (sp !== 0) fail(`rule ${index}: ends with ${sp + 1} values on the stack, not 1`);
  const locals = Array.from({ length: maxSp + 1 }, (_, k) => `s${k}`).join(', ');
  return [`function peg$r${index}() {`, `    let ${locals};`, ...indent(body), '    return s0;', '}']
    .map((line) => `    ${line}\n`)
    .join('');
}

/**
 * sip.js's `peg$parse` also rebuilds, on every call, its constants table (~800 entries: a RegExp per character
 * class, an expectation object per literal, a closure per grammar action) and its helper functions. Built once here:
 * `peg$parse` becomes `peg$createParser()`, run once, whose tables and helpers close over per-call state that the
 * returned parse function resets on every call. The actions only touch `options`, `input` and the parser's own
 * position variables (and their own locals), all reset per call, so results stay identical (differential tests).
 * A parse started from inside a parse (no action does it; a guard all the same) gets a parser of its own.
 */
function buildParserOnce(original: string): string {
  let text = original;
  const prologue =
    'function peg$parse(input, options) {\n' +
    '    options = options !== undefined ? options : {};\n' +
    '    const peg$FAILED = {};\n' +
    '    const peg$source = options.grammarSource;\n';
  text = replaceOnce(
    text,
    prologue,
    'function peg$createParser() {\n    let input;\n    let options;\n    const peg$FAILED = {};\n    let peg$source;\n',
    'peg$parse prologue',
  );
  const defaultRule = /\n {4}let peg\$startRuleIndex = (\d+);\n/.exec(text);
  if (!defaultRule || text.indexOf(defaultRule[0], defaultRule.index + 1) !== -1)
    fail('default start rule not found once');
  text = replaceOnce(text, defaultRule[0], '\n    let peg$startRuleIndex;\n', 'default start rule');
  const perCallState =
    '    let peg$currPos = 0;\n' +
    '    let peg$savedPos = 0;\n' +
    '    const peg$posDetailsCache = [{ line: 1, column: 1 }];\n' +
    '    let peg$maxFailPos = 0;\n' +
    '    let peg$maxFailExpected = [];\n' +
    '    let peg$silentFails = 0;\n' +
    '    let peg$result;\n' +
    '    if (options.startRule !== undefined) {\n' +
    '        if (!(options.startRule in peg$startRuleIndices)) {\n' +
    '            throw new Error("Can\'t start parsing from rule \\"" + options.startRule + "\\".");\n' +
    '        }\n' +
    '        peg$startRuleIndex = peg$startRuleIndices[options.startRule];\n' +
    '    }\n';
  text = replaceOnce(
    text,
    perCallState,
    // No peg$silentFails: the compiled rules record no expectations, so nothing reads it (see compileRule).
    '    let peg$currPos;\n    let peg$savedPos;\n    let peg$posDetailsCache;\n    let peg$maxFailPos;\n' +
      '    let peg$maxFailExpected;\n    let peg$result;\n',
    'per-call parser state',
  );
  const initializer = '    options.data = {}; // Object to which header attributes will be assigned during parsing\n';
  text = replaceOnce(text, initializer, '', 'grammar initializer');
  const tail = cutBlock(
    text,
    '    peg$result = peg$parseRule(peg$startRuleIndex);\n',
    '\n}\nexport const parse = peg$parse;',
    'parse tail',
  );
  const tailBody = tail.block.slice(0, -'\n}\nexport const parse = peg$parse;'.length);
  text = `${tail.rest.trimEnd()}\n`;
  if (!text.endsWith('        return [head].concat(tail);\n    }\n'))
    fail('list() is not the last helper of peg$parse');
  const indent = (block: string): string =>
    block
      .split('\n')
      .map((line) => (line ? `    ${line}` : line))
      .join('\n');
  text += [
    '    let busy = false;',
    '    return function peg$parse(input$, options$) {',
    '        if (busy) return peg$createParser()(input$, options$);',
    '        busy = true;',
    '        try {',
    '            input = input$;',
    '            options = options$ !== undefined ? options$ : {};',
    '            peg$source = options.grammarSource;',
    `            peg$startRuleIndex = ${defaultRule[1]};`,
    '            peg$currPos = 0;',
    '            peg$savedPos = 0;',
    '            peg$posDetailsCache = [{ line: 1, column: 1 }];',
    '            peg$maxFailPos = 0;',
    '            peg$maxFailExpected = [];',
    '            peg$result = undefined;',
    '            if (options.startRule !== undefined) {',
    '                if (!(options.startRule in peg$startRuleIndices)) {',
    '                    throw new Error("Can\'t start parsing from rule \\"" + options.startRule + "\\".");',
    '                }',
    '                peg$startRuleIndex = peg$startRuleIndices[options.startRule];',
    '            }',
    indent(indent(initializer.trimEnd())),
    indent(indent(tailBody)),
    '        }',
    '        finally {',
    '            busy = false;',
    '        }',
    '    };',
    '}',
    '// Built on the first parse (not on import: the package has no side effects).',
    'let peg$sharedParse;',
    'export function parse(input, options) {',
    '    peg$sharedParse ??= peg$createParser();',
    '    return peg$sharedParse(input, options);',
    '}',
    '',
  ].join('\n');
  if (text.includes('peg$silentFails')) fail('peg$silentFails is still used after compiling');
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
    ' * Do not edit; not in git. Changed from the original: the bytecode table, constants and helpers are built once, not on every parse.',
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
