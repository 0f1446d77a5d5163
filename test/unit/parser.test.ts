/**
 * Differential tests of the fast parser (issue 10): for every start rule of sip.js's grammar, the parser generated at
 * build time (src/generated/sip-grammar.ts) and sip.js's own must give deeply equal results, -1 for invalid input,
 * on the corpus in test/corpus (captured from the test Kamailio and sipp, and hand-written torture cases).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Core, Grammar } from 'sip.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KNOWN_GRAMMARS, classRanges, compileRule, transformGrammar } from '../../scripts/generate-grammar';
import { checkCompatible, fastGrammarParse, sameParseResult } from '../../src/fast-parser';
import type { CapturedMessage } from '../corpus/capture';
import { HANDWRITTEN_MESSAGES, HANDWRITTEN_VALUES } from '../corpus/handwritten';
import { prng } from '../support/prng';

type Parse = (input: string, rule: string) => unknown;

// sip.js's own parser, taken before anything in this file could replace it.
const sipJsParse = Grammar.parse as Parse;

const require = createRequire(import.meta.url);
const grammarFile = join(dirname(require.resolve('sip.js/package.json')), 'lib/grammar/pegjs/dist/grammar.js');
const grammarSource = readFileSync(grammarFile, 'utf8');

/** Every start rule of sip.js's grammar, read from the installed grammar file itself. */
const START_RULES: string[] = (() => {
  const table = /peg\$startRuleIndices = \{([^}]*)\}/.exec(grammarSource)?.[1] ?? '';
  return [...table.matchAll(/(\w+):\s*\d+/g)].map((m) => m[1]!);
})();

const captured = JSON.parse(
  readFileSync(new URL('../corpus/captured.json', import.meta.url), 'utf8'),
) as CapturedMessage[];
const ALL_MESSAGES = [
  ...captured.map((m) => ({ what: `${m.source} ${m.what}`, raw: m.raw })),
  ...HANDWRITTEN_MESSAGES.map((m) => ({ what: `handwritten ${m.what}`, raw: m.raw })),
];

/** Start rule sip.js would use for a header name (incoming-message.js: Header-Name -> Header_Name). */
const RULE_OF_HEADER: Record<string, string> = {
  via: 'Via',
  v: 'Via',
  from: 'From',
  f: 'From',
  to: 'To',
  t: 'To',
  contact: 'Contact',
  m: 'Contact',
  'record-route': 'Record_Route',
  'call-id': 'Call_ID',
  i: 'Call_ID',
  cseq: 'CSeq',
  'max-forwards': 'Max_Forwards',
  'content-length': 'Content_Length',
  l: 'Content_Length',
  'content-type': 'Content_Type',
  c: 'Content_Type',
  'www-authenticate': 'WWW_Authenticate',
  'proxy-authenticate': 'Proxy_Authenticate',
  'refer-to': 'Refer_To',
  r: 'Refer_To',
  event: 'Event',
  'subscription-state': 'Subscription_State',
  supported: 'Supported',
  require: 'Require',
  'session-expires': 'Session_Expires',
  'min-se': 'Min_SE',
  'content-disposition': 'Content_Disposition',
};

/** Header values per rule, split the way sip.js's Parser does (first line, then unfolded-in-place header values). */
function valuesByRule(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (rule: string, value: string) => (out.get(rule) ?? out.set(rule, new Set()).get(rule)!).add(value);
  for (const { raw } of ALL_MESSAGES) {
    const head = raw.split('\r\n\r\n')[0]!;
    const lines = head.split('\r\n');
    add('Request_Response', lines[0]!);
    add('sipfrag', lines[0]!);
    // Fold continuation lines into the header before them, as sip.js hands them to the grammar (CRLF kept).
    const headers: string[] = [];
    for (const line of lines.slice(1)) {
      if (/^[ \t]/.test(line) && headers.length > 0) headers[headers.length - 1] += `\r\n${line}`;
      else headers.push(line);
    }
    for (const header of headers) {
      const colon = header.indexOf(':');
      if (colon <= 0) continue;
      const rule = RULE_OF_HEADER[header.slice(0, colon).trim().toLowerCase()];
      if (rule) add(rule, header.slice(colon + 1).trim());
    }
  }
  for (const [rule, values] of Object.entries(HANDWRITTEN_VALUES)) for (const value of values) add(rule, value);
  return out;
}

function expectSameParse(input: string, rule: string): void {
  const expected = sipJsParse(input, rule);
  const actual = fastGrammarParse(input, rule);
  if (!isDeepStrictEqual(actual, expected)) {
    expect.fail(
      `rule ${rule}, input ${JSON.stringify(input.slice(0, 200))}: fast ${JSON.stringify(actual)} != sip.js ${JSON.stringify(expected)}`,
    );
  }
  expect(sameParseResult(actual, expected)).toBe(true);
}

describe('fast parser vs sip.js parser', () => {
  it('knows every start rule of the installed grammar', () => {
    expect(START_RULES.length).toBe(34);
    expect(START_RULES).toContain('Request_Response');
    expect(START_RULES).toContain('Contact');
  });

  it('has a corpus with captured Kamailio and sipp traffic and both valid and invalid hand-written messages', () => {
    expect(captured.filter((m) => m.source === 'kamailio-ws').length).toBeGreaterThanOrEqual(10);
    expect(captured.filter((m) => m.source === 'sipp-udp').length).toBeGreaterThanOrEqual(4);
    expect(HANDWRITTEN_MESSAGES.filter((m) => m.what.startsWith('valid')).length).toBeGreaterThanOrEqual(8);
    expect(HANDWRITTEN_MESSAGES.some((m) => m.what.startsWith('invalid'))).toBe(true);
  });

  const byRule = valuesByRule();
  it.each(START_RULES)('rule %s: equal results on its corpus values', (rule) => {
    const values = [...(byRule.get(rule) ?? [])];
    expect(values.length).toBeGreaterThanOrEqual(3);
    let invalid = 0;
    for (const value of values) {
      expectSameParse(value, rule);
      if (sipJsParse(value, rule) === -1) invalid++;
    }
    // Every rule's corpus has inputs sip.js rejects, so -1 is compared too.
    expect(invalid).toBeGreaterThan(0);
  });

  it('every rule on every hand-written value (mostly invalid for that rule): equal results', () => {
    const values = Object.values(HANDWRITTEN_VALUES).flat();
    for (const rule of START_RULES) for (const value of values) expectSameParse(value, rule);
  });

  it("seeded mutations of every rule's corpus values (backtracking and failure paths): equal results", () => {
    // The fast parser runs the grammar as compiled JavaScript, not sip.js's interpreter: mutated inputs walk the
    // alternatives, partial matches and failure positions that well-formed traffic never reaches. Deterministic (a
    // fixed seed), bounded: 40 mutants per rule.
    const next = prng(0x5eed);
    const random = (n: number): number => Math.floor(next() * n);
    const ALPHABET = ' \t\r\n<>;:,=@"\\/?%[]0123456789.-+*!~aZzsSiIpP';
    const mutate = (value: string): string => {
      let out = value;
      const edits = 1 + random(3);
      for (let i = 0; i < edits; i++) {
        const at = random(out.length + 1);
        switch (random(4)) {
          case 0:
            out = out.slice(0, at) + out.slice(at + 1 + random(3));
            break;
          case 1:
            out = out.slice(0, at) + ALPHABET[random(ALPHABET.length)] + out.slice(at);
            break;
          case 2:
            out = out.slice(0, at) + ALPHABET[random(ALPHABET.length)] + out.slice(at + 1);
            break;
          default:
            out = out.slice(0, at) + out.slice(random(out.length + 1)).slice(0, 8) + out.slice(at);
        }
      }
      return out;
    };
    let compared = 0;
    let accepted = 0;
    for (const rule of START_RULES) {
      const values = [...(byRule.get(rule) ?? [])];
      for (let i = 0; i < 40; i++) {
        const mutant = mutate(values[random(values.length)]!);
        expectSameParse(mutant, rule);
        compared++;
        if (sipJsParse(mutant, rule) !== -1) accepted++;
      }
    }
    expect(compared).toBe(START_RULES.length * 40);
    // Both outcomes are exercised: some mutants still parse, most do not.
    expect(accepted).toBeGreaterThan(100);
    expect(compared - accepted).toBeGreaterThan(100);
  });

  it('an unknown start rule gives -1 from both', () => {
    expect(sipJsParse('x', 'Expires')).toBe(-1);
    expect(fastGrammarParse('x', 'Expires')).toBe(-1);
  });

  describe('whole messages through sip.js Core.Parser, with sip.js parsing every header lazily afterwards', () => {
    afterEach(() => {
      (Grammar as { parse: Parse }).parse = sipJsParse;
    });

    const parseWith = (parse: Parse, raw: string) => {
      (Grammar as { parse: Parse }).parse = parse;
      const logs: string[] = [];
      const logger = {
        error: (m: string) => logs.push(`error ${m}`),
        warn: (m: string) => logs.push(`warn ${m}`),
        log: (m: string) => logs.push(`log ${m}`),
        debug: (m: string) => logs.push(`debug ${m}`),
      };
      const lazy: Record<string, unknown> = {};
      let message: ReturnType<typeof Core.Parser.parseMessage>;
      let thrown: string | undefined;
      try {
        // sip.js throws on some bad input (a response whose CSeq does not parse): the same throw is the same result.
        message = Core.Parser.parseMessage(raw, logger as unknown as Core.Logger);
        if (message) for (const name of Object.keys(message.headers)) lazy[name] = message.parseHeader(name);
      } catch (error) {
        thrown = String(error);
      } finally {
        (Grammar as { parse: Parse }).parse = sipJsParse;
      }
      return { message, logs, lazy, thrown };
    };

    it.each(ALL_MESSAGES.map((m) => [m.what, m.raw] as const))('%s', (_what, raw) => {
      const expected = parseWith(sipJsParse, raw);
      const actual = parseWith(fastGrammarParse, raw);
      expect(isDeepStrictEqual(actual, expected)).toBe(true);
      expect(actual.logs).toEqual(expected.logs);
      // Captured traffic and the valid hand-written messages really parse: the comparison is not of two failures.
      if (!_what.startsWith('handwritten invalid') && !_what.includes('sip.js rejects')) {
        expect(expected.message).toBeDefined();
        expect(expected.thrown).toBeUndefined();
      }
    });
  });
});

describe('installing the fast parser', () => {
  it('accepts the installed sip.js: known version, probes agree', () => {
    expect(checkCompatible(sipJsParse)).toBeUndefined();
  });

  it('refuses a sip.js reporting another version', () => {
    expect(checkCompatible(sipJsParse, '0.22.0')).toMatch(/reports version 0\.22\.0/);
  });

  it('refuses a sip.js whose parser gives other results (a patched grammar)', () => {
    const patched: Parse = (input, rule) => (rule === 'CSeq' ? { value: 1, method: 'X' } : sipJsParse(input, rule));
    expect(checkCompatible(patched)).toMatch(/parses "2 REGISTER" \(rule CSeq\) differently/);
  });

  it('falls back to sip.js, warns once, keeps working when sip.js is not one it knows', async () => {
    vi.resetModules();
    vi.doMock('sip.js', async (importOriginal) => ({
      ...(await importOriginal<typeof import('sip.js')>()),
      version: '9.9.9',
    }));
    try {
      const { createSipClient, activeParser } = await import('../../src/index');
      const warnings: string[] = [];
      const sink = { debug() {}, log() {}, warn: (m: string) => warnings.push(m), error() {} };
      const options = {
        server: 'ws://127.0.0.1:1',
        uri: 'sip:ann@example.test',
        logger: sink,
        webSocket: class {} as never,
      };
      const first = createSipClient(options);
      const second = createSipClient(options);
      expect(activeParser()).toBe('sip.js');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/fast SIP parser not installed.*9\.9\.9/);
      // sip.js's own parser is still the one in use, and works.
      expect((Grammar.parse as Parse)('2 REGISTER', 'CSeq')).toEqual({ value: 2, method: 'REGISTER' });
      expect(Grammar.parse).toBe(sipJsParse);
      first.dispose();
      second.dispose();
    } finally {
      vi.doUnmock('sip.js');
      vi.resetModules();
    }
  });

  it('createSipClient installs it by default, for all of sip.js; fastParser: false does not', async () => {
    vi.resetModules();
    const { createSipClient, activeParser } = await import('../../src/index');
    const options = { server: 'ws://127.0.0.1:1', uri: 'sip:ann@example.test', webSocket: class {} as never };
    expect(activeParser()).toBe('sip.js'); // importing installs nothing
    const optedOut = createSipClient({ ...options, fastParser: false });
    expect(activeParser()).toBe('sip.js');
    const client = createSipClient(options);
    expect(activeParser()).toBe('fast');
    expect(Grammar.parse).not.toBe(sipJsParse);
    // sip.js's helpers go through Grammar.parse, so they use it too.
    expect(Grammar.URIParse('sip:ann@example.test')?.user).toBe('ann');
    expect(Grammar.nameAddrHeaderParse('"Ann" <sip:ann@example.test>')?.displayName).toBe('Ann');
    client.dispose();
    optedOut.dispose();
    (Grammar as { parse: Parse }).parse = sipJsParse;
    expect(activeParser()).toBe('sip.js');
  });

  it('rejects a non-boolean fastParser option', async () => {
    const { createSipClient } = await import('../../src/index');
    expect(() =>
      createSipClient({
        server: 'ws://127.0.0.1:1',
        uri: 'sip:a@example.test',
        webSocket: class {} as never,
        fastParser: 'no' as never,
      }),
    ).toThrow(/`fastParser` must be true, false or `fastParser` from 'sipstate\/fast-parser', got "no"/);
  });
});

describe('the fastParser option in the Node build and in the browser build', () => {
  const options = { server: 'ws://127.0.0.1:1', uri: 'sip:ann@example.test', webSocket: class {} as never };

  it('resolves against the parser a build bundles: left out or true is it, false or none bundled is none', async () => {
    const { resolveFastParser } = await import('../../src/sip-parser');
    const { fastParser } = await import('../../src/fast-parser');
    const { SipConfigError } = await import('../../src/errors');
    // The Node build: the generated parser bundled.
    expect(resolveFastParser(undefined, fastParser)).toBe(fastParser);
    expect(resolveFastParser(true, fastParser)).toBe(fastParser);
    expect(resolveFastParser(false, fastParser)).toBeUndefined();
    expect(resolveFastParser(fastParser, fastParser)).toBe(fastParser);
    // The browser build: none bundled; only the parser passed in installs one.
    expect(resolveFastParser(undefined, undefined)).toBeUndefined();
    expect(resolveFastParser(false, undefined)).toBeUndefined();
    expect(resolveFastParser(fastParser, undefined)).toBe(fastParser);
    expect(() => resolveFastParser(true, undefined)).toThrow(SipConfigError);
    expect(() => resolveFastParser(true, undefined)).toThrow(/from 'sipstate\/fast-parser'/);
    // Only the parser itself passes: an object of the same name without its installer does not.
    expect(() => resolveFastParser({ name: 'sipstate fast SIP parser' }, undefined)).toThrow(/got object/);
    expect(() => resolveFastParser(1, fastParser)).toThrow(/got number/);
  });

  it("sipstate/fast-parser's parser, passed as the option, installs the fast parser", async () => {
    vi.resetModules();
    const { createSipClient, activeParser } = await import('../../src/index');
    const { fastParser } = await import('../../src/fast-parser-entry');
    expect(activeParser()).toBe('sip.js');
    const client = createSipClient({ ...options, fastParser });
    expect(activeParser()).toBe('fast');
    client.dispose();
    (Grammar as { parse: Parse }).parse = sipJsParse;
    expect(activeParser()).toBe('sip.js');
  });

  it("the browser build's createSipClient installs none by default and refuses true, and takes the parser passed", async () => {
    vi.resetModules();
    // What tsup.config.ts does for dist/browser/: the stand-in that bundles no parser.
    vi.doMock('../../src/bundled-fast-parser', () => import('../../src/bundled-fast-parser.browser'));
    try {
      const { createSipClient, activeParser, SipConfigError } = await import('../../src/index');
      const byDefault = createSipClient(options);
      expect(activeParser()).toBe('sip.js');
      expect(Grammar.parse).toBe(sipJsParse);
      let refused: unknown;
      try {
        createSipClient({ ...options, fastParser: true });
      } catch (error) {
        refused = error;
      }
      expect(refused).toBeInstanceOf(SipConfigError);
      expect(refused).toMatchObject({ field: 'fastParser', message: expect.stringMatching(/browser build/) });
      const { fastParser } = await import('../../src/fast-parser-entry');
      const optedIn = createSipClient({ ...options, fastParser });
      expect(activeParser()).toBe('fast');
      optedIn.dispose();
      byDefault.dispose();
    } finally {
      (Grammar as { parse: Parse }).parse = sipJsParse;
      vi.doUnmock('../../src/bundled-fast-parser');
      vi.resetModules();
    }
  });
});

describe('the grammar generator', () => {
  it('knows the installed grammar file', () => {
    const entry = KNOWN_GRAMMARS[0];
    expect(entry.packageVersion).toBe('0.21.2');
  });

  it('compiles the table to one function per rule, built once: no interpreter, no eval or Function constructor', () => {
    const generated = readFileSync(new URL('../../src/generated/sip-grammar.ts', import.meta.url), 'utf8');
    expect(generated).toMatch(/MIT License/);
    expect(generated).toMatch(/function peg\$createParser\(\) \{/);
    expect(generated).toMatch(/function peg\$r0\(\) \{/);
    expect(generated).toMatch(/const peg\$rules = \[peg\$r0, /);
    expect(generated).not.toMatch(/peg\$bytecode|peg\$decode|switch \(bc\[ip\]\)/);
    expect(generated).not.toMatch(/\beval\s*\(|new\s+Function\b|\bFunction\s*\(/);
    expect(transformGrammar(grammarSource)).toBe(generated.slice(generated.indexOf('function peg$padEnd')));
  });

  it('fails loudly when the expected shape is not there', () => {
    expect(() => transformGrammar(grammarSource.replace('const peg$bytecode = [', 'const peg$table = ['))).toThrow(
      /expected shape not found: peg\$bytecode/,
    );
    expect(() => transformGrammar(grammarSource.replace('function peg$decode(s) {', 'function decode(s) {'))).toThrow(
      /expected shape not found: peg\$decode/,
    );
    expect(() => transformGrammar(grammarSource.replace('case 29:', 'case 30:'))).toThrow(
      /interpreter has an unexpected body/,
    );
  });

  it('turns a character-class RegExp into the code-unit ranges it accepts, and leaves stateful ones alone', () => {
    expect(classRanges(/^[0-9]/)).toEqual([[48, 57]]);
    expect(classRanges(/^[a-zA-Z0-9_-]/)).toEqual([
      [45, 45],
      [48, 57],
      [65, 90],
      [95, 95],
      [97, 122],
    ]);
    expect(classRanges(/^[\x80-\uFFFF]/)).toEqual([[0x80, 0xffff]]);
    expect(classRanges(/^[a-z]/g)).toBeUndefined();
    expect(classRanges(/^x*/)).toBeUndefined(); // matches '': the end of input would answer differently
    expect(classRanges('0-9')).toBeUndefined();
  });

  it('compiles bytecode to the same stack discipline as the interpreter, and refuses what it cannot follow', () => {
    // PUSH_CURR_POS; RULE 7; IF_NOT_ERROR then [NIP] else [POP; POP_CURR_POS; PUSH_FAILED]: the shape of a sequence
    // that backtracks on failure. Its meaning is checked by the differential tests above; here, the translation.
    const rule = compileRule([5, 27, 7, 15, 1, 3, 9, 6, 7, 3], 3);
    expect(rule).toContain('function peg$r3() {');
    expect(rule).toContain('s0 = peg$currPos;');
    expect(rule).toContain('s1 = peg$r7();');
    expect(rule).toContain('if (s1 !== peg$FAILED) {');
    expect(rule).toContain('s0 = s1;');
    expect(rule).toContain('peg$currPos = s0;');
    expect(rule).toContain('s0 = peg$FAILED;');
    expect(() => compileRule([99], 1)).toThrow(/rule 1: unknown opcode 99/);
    expect(() => compileRule([6], 2)).toThrow(/rule 2: stack underflow/);
    expect(() => compileRule([5, 5], 4)).toThrow(/rule 4: ends with 2 values on the stack/);
    // A loop whose body leaves a value behind cannot be a local variable: refused, not miscompiled.
    expect(() => compileRule([3, 16, 1, 5], 5)).toThrow(/rule 5: a loop body moves the stack/);
  });
});
