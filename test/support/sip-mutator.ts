/**
 * Seeded mutations of SIP messages for the hostile-peer fuzzer (test/hostile/fuzz.test.ts): truncations, byte flips,
 * duplicated and removed lines, absurd numbers in Expires/CSeq/Content-Length/Retry-After/Min-Expires, and CR/LF
 * injected into header values. The same seed gives the same messages.
 *
 * @example
 * ```ts
 * const mutate = mutator(prng(15));
 * const mutant = mutate.message('REGISTER sip:x SIP/2.0\r\n...');
 * ```
 */

const CRLF = '\r\n';

/** Numbers a server should never be trusted with. */
export const ABSURD_NUMBERS = [
  '0',
  '-1',
  '1.5',
  '1e300',
  '1e+21',
  'NaN',
  'Infinity',
  '0x10',
  '',
  ' ',
  '2147483648',
  '4294967296',
  String(2 ** 53),
  '9007199254740993',
  '99999999999999999999999999',
  '3000000',
  '86401',
];

/** Headers whose numbers decide timers and sizes. */
const NUMERIC_HEADERS = [
  'Expires',
  'CSeq',
  'Content-Length',
  'Retry-After',
  'Min-Expires',
  'Max-Forwards',
  'Session-Expires',
  'RSeq',
];

/** Characters a flipped byte becomes: separators, controls, quotes, and some far outside ASCII. */
const FLIP_TO = [
  '\u0000',
  '\r',
  '\n',
  ':',
  ';',
  ',',
  '<',
  '>',
  '"',
  '\\',
  '%',
  '=',
  ' ',
  '\t',
  '@',
  '?',
  '\u007f',
  '\u0085',
  '\u00ff',
  '\u2028',
  '\ud800',
  '\uffff',
  '😀',
];

/** What a header value gets when CR/LF is injected into it. */
const INJECTIONS = [
  `${CRLF}X-Injected: yes`,
  `${CRLF}Route: <sip:attacker.example;lr>`,
  '%0D%0AX-Injected:%20yes',
  `${CRLF}${CRLF}`,
  '\rX-Injected: yes',
  '\nX-Injected: yes',
  `${CRLF} folded continuation`,
];

export type Mutation = 'truncate' | 'flip' | 'duplicateLine' | 'removeLine' | 'absurdNumber' | 'injectCrlf';
export const MUTATIONS: readonly Mutation[] = [
  'truncate',
  'flip',
  'duplicateLine',
  'removeLine',
  'absurdNumber',
  'injectCrlf',
];

/** A mutator drawing every choice from `random` (a seeded PRNG: test/support/prng.ts). */
export function mutator(random: () => number) {
  const int = (below: number): number => Math.floor(random() * below);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)]!;

  const apply = (raw: string, mutation: Mutation): string => {
    const lines = raw.split(CRLF);
    const headerEnd = Math.max(1, lines.indexOf(''));
    switch (mutation) {
      case 'truncate':
        return raw.slice(0, int(raw.length + 1));
      case 'flip': {
        const at = int(raw.length);
        return raw.slice(0, at) + pick(FLIP_TO) + raw.slice(at + 1);
      }
      case 'duplicateLine': {
        const at = int(headerEnd);
        const copies = pick([1, 2, 10, 100]);
        lines.splice(at, 0, ...Array.from({ length: copies }, () => lines[at]!));
        return lines.join(CRLF);
      }
      case 'removeLine': {
        lines.splice(int(headerEnd), 1);
        return lines.join(CRLF);
      }
      case 'absurdNumber': {
        const name = pick(NUMERIC_HEADERS);
        const number = pick(ABSURD_NUMBERS);
        const pattern = new RegExp(`^(${name}|${name === 'Content-Length' ? 'l' : name}):[ \\t]*([^\\r\\n]*)$`, 'im');
        const existing = lines.findIndex((line, index) => index > 0 && index < headerEnd && pattern.test(line));
        if (existing >= 0) {
          // CSeq keeps its method; every other header is its number.
          lines[existing] = name === 'CSeq' ? lines[existing]!.replace(/:\s*\S*/, `: ${number}`) : `${name}: ${number}`;
        } else {
          lines.splice(Math.max(1, headerEnd - 1), 0, `${name}: ${number}`);
        }
        // An expires param on a Contact is the other place a registrar states an expiry.
        if (random() < 0.3) return lines.join(CRLF).replace(/;expires=\d+/i, `;expires=${number}`);
        return lines.join(CRLF);
      }
      case 'injectCrlf': {
        const at = 1 + int(Math.max(1, headerEnd - 1));
        if (lines[at] === undefined || lines[at] === '') return raw;
        const line = lines[at]!;
        const cut = line.indexOf(':') + 1 + int(Math.max(1, line.length - line.indexOf(':')));
        lines[at] = line.slice(0, cut) + pick(INJECTIONS) + line.slice(cut);
        return lines.join(CRLF);
      }
    }
  };

  return {
    random,
    int,
    pick,
    /** One to three mutations, each drawn at random, applied in turn; the result is at most `maxBytes` characters. */
    message(raw: string, maxBytes = 60_000): { raw: string; mutations: Mutation[] } {
      const mutations = Array.from({ length: 1 + int(3) }, () => pick(MUTATIONS));
      let out = raw;
      for (const mutation of mutations) out = apply(out, mutation);
      return { raw: out.length > maxBytes ? out.slice(0, maxBytes) : out, mutations };
    },
  };
}
