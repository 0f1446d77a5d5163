import { describe, expect, it } from 'vitest';
import {
  createLogger,
  normalizeLogLevel,
  redactSipMessage,
  redactUrlsIn,
  sipJsLogLevel,
  type SipLogLevel,
} from '../../src/logger';

function capture(level: SipLogLevel = 'debug') {
  const lines: string[] = [];
  const sink = {
    debug: (l: string) => lines.push(l),
    log: (l: string) => lines.push(l),
    warn: (l: string) => lines.push(l),
    error: (l: string) => lines.push(l),
  };
  return { lines, logger: createLogger(level, sink) };
}

const REGISTER = [
  'REGISTER sip:sipstate.test SIP/2.0',
  'Via: SIP/2.0/WSS h.invalid;branch=z9hG4bK1',
  'From: <sip:alice@sipstate.test>;tag=1',
  'To: <sip:alice@sipstate.test>',
  'Authorization: Digest algorithm=MD5, username="alice", realm="sipstate.test", nonce="n0nce", uri="sip:sipstate.test", response="d1gest0000", qop=auth, cnonce="c", nc=00000001',
  'CSeq: 2 REGISTER',
  'Contact: <sip:alice@h.invalid;transport=ws>;expires=600',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

describe('log redaction', () => {
  it('masks the Authorization value and leaves a user name equal to the password alone', () => {
    // The password is "alice", like the user name: masking the password's text would change every "alice" below.
    const { lines, logger } = capture();
    logger.debug(`sent to ws://127.0.0.1:5066:\n${REGISTER}`);
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line).toContain('\r\nAuthorization: [redacted]\r\nCSeq: 2 REGISTER\r\n');
    expect(line).not.toContain('d1gest0000');
    expect(line).not.toContain('n0nce');
    expect(line).toContain('From: <sip:alice@sipstate.test>;tag=1');
    expect(line).toContain('Contact: <sip:alice@h.invalid;transport=ws>;expires=600');
    expect(line).not.toContain('[redacted]@');
    expect(line.startsWith('[sipstate] sent to ws://127.0.0.1:5066:\nREGISTER sip:sipstate.test SIP/2.0\r\n')).toBe(
      true,
    );
  });

  it('masks Proxy-Authorization, WWW-Authenticate and Proxy-Authenticate, in any case and spacing', () => {
    const message = [
      'SIP/2.0 407 Proxy Authentication Required',
      'proxy-authenticate : Digest realm="r", nonce="pn0nce"',
      'WWW-AUTHENTICATE:Digest realm="r", nonce="wn0nce"',
      'Proxy-Authorization: Digest username="bob", response="pr3sp"',
      'CSeq: 1 INVITE',
      '',
    ].join('\r\n');
    const redacted = redactSipMessage(message);
    for (const secret of ['pn0nce', 'wn0nce', 'pr3sp', 'bob']) expect(redacted).not.toContain(secret);
    expect(redacted.split('\r\n')).toEqual([
      'SIP/2.0 407 Proxy Authentication Required',
      'proxy-authenticate: [redacted]',
      'WWW-AUTHENTICATE: [redacted]',
      'Proxy-Authorization: [redacted]',
      'CSeq: 1 INVITE',
      '',
    ]);
  });

  it('masks a folded Authorization header entirely, continuation lines included', () => {
    const message = [
      'REGISTER sip:sipstate.test SIP/2.0',
      'Authorization: Digest username="alice",',
      ' realm="sipstate.test",',
      '\tnonce="f0ldednonce",',
      '   response="f0ldedresp"',
      'CSeq: 3 REGISTER',
      'Max-Forwards: 70',
      '',
    ].join('\r\n');
    const { lines, logger } = capture();
    logger.debug(message);
    const line = lines[0]!;
    for (const secret of ['f0ldednonce', 'f0ldedresp', 'realm=', 'username=']) expect(line).not.toContain(secret);
    expect(line).toBe(
      '[sipstate] REGISTER sip:sipstate.test SIP/2.0\r\nAuthorization: [redacted]\r\nCSeq: 3 REGISTER\r\nMax-Forwards: 70\r\n',
    );
    // Bare LF line ends fold the same way.
    expect(redactSipMessage('Authorization: Digest a\n b="x"\nCSeq: 1 X')).toBe('Authorization: [redacted]\nCSeq: 1 X');
  });

  it('leaves a header that only starts like Authorization, or mentions it in its value, as it is', () => {
    expect(redactSipMessage('X-Authorization-Hint: none\r\nSubject: Authorization: please')).toBe(
      'X-Authorization-Hint: none\r\nSubject: Authorization: please',
    );
  });

  it('redacts the user-info and query values of every URL in a line, and keeps the text around them', () => {
    const { lines, logger } = capture('warn');
    logger.warn('WebSocket closed ws://alice:s3cret@127.0.0.1:1/x?token=t0k (code: 1006)');
    logger.error(() => 'sent to wss://u:p4ss@sip.example.com/ws?key=k3y&x=1:\nOPTIONS sip:x SIP/2.0');
    expect(lines).toEqual([
      '[sipstate] WebSocket closed ws://***@127.0.0.1:1/x?token=*** (code: 1006)',
      '[sipstate] sent to wss://***@sip.example.com/ws?key=***&x=***:\nOPTIONS sip:x SIP/2.0',
    ]);
    // Redacting twice changes nothing (the transport may already have redacted the URL it logs).
    expect(redactUrlsIn(lines[1]!)).toBe(lines[1]);
    expect(redactUrlsIn('see <https://example.com/a?b=c>, then')).toBe('see <https://example.com/a?b=***>, then');
  });

  it('drops lines below its level without building them', () => {
    const { lines, logger } = capture('warn');
    let built = 0;
    logger.debug(() => `${++built}`);
    logger.log('not shown');
    logger.warn('shown');
    expect(built).toBe(0);
    expect(lines).toEqual(['[sipstate] shown']);
  });
});

describe('log redaction through a client', () => {
  it('shows the user name "alice" when the password is "alice" too, and never the digest or the URL\'s secrets', async () => {
    const { createSipClient } = await import('../../src/client');
    const requests: string[] = [];
    /** A WebSocket that opens at once and answers the first REGISTER with a digest challenge, the next with 200. */
    class ChallengingWebSocket {
      readyState = 0;
      binaryType = 'arraybuffer';
      onopen: ((event: unknown) => void) | null = null;
      onclose: ((event: { code: number }) => void) | null = null;
      onerror: ((event: unknown) => void) | null = null;
      onmessage: ((event: { data: unknown }) => void) | null = null;
      constructor() {
        setTimeout(() => {
          this.readyState = 1;
          this.onopen?.({});
        }, 1);
      }
      send(data: string): void {
        if (!data.startsWith('REGISTER ')) return;
        requests.push(data);
        const header = (name: string): string => new RegExp(`^${name}: (.*)$`, 'mi').exec(data)![1]!.trim();
        const challenged = requests.length === 1;
        const response = [
          challenged ? 'SIP/2.0 401 Unauthorized' : 'SIP/2.0 200 OK',
          `Via: ${header('Via')}`,
          `From: ${header('From')}`,
          `To: ${header('To')};tag=srv`,
          `Call-ID: ${header('Call-ID')}`,
          `CSeq: ${header('CSeq')}`,
          challenged
            ? 'WWW-Authenticate: Digest realm="sipstate.test", nonce="chall3nge", algorithm=MD5, qop="auth"'
            : `Contact: ${header('Contact')};expires=60`,
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n');
        setTimeout(() => this.onmessage?.({ data: response }), 1);
      }
      close(): void {
        this.readyState = 3;
      }
    }
    const lines: string[] = [];
    const sink = {
      debug: (l: string) => lines.push(l),
      log: (l: string) => lines.push(l),
      warn: (l: string) => lines.push(l),
      error: (l: string) => lines.push(l),
    };
    const client = createSipClient({
      server: 'ws://alice:alice@127.0.0.1:1/x?token=t0k',
      uri: 'sip:alice@sipstate.test',
      authorizationUsername: 'alice',
      authorizationPassword: 'alice',
      webSocket: ChallengingWebSocket,
      logLevel: 'debug',
      logger: sink,
      fastParser: false,
    });
    await client.register();
    client.dispose();
    expect(requests).toHaveLength(2);
    const response = /response="([0-9a-f]+)"/.exec(requests[1]!)![1]!;
    const log = lines.join('\n');
    expect(log).toContain('From: <sip:alice@sipstate.test>');
    expect(log).toContain('\r\nAuthorization: [redacted]\r\n');
    expect(log).toContain('\r\nWWW-Authenticate: [redacted]\r\n');
    expect(log).not.toContain(response);
    expect(log).not.toContain('chall3nge');
    expect(log).toContain('sent to ws://***@127.0.0.1:1/x?token=***:\n');
    expect(log).not.toContain('alice:alice');
    expect(log).not.toContain('t0k');
  });
});

/** A pino-shaped logger: methods on a prototype that need `this`, `info` and no `log`. */
class PinoLike {
  readonly lines: string[] = [];
  private write(level: string, message: string): void {
    this.lines.push(`${level} ${message}`);
  }
  debug(message: string): void {
    this.write('debug', message);
  }
  info(message: string): void {
    this.write('info', message);
  }
  warn(message: string): void {
    this.write('warn', message);
  }
  error(message: string): void {
    this.write('error', message);
  }
}

describe('log levels and sinks', () => {
  it("'info' writes info, warn and error lines through the sink's own info(), with its `this`, and drops debug", () => {
    const sink = new PinoLike();
    const logger = createLogger('info', sink);
    let built = 0;
    logger.debug(() => `debug ${++built}`);
    logger.log('connected to ws://127.0.0.1:1');
    logger.warn('a warning');
    logger.error('an error');
    expect(built).toBe(0);
    expect(sink.lines).toEqual([
      'info [sipstate] connected to ws://127.0.0.1:1',
      'warn [sipstate] a warning',
      'error [sipstate] an error',
    ]);
  });

  it("'log' is an alias of 'info'", () => {
    const viaLog = new PinoLike();
    const viaInfo = new PinoLike();
    for (const [level, sink] of [
      ['log', viaLog],
      ['info', viaInfo],
    ] as const) {
      const logger = createLogger(level, sink);
      logger.debug('d');
      logger.log('i');
      logger.warn('w');
    }
    expect(viaLog.lines).toEqual(['info [sipstate] i', 'warn [sipstate] w']);
    expect(viaLog.lines).toEqual(viaInfo.lines);
    expect(normalizeLogLevel('log')).toBe('info');
    expect(normalizeLogLevel('warn')).toBe('warn');
  });

  it("'silent' writes nothing, errors included, and builds no line", () => {
    const sink = new PinoLike();
    const logger = createLogger('silent', sink);
    let built = 0;
    const line = () => `line ${++built}`;
    logger.debug(line);
    logger.log(line);
    logger.warn(line);
    logger.error(line);
    expect(sink.lines).toEqual([]);
    expect(built).toBe(0);
  });

  it("writes info lines to a sink's log() when it has no info() (the former shape), and prefers info() when it has both", () => {
    const logOnly: string[] = [];
    createLogger('info', { debug() {}, log: (line) => logOnly.push(line), warn() {}, error() {} }).log('up');
    expect(logOnly).toEqual(['[sipstate] up']);
    const both: string[] = [];
    createLogger('info', {
      debug() {},
      info: (line: string) => both.push(`info ${line}`),
      log: (line: string) => both.push(`log ${line}`),
      warn() {},
      error() {},
    }).log('up');
    expect(both).toEqual(['info [sipstate] up']);
  });

  it('tells sip.js the level that lets through what sipstate writes', () => {
    const cases: [SipLogLevel, string][] = [
      ['debug', 'debug'],
      ['info', 'log'],
      ['log', 'log'],
      ['warn', 'warn'],
      ['error', 'error'],
      ['silent', 'error'],
    ];
    expect(cases.map(([level]) => sipJsLogLevel(level))).toEqual(cases.map(([, sipJs]) => sipJs));
  });

  it("reaches a pino-shaped logger's info() from a running client at logLevel 'info', and nothing at 'silent'", async () => {
    const { createSipClient } = await import('../../src/client');
    /** A WebSocket that opens at once and ignores what is sent. */
    class OpeningWebSocket {
      readyState = 0;
      binaryType = 'arraybuffer';
      onopen: ((event: unknown) => void) | null = null;
      onclose: ((event: { code: number }) => void) | null = null;
      onerror: ((event: unknown) => void) | null = null;
      onmessage: ((event: { data: unknown }) => void) | null = null;
      constructor() {
        setTimeout(() => {
          this.readyState = 1;
          this.onopen?.({});
        }, 1);
      }
      send(): void {}
      close(): void {
        this.readyState = 3;
      }
    }
    const run = async (logLevel: SipLogLevel) => {
      const sink = new PinoLike();
      const client = createSipClient({
        server: 'ws://127.0.0.1:1/x',
        webSocket: OpeningWebSocket,
        logLevel,
        logger: sink,
        fastParser: false,
      });
      await client.start();
      client.dispose();
      return sink.lines;
    };
    const info = await run('info');
    expect(info).toContain('info [sipstate] connected to ws://127.0.0.1:1/x');
    expect(info.filter((line) => line.startsWith('debug '))).toEqual([]);
    expect(await run('silent')).toEqual([]);
  });
});
