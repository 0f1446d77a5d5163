/**
 * The shape limits checked before sip.js's parser sees an incoming message (src/sip/message-guard.ts): each limit
 * at and one past its bound, the counting rules (compact forms, commas inside quotes and <...>), and real traffic
 * captured from Kamailio and sipp, all of which must pass.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  checkMessageShape,
  MAX_CONTACT_ENTRIES,
  MAX_HEADER_LINE_LENGTH,
  MAX_HEADER_LINES,
  MAX_INVITE_EXPIRES_SEC,
  MAX_RECORD_ROUTE_ENTRIES,
  MAX_ROUTE_ENTRIES,
  MAX_START_LINE_LENGTH,
  MAX_VIA_ENTRIES,
} from '../../src/sip/message-guard';
import { HANDWRITTEN_MESSAGES } from '../corpus/handwritten';

const CRLF = '\r\n';
const STATUS = 'SIP/2.0 200 OK';
const BASE_HEADERS = [
  'From: <sip:alice@sipstate.test>;tag=1',
  'To: <sip:alice@sipstate.test>;tag=2',
  'Call-ID: guard-1',
  'CSeq: 1 REGISTER',
];
const message = (startLine: string, headers: readonly string[], body = ''): string =>
  [startLine, ...headers, `Content-Length: ${body.length}`, '', body].join(CRLF);
const response = (...headers: string[]): string => message(STATUS, [...BASE_HEADERS, ...headers]);
const via = (index: number): string => `SIP/2.0/WS h${index}.invalid;branch=z9hG4bK${index}`;
const list = (count: number, entry: (index: number) => string): string =>
  Array.from({ length: count }, (_, index) => entry(index)).join(', ');

interface Captured {
  source: string;
  what: string;
  raw: string;
}
const captured = JSON.parse(
  readFileSync(new URL('../corpus/captured.json', import.meta.url), 'utf8'),
) as readonly Captured[];

describe('message guard: real traffic passes', () => {
  it('passes every message captured from Kamailio (WebSocket) and sipp (UDP)', () => {
    expect(captured.length).toBeGreaterThan(20);
    expect(new Set(captured.map((entry) => entry.source))).toEqual(new Set(['kamailio-ws', 'sipp-udp']));
    for (const entry of captured) expect(checkMessageShape(entry.raw), entry.what).toBeUndefined();
  });

  it('passes every hand-written valid message (folding, compact forms, 60 Contacts, 4 KB values)', () => {
    const valid = HANDWRITTEN_MESSAGES.filter((entry) => entry.what.startsWith('valid'));
    expect(valid.length).toBeGreaterThanOrEqual(5);
    for (const entry of valid) expect(checkMessageShape(entry.raw), entry.what).toBeUndefined();
  });
});

describe('message guard: header lines', () => {
  it('rejects a header line without a colon, naming the line but none of its bytes', () => {
    const reason = checkMessageShape(response('X-Ok: 1', 'SECRET-LOOKING LINE WITHOUT COLON'));
    expect(reason).toBe(`header line ${BASE_HEADERS.length + 2} has no colon`);
    expect(reason).not.toContain('SECRET');
  });

  it('does not find a colon-less line its colon on a later line', () => {
    expect(checkMessageShape(response('X-No-Colon', 'X-Later: has one'))).toMatch(/has no colon/);
  });

  it('accepts folded continuation lines (space or tab) and rejects one that continues no header', () => {
    expect(checkMessageShape(response('Subject: a long', ' subject folded', '\tand folded again'))).toBeUndefined();
    expect(checkMessageShape(message(STATUS, [' folded first', ...BASE_HEADERS]))).toBe(
      'header line 1 continues no header',
    );
  });

  it(`accepts ${MAX_HEADER_LINES} header lines and rejects one more (continuation lines count)`, () => {
    const fill = (lines: number): string[] =>
      Array.from({ length: lines - BASE_HEADERS.length - 1 }, (_, index) => `X-Fill-${index}: ${index}`);
    expect(checkMessageShape(response(...fill(MAX_HEADER_LINES)))).toBeUndefined();
    expect(checkMessageShape(response(...fill(MAX_HEADER_LINES + 1)))).toBe(
      `more than ${MAX_HEADER_LINES} header lines`,
    );
    const folded = [...fill(MAX_HEADER_LINES), ' a continuation line'];
    expect(checkMessageShape(response(...folded))).toBe(`more than ${MAX_HEADER_LINES} header lines`);
  });

  it(`accepts a start line of ${MAX_START_LINE_LENGTH} characters and rejects a longer one`, () => {
    const startLine = (length: number): string => {
      const prefix = 'MESSAGE sip:';
      const suffix = '@sipstate.test SIP/2.0';
      return `${prefix}${'u'.repeat(length - prefix.length - suffix.length)}${suffix}`;
    };
    expect(startLine(MAX_START_LINE_LENGTH)).toHaveLength(MAX_START_LINE_LENGTH);
    expect(checkMessageShape(message(startLine(MAX_START_LINE_LENGTH), BASE_HEADERS))).toBeUndefined();
    expect(checkMessageShape(message(startLine(MAX_START_LINE_LENGTH + 1), BASE_HEADERS))).toBe(
      `start line longer than ${MAX_START_LINE_LENGTH} characters`,
    );
    expect(checkMessageShape('x'.repeat(MAX_START_LINE_LENGTH + 1))).toMatch(/^start line longer/); // no CRLF at all
  });

  it(`accepts a header line of ${MAX_HEADER_LINE_LENGTH} characters and rejects a longer one`, () => {
    const line = (length: number): string => `X-Big: ${'b'.repeat(length - 'X-Big: '.length)}`;
    expect(checkMessageShape(response(line(MAX_HEADER_LINE_LENGTH)))).toBeUndefined();
    expect(checkMessageShape(response(line(MAX_HEADER_LINE_LENGTH + 1)))).toBe(
      `header line ${BASE_HEADERS.length + 1} longer than ${MAX_HEADER_LINE_LENGTH} characters`,
    );
  });

  it('stops at the empty line: the body is not read', () => {
    const body = `${'no colon in this body line\r\n'.repeat(1_000)}${'Via: x, y, z\r\n'.repeat(100)}`;
    expect(checkMessageShape(message('MESSAGE sip:bob@sipstate.test SIP/2.0', BASE_HEADERS, body))).toBeUndefined();
  });

  it('accepts the bare start lines sip.js rejects on its own (no header section to check)', () => {
    expect(checkMessageShape('SIP/2.0 200 OK')).toBeUndefined();
    expect(checkMessageShape('SIP/2.0 200 OK\r\n')).toBeUndefined();
  });
});

describe('message guard: entry counts', () => {
  const cases = [
    { name: 'Via', compact: 'v', max: MAX_VIA_ENTRIES, entry: via },
    {
      name: 'Contact',
      compact: 'm',
      max: MAX_CONTACT_ENTRIES,
      entry: (i: number) => `<sip:c${i}@h.invalid>;expires=60`,
    },
    { name: 'Route', compact: undefined, max: MAX_ROUTE_ENTRIES, entry: (i: number) => `<sip:p${i}.invalid;lr>` },
    {
      name: 'Record-Route',
      compact: undefined,
      max: MAX_RECORD_ROUTE_ENTRIES,
      entry: (i: number) => `<sip:p${i}.invalid;lr>`,
    },
  ] as const;

  for (const { name, compact, max, entry } of cases) {
    it(`${name}: ${max} entries pass and ${max + 1} are rejected, as header lines, as a comma list, or mixed`, () => {
      const rejected = `more than ${max} ${name} entries`;
      const lines = (count: number): string[] => Array.from({ length: count }, (_, i) => `${name}: ${entry(i)}`);
      expect(checkMessageShape(response(...lines(max)))).toBeUndefined();
      expect(checkMessageShape(response(...lines(max + 1)))).toBe(rejected);
      expect(checkMessageShape(response(`${name}: ${list(max, entry)}`))).toBeUndefined();
      expect(checkMessageShape(response(`${name}: ${list(max + 1, entry)}`))).toBe(rejected);
      const half = Math.ceil(max / 2);
      const mixed = [`${name}: ${list(half, entry)}`, `${name.toUpperCase()} : ${list(max + 1 - half, entry)}`];
      expect(checkMessageShape(response(...mixed))).toBe(rejected);
      // A folded value's continuation lines belong to the same header.
      expect(checkMessageShape(response(`${name}: ${list(max, entry)},`, ` ${entry(max)}`))).toBe(rejected);
    });
    if (compact !== undefined) {
      it(`${name}: the compact form '${compact}' counts as ${name}`, () => {
        const half = Math.ceil(max / 2);
        const headers = [`${name}: ${list(half, entry)}`, `${compact}: ${list(max - half, entry)}`];
        expect(checkMessageShape(response(...headers))).toBeUndefined();
        expect(checkMessageShape(response(...headers, `${compact}: ${entry(max)}`))).toBe(
          `more than ${max} ${name} entries`,
        );
      });
    }
  }

  it('does not count commas inside quoted display names (escapes included) or inside <...>', () => {
    const contact = (i: number): string =>
      `"Doe, Jane \\"${i},${i}\\" , x" <sip:c${i}@h.invalid;a=1,2;b=3?h=x,y>;q=0.5`;
    expect(checkMessageShape(response(`Contact: ${list(MAX_CONTACT_ENTRIES, contact)}`))).toBeUndefined();
    expect(checkMessageShape(response(`Contact: ${list(MAX_CONTACT_ENTRIES + 1, contact)}`))).toBe(
      `more than ${MAX_CONTACT_ENTRIES} Contact entries`,
    );
  });

  it('resets quote and angle state at each new header line, so an unclosed one cannot hide later entries', () => {
    const headers = [
      'Contact: "unclosed <sip:a@b>',
      ...Array.from({ length: MAX_CONTACT_ENTRIES }, (_, i) => `m: <sip:c${i}@h>`),
    ];
    expect(checkMessageShape(response(...headers))).toBe(`more than ${MAX_CONTACT_ENTRIES} Contact entries`);
  });

  it("rejects the issue's Contact with 20,000 entries however it is written, and counts no other header's commas", () => {
    const entries = Array.from({ length: 20_000 }, (_, i) => `<sip:c${i}@h>`);
    // On one line: over the line length; folded into 200 lines of 100: over the entry count.
    expect(checkMessageShape(response(`Contact: ${entries.join(',')}`))).toMatch(/longer than/);
    const folded = Array.from(
      { length: 200 },
      (_, i) => `${i === 0 ? 'Contact:' : ''} ${entries.slice(i * 100, i * 100 + 100).join(',')},`,
    );
    expect(checkMessageShape(response(...folded))).toBe(`more than ${MAX_CONTACT_ENTRIES} Contact entries`);
    expect(checkMessageShape(response(`Supported: ${list(500, (i) => `ext${i}`)}`))).toBeUndefined();
    expect(checkMessageShape(response(`Contactx: ${list(500, (i) => `<sip:c${i}@h>`)}`))).toBeUndefined();
  });
});

describe('message guard: an INVITE Expires sip.js would turn into a timer', () => {
  const invite = (...headers: string[]): string =>
    message('INVITE sip:alice@sipstate.test SIP/2.0', [
      'Via: SIP/2.0/WS h.invalid;branch=z9hG4bK1',
      ...BASE_HEADERS,
      ...headers,
    ]);

  it(`accepts plain seconds up to ${MAX_INVITE_EXPIRES_SEC} (the largest that fits a timer) and no Expires at all`, () => {
    expect(checkMessageShape(invite())).toBeUndefined();
    expect(checkMessageShape(invite('Expires: 180'))).toBeUndefined();
    expect(checkMessageShape(invite(`Expires:  ${MAX_INVITE_EXPIRES_SEC} `))).toBeUndefined();
  });

  it('rejects one past the bound, and anything that is not plain decimal seconds', () => {
    const reason = `INVITE Expires is not 0..${MAX_INVITE_EXPIRES_SEC} seconds`;
    for (const value of [`${MAX_INVITE_EXPIRES_SEC + 1}`, '1e10', '0x10', '-5', '', '9007199254740992', '60 ; x']) {
      expect(checkMessageShape(invite(`Expires: ${value}`)), value).toBe(reason);
    }
  });

  it('leaves the Expires of other messages to their own checks (a registrar may grant 2^32-1 s)', () => {
    expect(checkMessageShape(response('Expires: 4294967295'))).toBeUndefined();
    expect(checkMessageShape(message('MESSAGE sip:a@b SIP/2.0', [...BASE_HEADERS, 'Expires: 1e10']))).toBeUndefined();
  });
});
