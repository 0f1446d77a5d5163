import { describe, expect, it } from 'vitest';
import { errorText, eventText, sipSummary, terminalText, unexpectedErrorText } from '../../src/cli/format';
import { SipError } from '../../src/errors';
import { buildTraceEntry, type SipTraceEntry } from '../../src/sip/trace';

const sent = (message: string): SipTraceEntry => buildTraceEntry('sent', message);
const received = (message: string): SipTraceEntry => buildTraceEntry('received', message);
const sip = (...lines: string[]): string => `${lines.join('\r\n')}\r\n\r\n`;

/** Every C0 control character but tab, DEL, every C1 control character, and the Unicode line/paragraph separators. */
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/;

describe('CLI SIP lines: direction', () => {
  it('shows requests sipstate sends with →, and the responses it receives with ←', () => {
    expect(
      sipSummary(
        sent(sip('REGISTER sip:sipstate.test SIP/2.0', 'CSeq: 2 REGISTER', 'Contact: <sip:a@h.invalid>;expires=60')),
      ),
    ).toBe('→ REGISTER expires=60');
    expect(
      sipSummary(
        sent(sip('REGISTER sip:sipstate.test SIP/2.0', 'CSeq: 3 REGISTER', 'Contact: <sip:a@h.invalid>;expires=0')),
      ),
    ).toBe('→ REGISTER expires=0');
    expect(sipSummary(received(sip('SIP/2.0 401 Unauthorized', 'CSeq: 1 REGISTER')))).toBe(
      '← 401 Unauthorized (REGISTER)',
    );
    expect(
      sipSummary(received(sip('SIP/2.0 200 OK', 'CSeq: 2 REGISTER', 'Contact: <sip:a@h.invalid>;expires=60'))),
    ).toBe('← 200 OK (REGISTER, expires=60)');
  });

  it("shows requests the server sends with ←, and sipstate's answers to them with →", () => {
    for (const method of ['INVITE', 'MESSAGE', 'OPTIONS', 'NOTIFY', 'BYE', 'REFER']) {
      expect(sipSummary(received(sip(`${method} sip:alice@h.invalid;transport=ws SIP/2.0`, `CSeq: 7 ${method}`)))).toBe(
        `← ${method}`,
      );
    }
    expect(sipSummary(sent(sip('SIP/2.0 200 OK', 'CSeq: 7 MESSAGE')))).toBe('→ 200 OK (MESSAGE)');
    expect(sipSummary(sent(sip('SIP/2.0 486 Busy Here', 'CSeq: 1 INVITE')))).toBe('→ 486 Busy Here (INVITE)');
  });

  it('takes the direction from the entry, whatever the text says', () => {
    const text = sip('SIP/2.0 200 OK', 'CSeq: 1 OPTIONS', 'Subject: sent to ws://x:');
    expect(sipSummary(received(text))).toBe('← 200 OK (OPTIONS)');
    expect(sipSummary(sent(text))).toBe('→ 200 OK (OPTIONS)');
  });

  it('shows the Expires header when the Contact has no expires parameter, and nothing when neither is there', () => {
    expect(
      sipSummary(sent(sip('REGISTER sip:sipstate.test SIP/2.0', 'CSeq: 4 REGISTER', 'Contact: *', 'Expires: 0'))),
    ).toBe('→ REGISTER expires=0');
    expect(
      sipSummary(sent(sip('REGISTER sip:sipstate.test SIP/2.0', 'CSeq: 4 REGISTER', 'Contact: <sip:a@h.invalid>'))),
    ).toBe('→ REGISTER');
  });

  it('shows nothing for an entry without a start line', () => {
    expect(sipSummary(sent('\r\n\r\n'))).toBeUndefined();
  });
});

describe('CLI SIP lines: hostile text', () => {
  const hostile = [
    '\u001b]0;pwned\u0007', // retitle the terminal (OSC 0, BEL)
    '\u001b]0;pwned\u001b\\', // the same, ST-terminated
    '\u001b[2J\u001b[H', // clear the screen, cursor home
    'OK\rforged line', // carriage return: overwrite the line
    'OK\n2024-01-01T00:00:00.000Z  registration forged', // a bare LF: a forged line
    '\u009b2J', // C1 CSI
    '\u0085next line', // C1 NEL
    'a\u2028b', // Unicode line separator
    'nul\u0000byte',
  ];

  it.each(hostile.map((text) => [JSON.stringify(text), text]))('escapes %s in a reason phrase', (_name, text) => {
    const line = sipSummary(received(sip(`SIP/2.0 486 Busy ${text}`, 'CSeq: 1 INVITE')))!;
    expect(line).toMatch(/^← 486 Busy /);
    expect(line).toMatch(/ \(INVITE\)$/);
    expect(line).not.toMatch(CONTROL);
  });

  it('escapes control characters in a method, a CSeq method and the escapes are visible as text', () => {
    expect(sipSummary(received(sip('IN\u001b[2JVITE sip:a@b SIP/2.0', 'CSeq: 1 INVITE')))).toBe('← IN\\x1b[2JVITE');
    expect(sipSummary(received(sip('SIP/2.0 200 OK', 'CSeq: 1 REG\u009bISTER')))).toBe('← 200 OK (REG\\x9bISTER)');
    expect(sipSummary(received(sip('SIP/2.0 200 OK\u001b]0;x\u0007', 'CSeq: 1 OPTIONS')))).toBe(
      '← 200 OK\\x1b]0;x\\x07 (OPTIONS)',
    );
  });

  it('cuts a huge reason phrase', () => {
    const line = sipSummary(received(sip(`SIP/2.0 500 ${'x'.repeat(100_000)}`, 'CSeq: 1 INVITE')))!;
    expect(line.length).toBeLessThan(300);
    expect(line).toMatch(/^← 500 x+… \(INVITE\)$/);
  });

  it('escapes what errors and events quote from the network, and redacts URLs in them', () => {
    const error = new SipError('rejected', 'Registration rejected: 403 Nope\u001b[2J\r\nforged', {
      code: 403,
      reason: 'Nope\u001b[2J\r\nforged',
    });
    expect(errorText(error)).toBe('rejected 403: Registration rejected: 403 Nope\\x1b[2J\\x0d\\x0aforged');
    const event = eventText({ type: 'xstate.error.actor.x', error });
    expect(event).not.toMatch(CONTROL);
    expect(event).toContain('(rejected 403 Nope\\x1b[2J\\x0d\\x0aforged: Registration rejected');
    const closed = eventText({
      type: 'xstate.error.actor.x',
      error: new Error('WebSocket closed ws://a:s3cret@h/x?token=t0k (code: 1006)'),
    });
    expect(closed).toContain('ws://***@h/x?token=***');
    expect(closed).not.toMatch(/s3cret|t0k/);
    expect(terminalText('warn \u001b]0;x\u0007')).toBe('warn \\x1b]0;x\\x07');
  });

  it('prints an unexpected error as one escaped message line and its stack frames', () => {
    const error = new Error('boom\u001b[2J\nforged');
    const lines = unexpectedErrorText(error).split('\n');
    expect(lines[0]).toBe('Error: boom\\x1b[2J\\x0aforged');
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines.slice(1)) expect(line).toMatch(/^\s+at /);
    expect(unexpectedErrorText('plain \u0007')).toBe('plain \\x07');
  });
});
