/**
 * sipstate's WebSocket transport (src/sip/websocket-transport.ts) with a fake WebSocket constructor: what it hands to
 * sip.js (`onMessage`) and what it drops before decoding or parsing, how it reports drops (rate-limited, escaped, no
 * message bytes beyond a short preview), and that a server URL's secrets never reach an error or a log line. One case
 * uses the real `ws` package on loopback to show the `maxPayload` it is given closes the connection with 1009.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { SipError } from '../../src/errors';
import { createLogger, type SipLogLevel } from '../../src/logger';
import { MAX_VIA_ENTRIES } from '../../src/sip/message-guard';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  DROPPED_MESSAGE_LOG_INTERVAL_MS,
  SipWebSocketTransport,
  type WebSocketConstructor,
} from '../../src/sip/websocket-transport';
import { FakeWebSocket } from '../support/fake-websocket';

const SECRET_SERVER = 'ws://sipuser:hunter2pw@sip.example.test:5066/ws?token=tok3n-value&x=1';
const REDACTED_SERVER = 'ws://***@sip.example.test:5066/ws?token=***&x=***';
const SECRETS = ['hunter2pw', 'sipuser', 'tok3n-value'];

function setup({ maxMessageBytes, level = 'debug' }: { maxMessageBytes?: number; level?: SipLogLevel } = {}) {
  const lines: string[] = [];
  const warnings: string[] = [];
  const sink = {
    debug: (line: string) => lines.push(line),
    log: (line: string) => lines.push(line),
    warn: (line: string) => {
      lines.push(line);
      warnings.push(line);
    },
    error: (line: string) => lines.push(line),
  };
  const transport = new SipWebSocketTransport(
    FakeWebSocket as unknown as WebSocketConstructor,
    createLogger(level, sink),
    maxMessageBytes === undefined ? {} : { maxMessageBytes },
  );
  const received: string[] = [];
  transport.onMessage = (text) => received.push(text);
  return { transport, lines, warnings, received };
}

async function connected(transport: SipWebSocketTransport, server = 'ws://127.0.0.1:5066'): Promise<FakeWebSocket> {
  const opening = transport.open(server);
  const socket = FakeWebSocket.instances.at(-1)!;
  socket.open();
  await opening;
  return socket;
}

const CRLF = '\r\n';
function sipMessage(extraHeaders: string[] = [], body = 'hello'): string {
  return [
    'MESSAGE sip:alice@sipstate.test SIP/2.0',
    'Via: SIP/2.0/WS proxy.invalid;branch=z9hG4bK1',
    'From: <sip:bob@sipstate.test>;tag=1',
    'To: <sip:alice@sipstate.test>',
    'Call-ID: transport-test',
    'CSeq: 1 MESSAGE',
    ...extraHeaders,
    'Content-Type: text/plain',
    `Content-Length: ${body.length}`,
    '',
    body,
  ].join(CRLF);
}
/** The error a promise rejects with; fails the test when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<SipError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(SipError);
  return outcome as SipError;
}
const bytesOf = (text: string): ArrayBuffer => {
  const encoded = new TextEncoder().encode(text);
  return encoded.buffer.slice(encoded.byteOffset, encoded.byteOffset + encoded.byteLength);
};

beforeEach(() => {
  FakeWebSocket.instances = [];
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('websocket transport: what reaches sip.js', () => {
  it('opens with subprotocol sip and { maxPayload: maxMessageBytes } (default 65,536) for ws', async () => {
    await connected(setup().transport);
    await connected(setup({ maxMessageBytes: 2_048 }).transport);
    const [first, second] = FakeWebSocket.instances;
    expect(DEFAULT_MAX_MESSAGE_BYTES).toBe(65_536);
    expect(first!.protocols).toBe('sip');
    expect(first!.options).toEqual({ maxPayload: 65_536 });
    expect(second!.options).toEqual({ maxPayload: 2_048 });
    expect(first!.binaryType).toBe('arraybuffer');
  });

  it('hands a normal message to onMessage, as text or as binary', async () => {
    const { transport, received } = setup();
    const socket = await connected(transport);
    socket.deliver(sipMessage());
    socket.deliver(bytesOf(sipMessage(['Subject: é'])));
    socket.deliver(new TextEncoder().encode(sipMessage(['Subject: view'])));
    expect(received).toEqual([sipMessage(), sipMessage(['Subject: é']), sipMessage(['Subject: view'])]);
  });

  it('never calls onMessage for an oversized, a colon-less or a 40-Via message', async () => {
    const { transport, received, warnings } = setup({ maxMessageBytes: 4_096 });
    const socket = await connected(transport);
    const vias = Array.from({ length: 40 }, (_, i) => `Via: SIP/2.0/WS h${i}.invalid;branch=z9hG4bK${i}`);
    expect(40).toBeGreaterThan(MAX_VIA_ENTRIES);
    socket.deliver(sipMessage([], 'x'.repeat(5_000))); // string, too long
    socket.deliver(bytesOf(sipMessage([], 'x'.repeat(5_000)))); // ArrayBuffer, too long
    socket.deliver(new TextEncoder().encode(sipMessage([], 'x'.repeat(5_000)))); // Uint8Array, too long
    socket.deliver(sipMessage(['this line has no colon']));
    socket.deliver(sipMessage(vias));
    socket.deliver({ not: 'a message' });
    expect(received).toEqual([]);
    expect(warnings).toHaveLength(1); // the first; the others are counted
    socket.deliver(sipMessage());
    expect(received).toEqual([sipMessage()]);
  });

  it('measures a string in UTF-8 bytes: 2,000 characters of 3 bytes each are over a 4,096-byte limit', async () => {
    const { transport, received } = setup({ maxMessageBytes: 4_096 });
    const socket = await connected(transport);
    const wide = sipMessage([], '€'.repeat(2_000));
    expect(wide.length).toBeLessThan(4_096);
    socket.deliver(wide);
    expect(received).toEqual([]);
    // Exactly at the limit passes: 4,096 bytes, counting the surrogate pair as 4.
    const head = sipMessage([], '');
    const exact = `${head}😀${'a'.repeat(4_096 - new TextEncoder().encode(head).length - 4)}`;
    expect(new TextEncoder().encode(exact).length).toBe(4_096);
    socket.deliver(exact);
    expect(received).toEqual([exact]);
  });

  it('never decodes an oversized binary message: only its first 40 bytes, for the warning', async () => {
    const decode = vi.spyOn(TextDecoder.prototype, 'decode');
    const { transport, received } = setup();
    const socket = await connected(transport);
    socket.deliver(bytesOf(sipMessage([], 'x'.repeat(2_000_000))));
    expect(received).toEqual([]);
    expect(decode).toHaveBeenCalledTimes(1);
    expect((decode.mock.calls[0]![0] as Uint8Array).byteLength).toBe(40);
  });

  it('still answers pings: a CRLF pong resolves ping() and is not a message; a dropped message proves liveness too', async () => {
    const { transport, received, warnings } = setup({ maxMessageBytes: 1_024 });
    const socket = await connected(transport);
    const pong = transport.ping();
    expect(socket.sent).toEqual(['\r\n\r\n']);
    socket.deliver('\r\n');
    await pong;
    const second = transport.ping();
    socket.deliver('y'.repeat(2_000));
    await second;
    expect(received).toEqual([]);
    expect(warnings).toHaveLength(1);
  });

  it('catches sip.js throwing inside onMessage', async () => {
    const { transport, lines } = setup();
    const socket = await connected(transport);
    transport.onMessage = () => {
      throw new Error('parser exploded');
    };
    expect(() => socket.deliver(sipMessage())).not.toThrow();
    expect(lines.some((line) => line.includes('sip.js failed to handle an incoming message: parser exploded'))).toBe(
      true,
    );
  });
});

describe('websocket transport: drop warnings', () => {
  it('logs the first drop at once, then a count at most once per interval, then the rest when the socket closes', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { transport, warnings } = setup({ maxMessageBytes: 1_024 });
    const socket = await connected(transport);
    const flood = (count: number): void => {
      for (let i = 0; i < count; i += 1) socket.deliver('z'.repeat(2_000));
    };
    flood(1_000);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /dropped an incoming message from ws:\/\/127\.0\.0\.1:5066: at least 2000 bytes, over maxMessageBytes \(1024\)/,
    );
    vi.advanceTimersByTime(DROPPED_MESSAGE_LOG_INTERVAL_MS - 1);
    flood(500);
    expect(warnings).toHaveLength(1);
    vi.advanceTimersByTime(1);
    flood(1); // the interval is over: this one brings the count out
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toMatch(/dropped 1500 incoming messages from ws:\/\/127\.0\.0\.1:5066 in 10 s; the latest: /);
    flood(20);
    expect(warnings).toHaveLength(2);
    socket.closeFromServer(1006);
    expect(warnings).toHaveLength(4); // the 20 not yet reported, then the lost connection
    expect(warnings[2]).toMatch(/dropped 20 incoming messages/);
    expect(warnings[3]).toMatch(/closed \(code 1006\)/);
  });

  it('shows no more than an escaped preview of the first line: no control bytes, nothing past 40 characters', async () => {
    const { transport, warnings } = setup({ maxMessageBytes: 1_024 });
    const socket = await connected(transport);
    const hostile = `\u001b]0;pwned\u0007\u001b[2J MESSAGE sip:x SIP/2.0 AFTER-40-CHARS-MARKER${CRLF}Secret-Header: s3cr3t${CRLF}`;
    socket.deliver(`${hostile}${'p'.repeat(2_000)}`);
    socket.deliver(`${hostile}\r\nno colon here\r\n\r\n`); // counted, not logged
    expect(warnings).toHaveLength(1);
    const [warning] = warnings;
    expect(warning).toContain('starts "\\x1b]0;pwned\\x07\\x1b[2J MESSAGE sip:x SIP/2.0');
    expect(warning).toMatch(/…"$/);
    expect(warning).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect(warning).not.toContain('AFTER-40');
    expect(warning).not.toContain('s3cr3t');
  });

  it('names the broken limit for a message the guard refuses', async () => {
    const { transport, warnings } = setup();
    const socket = await connected(transport);
    socket.deliver(sipMessage(['no colon']));
    expect(warnings[0]).toMatch(
      /dropped an incoming message from .*: header line 6 has no colon; starts "MESSAGE sip:alice@sipstate.test SIP\/2.0"$/,
    );
  });
});

describe('websocket transport: secrets in the server URL', () => {
  const expectNoSecret = (text: string): void => {
    for (const secret of SECRETS) expect(text).not.toContain(secret);
  };

  it('never shows user-info or query values in log lines, lost-connection errors or drop warnings', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    const { transport, lines } = setup({ maxMessageBytes: 1_024 });
    const lost: SipError[] = [];
    transport.onLost((error) => lost.push(error));
    const socket = await connected(transport, SECRET_SERVER);
    expect(socket.url).toBe(SECRET_SERVER); // the real URL is what is opened
    await transport.send(sipMessage());
    socket.deliver(sipMessage());
    socket.deliver('q'.repeat(2_000));
    socket.closeFromServer(1009);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.message).toBe(`WebSocket to ${REDACTED_SERVER} closed (code 1009, message too big)`);

    // A close that is never answered: the grace-period warning names the server too.
    const second = await connected(transport, SECRET_SERVER);
    const closing = transport.close();
    expect(second.closeCalls).toBe(1);
    await vi.advanceTimersByTimeAsync(2_000);
    await closing;

    const log = lines.join('\n');
    for (const what of [
      'connected to',
      'sent to',
      'received from',
      'dropped an incoming message from',
      'WebSocket to',
    ]) {
      expect(log).toContain(`${what} ${REDACTED_SERVER}`);
    }
    expect(log).toContain('did not close within 2000 ms');
    expectNoSecret(log);
    expectNoSecret(lost[0]!.message);
  });

  it('never shows them in the errors of a failed, refused or abandoned open', async () => {
    const { transport, lines } = setup();
    const failed = transport.open(SECRET_SERVER);
    FakeWebSocket.instances.at(-1)!.closeFromServer(1006);
    const failure = await rejection(failed);
    expect(failure.message).toBe(`WebSocket to ${REDACTED_SERVER} failed to open (code 1006)`);

    const controller = new AbortController();
    const abandoned = transport.open(SECRET_SERVER, controller.signal);
    controller.abort();
    const cancelled = await rejection(abandoned);
    expect(cancelled.kind).toBe('cancelled');
    expect(cancelled.message).toBe(`Connecting to ${REDACTED_SERVER} was abandoned`);

    for (const error of [failure, cancelled]) {
      expectNoSecret(error.message);
      expectNoSecret(JSON.stringify(error));
      expectNoSecret(String(error.stack));
    }
    expectNoSecret(lines.join('\n'));
  });

  it('scrubs the URL out of a constructor error that quotes it (as ws does) and keeps no original stack', async () => {
    const throwing = (quote: (url: string) => string): WebSocketConstructor =>
      class {
        constructor(url: string) {
          throw new SyntaxError(quote(url));
        }
      } as unknown as WebSocketConstructor;
    const logger = createLogger('debug', { debug() {}, log() {}, warn() {}, error() {} });

    const asGiven = new SipWebSocketTransport(
      throwing((url) => `Invalid URL: ${url}`),
      logger,
    );
    const error = await rejection(asGiven.open(SECRET_SERVER));
    expect(error.kind).toBe('transport');
    expect(error.message).toBe(`Could not open a WebSocket to ${REDACTED_SERVER}`);
    const cause = error.cause as Error;
    expect(cause.name).toBe('SyntaxError');
    expect(cause.message).toBe(`Invalid URL: ${REDACTED_SERVER}`);
    expectNoSecret(String(cause.stack));

    // Written another way (decoded): the message is withheld rather than half-redacted.
    const decoded = new SipWebSocketTransport(
      throwing((url) => `bad ${decodeURIComponent(new URL(url).password)}`),
      logger,
    );
    const other = await rejection(decoded.open(SECRET_SERVER));
    expect((other.cause as Error).message).toMatch(/withheld/);
    expectNoSecret(String((other.cause as Error).stack));
  });
});

describe('websocket transport: with the ws package', () => {
  it('ws sends close 1009 on a frame over maxMessageBytes (its own close event says 1006); nothing reaches onMessage', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    const { port } = server.address() as AddressInfo;
    const closeCodes: number[] = [];
    server.on('connection', (peer) => {
      peer.on('close', (code) => closeCodes.push(code));
      peer.send(sipMessage());
      peer.send(sipMessage([], 'x'.repeat(10_000)));
    });
    try {
      const lines: string[] = [];
      const sink = {
        debug() {},
        log() {},
        warn: (line: string) => lines.push(line),
        error: (line: string) => lines.push(line),
      };
      const transport = new SipWebSocketTransport(
        WebSocket as unknown as WebSocketConstructor,
        createLogger('warn', sink),
        {
          maxMessageBytes: 4_096,
        },
      );
      const received: string[] = [];
      transport.onMessage = (text) => received.push(text);
      const lost = new Promise<SipError>((resolve) => transport.onLost(resolve));
      await transport.open(`ws://127.0.0.1:${port}`);
      const error = await lost;
      expect(error.message).toBe(
        `WebSocket to ws://127.0.0.1:${port} closed (code 1006): an incoming message was over maxMessageBytes (4096), ` +
          'so the connection was closed with 1009',
      );
      await vi.waitFor(() => expect(closeCodes).toEqual([1009])); // what the server was told
      expect(received).toEqual([sipMessage()]);
      expect(lines.some((line) => line.includes('dropped an incoming message'))).toBe(false); // ws refused it first
    } finally {
      for (const client of server.clients) client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
