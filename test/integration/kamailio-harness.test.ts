/**
 * Proves test/kamailio/kamailio.cfg and the harness with independent
 * clients (sipp over UDP, a raw `ws` WebSocket), not with sipstate.
 */
import { createConnection } from 'node:net';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import WebSocket from 'ws';
import { freePort, runSipp, startKamailio, type KamailioServer, type SippResult } from '../support/kamailio.js';

/** REGISTER `user` with digest via test/sipp/register.xml and return sipp's result. */
function register(
  server: KamailioServer,
  user: string,
  password: string,
  expires: number,
  localPort?: number,
): Promise<SippResult> {
  return runSipp({ target: server, scenario: 'register.xml', service: user, password, keys: { expires }, localPort });
}

/** The last response sipp received (the final answer to the last REGISTER). */
function finalResponse(result: SippResult) {
  const last = result.responses.at(-1);
  if (!last) throw new Error(`sipp got no response (exit ${result.exitCode})\n${result.stderr}\n${result.errors}`);
  return last;
}

function tcpRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

/** Open a WebSocket with subprotocol "sip" and collect text frames. */
async function openSipWebSocket(url: string): Promise<{ ws: WebSocket; next: () => Promise<string> }> {
  const ws = new WebSocket(url, 'sip');
  const queue: string[] = [];
  const waiting: Array<(s: string) => void> = [];
  ws.on('message', (data) => {
    const text = data.toString();
    const w = waiting.shift();
    if (w) w(text);
    else queue.push(text);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const next = () =>
    new Promise<string>((resolve, reject) => {
      const queued = queue.shift();
      if (queued !== undefined) return resolve(queued);
      const timer = setTimeout(() => reject(new Error('no WebSocket message within 3 s')), 3000);
      waiting.push((s) => {
        clearTimeout(timer);
        resolve(s);
      });
    });
  return { ws, next };
}

describe('kamailio test server', () => {
  let server: KamailioServer;
  const others: KamailioServer[] = [];

  beforeAll(async () => {
    server = await startKamailio();
  }, 30_000);

  afterAll(async () => {
    await Promise.all([server?.stop(), ...others.map((s) => s.stop())]);
  }, 30_000);

  it('starts on free loopback ports with per-instance runtime dir', () => {
    expect(server.running).toBe(true);
    expect(server.wsUrl).toBe(`ws://127.0.0.1:${server.wsPort}`);
    expect(server.wsPort).not.toBe(server.udpPort);
    expect(server.domain).toBe('sipstate.test');
    expect(server.users.alice).toBe('alice-secret');
    expect(server.commandLine).toContain('-Y');
  });

  it('registers alice with digest auth (401 then 200 with Contact expires)', async () => {
    server.clearRequests();
    const result = await register(server, 'alice', 'alice-secret', 60);
    expect(result.exitCode, result.stderr + result.errors).toBe(0);
    expect(result.responses.map((r) => r.status)).toEqual([401, 200]);
    expect(result.responses[0]?.headers['www-authenticate']?.[0]).toMatch(/Digest realm="sipstate\.test"/);
    const contact = finalResponse(result).headers.contact ?? [];
    expect(contact.join(',')).toMatch(/<sip:alice@127\.0\.0\.1:\d+>;expires=60\b/);

    // requests() counts both REGISTERs (challenged + authenticated).
    const logged = await server.waitForRequests({ method: 'REGISTER', user: 'alice' }, 2);
    expect(logged).toHaveLength(2);
    expect(logged[0]).toMatchObject({ method: 'REGISTER', user: 'alice', to: 'alice', proto: 'udp', expires: '60' });
    expect(logged[0]?.ruri).toBe('sip:sipstate.test');
    const replies = await server.waitForReplies({ method: 'REGISTER', user: 'alice' }, 2);
    expect(replies.map((r) => r.code)).toEqual([401, 200]);
  });

  it('caps expires at 3600', async () => {
    const result = await register(server, 'bob', 'bob-secret', 7200);
    expect(finalResponse(result).status).toBe(200);
    expect((finalResponse(result).headers.contact ?? []).join(',')).toMatch(/;expires=3600\b/);
  });

  it('registers a benchmark user load1234 with load-secret', async () => {
    const result = await register(server, 'load1234', 'load-secret', 60);
    expect(finalResponse(result).status).toBe(200);
  });

  it('unregisters with expires=0 (200 without the binding)', async () => {
    // Same sipp local port both times, so the Contact (the binding) is the same.
    const port = await freePort();
    const registered = finalResponse(await register(server, 'carol', 'carol-secret', 60, port));
    expect((registered.headers.contact ?? []).join(',')).toContain(`<sip:carol@127.0.0.1:${port}>;expires=60`);
    const result = await register(server, 'carol', 'carol-secret', 0, port);
    const final = finalResponse(result);
    expect(final.status).toBe(200);
    expect(final.headers.contact).toBeUndefined();
  });

  it('rejects a wrong password with a second 401', async () => {
    const result = await register(server, 'alice', 'not-the-password', 60);
    expect(result.responses.map((r) => r.status)).toEqual([401, 401]);
  });

  it('answers 0 < expires < MIN_EXPIRES with 423 and Min-Expires', async () => {
    const result = await register(server, 'dave', 'dave-secret', 1);
    const final = finalResponse(result);
    expect(final.status).toBe(423);
    expect(final.headers['min-expires']).toEqual([String(server.minExpires)]);
    expect(server.minExpires).toBe(4);
    // exactly one final response: no stray 500 after the 423
    expect(result.responses.map((r) => r.status)).toEqual([401, 423]);
  });

  it('fault users: unavailable 503 + Retry-After 2, broken 500 + Retry-After 1, nobody 404, unknown 403', async () => {
    const unavailable = finalResponse(await register(server, 'unavailable', 'unavailable-secret', 60));
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers['retry-after']).toEqual(['2']);

    const broken = finalResponse(await register(server, 'broken', 'broken-secret', 60));
    expect(broken.status).toBe(500);
    expect(broken.headers['retry-after']).toEqual(['1']);

    const nobody = await register(server, 'nobody', 'whatever', 60);
    expect(nobody.responses.map((r) => r.status)).toEqual([404]);

    const mallory = await register(server, 'mallory', 'whatever', 60);
    expect(mallory.responses.map((r) => r.status)).toEqual([403]);

    // Every one of those local replies is logged (SIPSTATE-RPL), not just the
    // first per Kamailio process.
    for (const [user, code] of [
      ['unavailable', 503],
      ['broken', 500],
      ['nobody', 404],
      ['mallory', 403],
    ] as const) {
      await server.waitForReplies({ user, code, dir: 'local', method: 'REGISTER' });
    }
    expect(server.replies({ user: 'unavailable', code: 401 }).length).toBeGreaterThanOrEqual(1);
  });

  it('answers a CRLFCRLF keep-alive ping over WebSocket with a CRLF pong', async () => {
    const { ws, next } = await openSipWebSocket(server.wsUrl);
    try {
      expect(ws.protocol).toBe('sip');
      ws.send('\r\n\r\n');
      expect(await next()).toBe('\r\n');
    } finally {
      ws.close();
    }
  });

  it('answers an OPTIONS to the server over WebSocket with 200', async () => {
    const { ws, next } = await openSipWebSocket(server.wsUrl);
    try {
      const callId = `harness-test-${Date.now()}`;
      ws.send(
        [
          'OPTIONS sip:sipstate.test SIP/2.0',
          `Via: SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bK${Math.random().toString(36).slice(2)}`,
          'Max-Forwards: 70',
          'To: <sip:sipstate.test>',
          'From: <sip:alice@sipstate.test>;tag=ws-probe',
          `Call-ID: ${callId}`,
          'CSeq: 1 OPTIONS',
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n'),
      );
      const reply = await next();
      expect(reply).toMatch(/^SIP\/2\.0 200 /);
      expect(reply).toContain(callId);
      const [logged] = await server.waitForRequests({ method: 'OPTIONS', callId });
      expect(logged?.proto).toBe('ws');
    } finally {
      ws.close();
    }
  });

  it('runs a second instance at the same time with its own ports and MIN_EXPIRES', async () => {
    const second = await startKamailio({ minExpires: 10 });
    others.push(second);
    expect(second.wsPort).not.toBe(server.wsPort);
    expect(second.udpPort).not.toBe(server.udpPort);
    const [a, b] = await Promise.all([
      register(server, 'alice', 'alice-secret', 5),
      register(second, 'alice', 'alice-secret', 5),
    ]);
    expect(finalResponse(a).status).toBe(200);
    expect(finalResponse(b).status).toBe(423);
    expect(finalResponse(b).headers['min-expires']).toEqual(['10']);
    await second.stop();
    await second.stop(); // idempotent
    expect(second.running).toBe(false);
    expect(server.running).toBe(true);
  });

  it('survives kill (crash) and restarts on the same ports', async () => {
    const { wsPort, udpPort } = server;
    const oldPid = server.pid;
    await server.kill();
    expect(server.running).toBe(false);
    expect(await tcpRefused(wsPort)).toBe(true);
    await server.kill(); // idempotent

    await server.restart();
    expect(server.running).toBe(true);
    expect(server.pid).not.toBe(oldPid);
    expect(server.wsPort).toBe(wsPort);
    expect(server.udpPort).toBe(udpPort);
    const result = await register(server, 'alice', 'alice-secret', 60);
    expect(finalResponse(result).status).toBe(200);

    // restart() of a running instance: SIGTERM, then start again.
    await server.restart();
    expect(server.wsPort).toBe(wsPort);
    expect(finalResponse(await register(server, 'bob', 'bob-secret', 60)).status).toBe(200);
  }, 30_000);
});
