/**
 * Secrets in server URLs and log redaction (issue 15). Before the fix `ws://user:password@host/path?token=...` appeared
 * verbatim in transport$.server, errors, log lines and config errors, and the logger replaced the password everywhere
 * in a line, which showed it when it equals the user name (every `alice` became `[redacted]`). Now URLs are shown with
 * `***` for user-info and query values everywhere, and log redaction masks header values (Authorization,
 * Proxy-Authorization), not substrings.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createSipClient, type SipClientOptions } from '../../src/index';
import { attackedClient, disposeClients, type AttackedClient } from '../support/hostile-client';
import {
  HOSTILE_DOMAIN,
  sleep,
  startHostileServer,
  type HostileServer,
  type ReceivedMessage,
} from '../support/hostile-server';

const SECRETS = ['s3cr3t', 't0k3n'];
const servers: HostileServer[] = [];
afterEach(() => disposeClients());
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

/** A registrar that challenges every REGISTER without credentials (digest, qop=auth) and accepts the rest. */
async function challengingRegistrar(): Promise<HostileServer> {
  const server = await startHostileServer({ lifetimeMs: 30_000 });
  servers.push(server);
  server.onRequest('REGISTER', (request: ReceivedMessage) => {
    if (request.header('authorization') === undefined) server.challenge(request);
    else {
      server.reply(request, 200, { contactExpires: 600 });
    }
  });
  return server;
}

/** Everything an application or operator can see of a client: its states, log lines and the errors it gave. */
function everythingShown(attacked: AttackedClient, states: unknown[], errors: unknown[]): string {
  const errorText = (error: unknown): string =>
    error instanceof Error
      ? `${error.name}: ${error.message} ${JSON.stringify(error)} cause: ${String((error as { cause?: unknown }).cause)}`
      : String(error);
  return [
    ...states.map((state) =>
      JSON.stringify(state, (_key, value: unknown) => (value instanceof Error ? errorText(value) : value)),
    ),
    ...attacked.logs.map((l) => `${l.level} ${l.line}`),
    ...errors.map(errorText),
  ].join('\n');
}

describe('secrets in the server URL', () => {
  it('never show: not in transport$, registration$, errors, log lines (at debug), or config errors', async () => {
    const server = await challengingRegistrar();
    const url = `ws://alice:s3cr3t@127.0.0.1:${server.port}/ws?token=t0k3n`;
    const attacked = attackedClient(server, {
      server: url,
      authorizationUsername: 'alice',
      authorizationPassword: 'pa55-for-alice',
      logLevel: 'debug',
      register: true,
    });
    const { client } = attacked;
    const states: unknown[] = [];
    const errors: unknown[] = [];
    client.state$.subscribe((state) => states.push(state));
    await client.register();
    // The server drops the connection: the loss is reported (transport$ error, a warning), then the client comes back.
    const first = server.openConnection!;
    server.drop(first.id);
    await server.waitFor(
      () => server.requests('REGISTER').some((r) => r.connection > first.id) || undefined,
      5_000,
      're-registration',
    );
    await sleep(100);

    // A server that refuses the connection: the start fails with an error naming the server.
    const refused = attackedClient(server, {
      server: `ws://alice:s3cr3t@127.0.0.1:9/ws?token=t0k3n`,
      reconnect: false,
      logLevel: 'debug',
    });
    refused.client.transport$.subscribe((state) => states.push(state));
    await refused.client.start().catch((error: unknown) => errors.push(error));

    // Options that are wrong, with the secret in the value.
    for (const server of [
      [`ws://alice:s3cr3t@127.0.0.1:1/ws?token=t0k3n`, `http://alice:s3cr3t@127.0.0.1:1/ws?token=t0k3n`],
      `ws://alice:s3cr3t@/ws?token=t0k3n`,
      `ftp://alice:s3cr3t@127.0.0.1/?token=t0k3n`,
    ]) {
      try {
        createSipClient({
          server,
          uri: `sip:alice@${HOSTILE_DOMAIN}`,
          webSocket: WebSocket,
        } as SipClientOptions).dispose();
        errors.push('accepted');
      } catch (error) {
        errors.push(error);
      }
    }
    expect(errors.filter((e) => e === 'accepted')).toEqual([]);

    const shown = `${everythingShown(attacked, states, errors)}\n${everythingShown(refused, [], [])}`;
    // Not vacuous: the URL's host did show, and a connection was reported lost.
    expect(shown).toContain(`127.0.0.1:${server.port}`);
    expect(states.some((s) => JSON.stringify(s).includes('"reconnecting"'))).toBe(true);
    const leaks = shown.split('\n').filter((line) => SECRETS.some((secret) => line.includes(secret)));
    expect(leaks.slice(0, 5), `${leaks.length} lines show a secret`).toEqual([]);
  });

  it('a password equal to the user name: the user name still shows, the Authorization value does not', async () => {
    const server = await challengingRegistrar();
    const attacked = attackedClient(server, {
      authorizationUsername: 'alice',
      authorizationPassword: 'alice',
      logLevel: 'debug',
      register: true,
    });
    await attacked.client.register();
    const authorization = server
      .requests('REGISTER')
      .map((r) => r.header('authorization'))
      .find((value) => value !== undefined);
    const digestResponse = /response="?([0-9a-f]+)/i.exec(authorization ?? '')?.[1];
    expect(digestResponse, 'the client answered the challenge').toBeDefined();
    const lines = attacked.logs.map((l) => l.line);
    const sentRegister = lines.filter((line) => /REGISTER sip:/.test(line) && /^Authorization\s*:/im.test(line));
    expect(sentRegister.length, 'the authenticated REGISTER was logged').toBeGreaterThanOrEqual(1);
    expect(
      lines.filter((line) => line.includes(digestResponse!)),
      'lines showing the digest response',
    ).toEqual([]);
    // Masking is by header, not by substring: `alice` is the user, not a secret to blank out everywhere.
    expect(sentRegister.join('\n')).toContain(`sip:alice@${HOSTILE_DOMAIN}`);
    expect(lines.filter((line) => line.includes('[redacted]@')).slice(0, 3)).toEqual([]);
  });
});
