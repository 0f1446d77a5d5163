/**
 * The SIP trace (src/sip/trace.ts, `client.sipTrace$`): the entry builder on requests, responses, compact headers and
 * credentials; the transport's trace (sent and received, no CRLF keep-alives, no dropped messages, no replay, nothing
 * built without a subscriber or a debug logger); and a client's trace with a fake WebSocket playing the registrar:
 * REGISTER, 401, REGISTER with its Authorization masked; the stream completes on dispose.
 */
import { Subject } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSipClient } from '../../src/client';
import { createLogger, type SipLogLevel } from '../../src/logger';
import { buildTraceEntry, type SipTraceEntry } from '../../src/sip/trace';
import { SipWebSocketTransport, type WebSocketConstructor } from '../../src/sip/websocket-transport';
import { FakeWebSocket } from '../support/fake-websocket';

// The real builder, counted: "nothing built" is a claim about calls to it.
vi.mock('../../src/sip/trace', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/sip/trace')>();
  return { ...original, buildTraceEntry: vi.fn(original.buildTraceEntry) };
});

const sip = (...lines: string[]): string => `${lines.join('\r\n')}\r\n\r\n`;

describe('buildTraceEntry', () => {
  it('reads a request: method, Call-ID, CSeq, and keeps the text', () => {
    const text = sip(
      'REGISTER sip:sipstate.test SIP/2.0',
      'Via: SIP/2.0/WS h.invalid;branch=z9hG4bK1',
      'Call-ID: abc123@h.invalid',
      'CSeq: 2 REGISTER',
      'Content-Length: 0',
    );
    expect(buildTraceEntry('sent', text, 1_700_000_000_000)).toEqual({
      direction: 'sent',
      at: 1_700_000_000_000,
      method: 'REGISTER',
      callId: 'abc123@h.invalid',
      cseq: '2 REGISTER',
      text,
    });
  });

  it('reads a response: status and reason (several words, or none), no method', () => {
    const entry = buildTraceEntry('received', sip('SIP/2.0 423 Interval Too Brief', 'Call-ID: x', 'CSeq: 1 REGISTER'));
    expect(entry).toMatchObject({
      direction: 'received',
      status: 423,
      reason: 'Interval Too Brief',
      callId: 'x',
      cseq: '1 REGISTER',
    });
    expect(entry).not.toHaveProperty('method');
    const noReason = buildTraceEntry('received', sip('SIP/2.0 200', 'CSeq: 1 OPTIONS'));
    expect(noReason).toMatchObject({ status: 200, reason: '' });
  });

  it('stamps the time of building when not given one', () => {
    const before = Date.now();
    const { at } = buildTraceEntry('sent', sip('OPTIONS sip:x SIP/2.0'));
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.now());
  });

  it('reads the compact Call-ID `i:`, header names in any case, and white space around values', () => {
    const compact = sip('MESSAGE sip:a@b SIP/2.0', 'i:  compact-1 ', 'cseq:\t7 MESSAGE');
    expect(buildTraceEntry('received', compact)).toMatchObject({
      method: 'MESSAGE',
      callId: 'compact-1',
      cseq: '7 MESSAGE',
    });
    const upper = sip('BYE sip:a@b SIP/2.0', 'CALL-ID: upper', 'CSeq: 3 BYE');
    expect(buildTraceEntry('received', upper)).toMatchObject({ callId: 'upper' });
  });

  it('reads headers only, not the body; and leaves out what is not there', () => {
    const entry = buildTraceEntry(
      'received',
      'MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 20\r\n\r\nCall-ID: in-the-body',
    );
    expect(entry).not.toHaveProperty('callId');
    expect(entry).not.toHaveProperty('cseq');
    const empty = buildTraceEntry('sent', '\r\n\r\n');
    expect(empty).toEqual({ direction: 'sent', at: expect.any(Number), text: '\r\n\r\n' });
  });

  it('masks the values of Authorization, Proxy-Authorization, WWW- and Proxy-Authenticate, folded lines too', () => {
    const text = sip(
      'REGISTER sip:sipstate.test SIP/2.0',
      'Call-ID: c1',
      'Authorization: Digest username="alice", response="6629fae49393a05397450978507c4ef1"',
      'proxy-authorization: Digest username="alice",',
      '  response="0123456789abcdef0123456789abcdef"',
      'WWW-Authenticate: Digest realm="r", nonce="n0nce-www"',
      'Proxy-Authenticate: Digest realm="r", nonce="n0nce-proxy"',
      'CSeq: 2 REGISTER',
    );
    const entry = buildTraceEntry('sent', text);
    for (const secret of ['6629fae4', '0123456789abcdef', 'n0nce-www', 'n0nce-proxy', 'username']) {
      expect(entry.text).not.toContain(secret);
    }
    expect(entry.text).toContain('Authorization: [redacted]\r\n');
    expect(entry.text).toContain('proxy-authorization: [redacted]\r\n');
    expect(entry.text).toContain('WWW-Authenticate: [redacted]\r\n');
    expect(entry.text).toContain('Proxy-Authenticate: [redacted]\r\n');
    expect(entry).toMatchObject({ callId: 'c1', cseq: '2 REGISTER' });
  });

  it('keeps control characters of a hostile start line as they are (the reader escapes them)', () => {
    expect(buildTraceEntry('received', sip('SIP/2.0 486 Busy\u001b]0;x\u0007\rmore', 'CSeq: 1 INVITE'))).toMatchObject({
      status: 486,
      reason: 'Busy\u001b]0;x\u0007\rmore',
    });
  });
});

const MESSAGE = sip(
  'MESSAGE sip:alice@sipstate.test SIP/2.0',
  'Via: SIP/2.0/WS proxy.invalid;branch=z9hG4bK1',
  'From: <sip:bob@sipstate.test>;tag=1',
  'To: <sip:alice@sipstate.test>',
  'Call-ID: trace-test',
  'CSeq: 1 MESSAGE',
  'Content-Length: 0',
);

async function connectedTransport(level: SipLogLevel = 'warn') {
  const lines: string[] = [];
  const record = (line: string): void => {
    lines.push(line);
  };
  const trace = new Subject<SipTraceEntry>();
  const transport = new SipWebSocketTransport(
    FakeWebSocket as unknown as WebSocketConstructor,
    createLogger(level, { debug: record, info: record, warn: record, error: record }),
    { trace },
  );
  transport.onMessage = () => undefined;
  const opening = transport.open('ws://127.0.0.1:5066');
  const socket = FakeWebSocket.instances.at(-1)!;
  socket.open();
  await opening;
  return { transport, socket, trace, lines };
}

describe('the transport trace', () => {
  beforeEach(() => {
    FakeWebSocket.instances = [];
    vi.mocked(buildTraceEntry).mockClear();
  });

  it('traces what is sent and what is received, in order, with the direction', async () => {
    const { transport, socket, trace } = await connectedTransport();
    const entries: SipTraceEntry[] = [];
    trace.subscribe((entry) => entries.push(entry));
    await transport.send(sip('OPTIONS sip:sipstate.test SIP/2.0', 'Call-ID: o1', 'CSeq: 1 OPTIONS'));
    socket.deliver(sip('SIP/2.0 200 OK', 'Call-ID: o1', 'CSeq: 1 OPTIONS'));
    socket.deliver(new TextEncoder().encode(MESSAGE).buffer);
    expect(entries.map(({ direction, method, status, cseq }) => [direction, method ?? status, cseq])).toEqual([
      ['sent', 'OPTIONS', '1 OPTIONS'],
      ['received', 200, '1 OPTIONS'],
      ['received', 'MESSAGE', '1 MESSAGE'],
    ]);
  });

  it('does not trace CRLF keep-alives, nor messages it drops', async () => {
    const { transport, socket, trace, lines } = await connectedTransport();
    const entries: SipTraceEntry[] = [];
    trace.subscribe((entry) => entries.push(entry));
    const pinged = transport.ping();
    socket.deliver('\r\n');
    await pinged;
    expect(socket.sent).toEqual(['\r\n\r\n']);
    socket.deliver('SIP/2.0 200 OK\r\nno colon here\r\n\r\n'); // out of the message guard's bounds
    socket.deliver('x'.repeat(70_000)); // over maxMessageBytes
    expect(entries).toEqual([]);
    expect(lines.some((line) => line.includes('dropped an incoming message'))).toBe(true);
  });

  it('does not replay: a late subscriber sees only what comes after it', async () => {
    const { socket, trace } = await connectedTransport();
    const early: SipTraceEntry[] = [];
    trace.subscribe((entry) => early.push(entry));
    socket.deliver(MESSAGE);
    const late: SipTraceEntry[] = [];
    trace.subscribe((entry) => late.push(entry));
    expect(late).toEqual([]);
    socket.deliver(MESSAGE.replace('CSeq: 1', 'CSeq: 2'));
    expect(early.map((entry) => entry.cseq)).toEqual(['1 MESSAGE', '2 MESSAGE']);
    expect(late.map((entry) => entry.cseq)).toEqual(['2 MESSAGE']);
  });

  it('builds nothing without a subscriber and below debug; once for both when both want it', async () => {
    const quiet = await connectedTransport('warn');
    await quiet.transport.send(MESSAGE);
    quiet.socket.deliver(MESSAGE);
    expect(buildTraceEntry).not.toHaveBeenCalled();

    const both = await connectedTransport('debug');
    const entries: SipTraceEntry[] = [];
    both.trace.subscribe((entry) => entries.push(entry));
    both.socket.deliver(MESSAGE);
    expect(buildTraceEntry).toHaveBeenCalledTimes(1);
    expect(entries).toHaveLength(1);
    // The log line is made from the same entry: one formatter, the same text.
    expect(both.lines).toContain(`[sipstate] received from ws://127.0.0.1:5066:\n${entries[0]!.text}`);
  });

  it('logs at debug from the entry (credentials masked) when nobody subscribes', async () => {
    const { transport, lines } = await connectedTransport('debug');
    await transport.send(sip('REGISTER sip:sipstate.test SIP/2.0', 'Authorization: Digest response="s3cr3t-digest"'));
    expect(buildTraceEntry).toHaveBeenCalledTimes(1);
    expect(lines.filter((line) => !line.startsWith('[sipstate] connected'))).toEqual([
      '[sipstate] sent to ws://127.0.0.1:5066:\nREGISTER sip:sipstate.test SIP/2.0\r\nAuthorization: [redacted]\r\n\r\n',
    ]);
  });
});

describe('client.sipTrace$', () => {
  beforeEach(() => {
    FakeWebSocket.instances = [];
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** The header lines of `request` a response copies (RFC 3261 8.2.6.2), with a To tag. */
  function responseTo(request: string, statusLine: string, ...extra: string[]): string {
    const headers = request.split('\r\n').filter((line) => /^(Via|From|To|Call-ID|CSeq):/i.test(line));
    const copied = headers.map((line) => (/^To:/i.test(line) ? `${line};tag=registrar` : line));
    return sip(statusLine, ...copied, ...extra, 'Content-Length: 0');
  }

  it('shows REGISTER, 401, REGISTER with its Authorization masked, 200; no replay; completes on dispose', async () => {
    const client = createSipClient({
      server: 'ws://127.0.0.1:5066',
      uri: 'sip:alice@sipstate.test',
      authorizationUsername: 'alice',
      authorizationPassword: 'alice-secret-pw',
      webSocket: FakeWebSocket as unknown as WebSocketConstructor,
      logLevel: 'silent',
      keepAliveIntervalSec: 0,
    });
    const entries: SipTraceEntry[] = [];
    let completed = false;
    client.sipTrace$.subscribe({ next: (entry) => entries.push(entry), complete: () => (completed = true) });
    const registering = client.register();
    await vi.waitFor(() => expect(FakeWebSocket.instances).toHaveLength(1));
    const socket = FakeWebSocket.instances[0]!;
    socket.open();
    await vi.waitFor(() => expect(socket.sent).toHaveLength(1));
    const wwwAuthenticate = 'WWW-Authenticate: Digest realm="sipstate.test", nonce="n0nce-401", algorithm=MD5';
    socket.deliver(responseTo(socket.sent[0]!, 'SIP/2.0 401 Unauthorized', wwwAuthenticate));
    await vi.waitFor(() => expect(socket.sent).toHaveLength(2));
    const contact = /^Contact: (.*)$/m.exec(socket.sent[1]!)![1]!.replace(/;expires=\d+/, '');
    socket.deliver(responseTo(socket.sent[1]!, 'SIP/2.0 200 OK', `Contact: ${contact};expires=60`));
    await registering;

    expect(entries.map(({ direction, method, status }) => `${direction} ${method ?? status}`)).toEqual([
      'sent REGISTER',
      'received 401',
      'sent REGISTER',
      'received 200',
    ]);
    const [first, challenge, answer, ok] = entries as [SipTraceEntry, SipTraceEntry, SipTraceEntry, SipTraceEntry];
    expect(new Set(entries.map((entry) => entry.callId)).size).toBe(1);
    expect([first.cseq, challenge.cseq, answer.cseq, ok.cseq]).toEqual([
      expect.stringMatching(/^\d+ REGISTER$/),
      first.cseq,
      expect.stringMatching(/^\d+ REGISTER$/),
      answer.cseq,
    ]);
    // sip.js did answer the challenge: the wire has the digest, the trace does not.
    expect(socket.sent[1]).toMatch(/^Authorization: Digest .*response="[0-9a-f]{32}"/m);
    expect(answer.text).toMatch(/^Authorization: \[redacted\]\r$/m);
    expect(answer.text).not.toMatch(/response=/);
    expect(challenge.text).not.toContain('n0nce-401');
    for (const entry of entries) expect(entry.at).toBeGreaterThan(0);

    const late: SipTraceEntry[] = [];
    client.sipTrace$.subscribe((entry) => late.push(entry));
    expect(late).toEqual([]);

    client.dispose();
    expect(completed).toBe(true);
  });
});
