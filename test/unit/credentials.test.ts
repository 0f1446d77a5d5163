/**
 * The `credentials` provider, against sipstate/testing's fake SIP server (real SIP, digest challenges included): what
 * it is asked, what each of its verdicts does to a registration (an answer registers; a throw, a rejection or a bad
 * shape ends it 'failed' with kind 'auth'; a slow one runs into the register deadline), and that what it returns, or
 * the secret it throws, shows up nowhere: not in errors, state, logs, sipTrace$ or inspection events.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  createSipClient,
  type Credentials,
  type CredentialsChallenge,
  type CredentialsProvider,
  type SipClient,
  type SipClientOptions,
} from '../../src/index';
import { credentialsProblem } from '../../src/sip/credentials';
import { createFakeSipServer, type FakeSipServer, md5 } from '../../src/testing/index';

const PASSWORD = 'correct-horse-battery-staple';
const clients: SipClient[] = [];
const fakes: FakeSipServer[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.dispose();
  for (const fake of fakes.splice(0)) await fake.close();
});

/** Everything a client lets out: log lines, the SIP trace, inspection events (as text, cycles cut). */
interface Outlets {
  logs: string[];
  trace: string[];
  inspected: string[];
}

async function world(credentials: CredentialsProvider, extra: Partial<SipClientOptions> = {}) {
  const fake = await createFakeSipServer({ users: { alice: PASSWORD } });
  fakes.push(fake);
  const outlets: Outlets = { logs: [], trace: [], inspected: [] };
  const line = (...parts: unknown[]) => outlets.logs.push(parts.map(String).join(' '));
  const client = createSipClient({
    server: fake.url,
    webSocket: fake.WebSocket,
    uri: `sip:alice@${fake.domain}`,
    credentials,
    calls: { media: 'signaling' },
    logLevel: 'debug',
    logger: { debug: line, info: line, warn: line, error: line },
    inspect: (event) => outlets.inspected.push(textOf(event)),
    ...extra,
  });
  clients.push(client);
  client.sipTrace$.subscribe((entry) => outlets.trace.push(entry.text));
  return { fake, client, outlets };
}

/** A JSON-like text of `value` that follows every own property (cycles cut, depth bounded), for searching. */
function textOf(value: unknown): string {
  const seen = new WeakSet<object>();
  const parts: string[] = [];
  const walk = (item: unknown, depth: number): void => {
    if (item === null || item === undefined) return;
    if (typeof item === 'string') parts.push(item);
    else if (typeof item !== 'object' && typeof item !== 'function') parts.push(String(item));
    else if (depth < 12 && !seen.has(item)) {
      seen.add(item);
      if (item instanceof Error) parts.push(item.message, String(item.cause ?? ''));
      for (const key of Object.getOwnPropertyNames(item)) {
        try {
          walk((item as Record<string, unknown>)[key], depth + 1);
        } catch {
          // a getter that throws
        }
      }
    }
  };
  walk(value, 0);
  return parts.join('\n');
}

function expectNowhere(secret: string, client: SipClient, outlets: Outlets): void {
  expect(outlets.logs.join('\n')).not.toContain(secret);
  expect(outlets.trace.join('\n')).not.toContain(secret);
  expect(outlets.inspected.join('\n')).not.toContain(secret);
  expect(textOf(client.getState())).not.toContain(secret);
}

describe('credentials provider', () => {
  it('is asked on each challenge (realm, method, attempt, status) and its answer registers', async () => {
    const asked: CredentialsChallenge[] = [];
    const { fake, client, outlets } = await world(async (challenge) => {
      asked.push(challenge);
      return { username: 'alice', password: PASSWORD };
    });
    await client.start();
    await client.register();
    expect(client.getState().registration.status).toBe('registered');
    expect(asked).toEqual([{ realm: fake.domain, method: 'REGISTER', attempt: 1, status: 401 }]);
    // Asked once per challenge, never without one (the next REGISTERs repeat the last Authorization header, which the
    // registrar may take while its nonce lives, or challenge again).
    await client.unregister();
    await client.register();
    const challenges = outlets.trace.filter((text) => /^SIP\/2\.0 401 /.test(text));
    expect(asked).toHaveLength(challenges.length);
    expect(fake.registrations.map((binding) => binding.user)).toContain('alice');
    expectNowhere(PASSWORD, client, outlets);
    // The trace shows the Authorization header went out, masked.
    expect(outlets.trace.some((text) => /\r\nAuthorization: /i.test(text))).toBe(true);
  });

  it('answers with an HA1 in place of the password', async () => {
    const ha1 = md5(`alice:fake.test:${PASSWORD}`);
    const { client, outlets } = await world(() => ({ username: 'alice', ha1 }));
    await client.start();
    await client.register();
    expect(client.getState().registration.status).toBe('registered');
    expectNowhere(ha1, client, outlets);
  });

  const failures: [string, (secret: string) => CredentialsProvider, RegExp][] = [
    [
      'throws',
      (secret) => () => {
        throw new Error(`token service said: ${secret}`);
      },
      /credentials provider failed: it threw or rejected \(Error\)/,
    ],
    ['rejects', (secret) => () => Promise.reject(new TypeError(secret)), /it threw or rejected \(TypeError\)/],
    ['rejects with a string', (secret) => () => Promise.reject(secret), /it threw or rejected$/],
    [
      'returns a password with CRLF',
      (secret) => () => ({ username: 'alice', password: `${secret}\r\nX: 1` }),
      /`password` must be a string/,
    ],
    ['returns no password', () => () => ({ username: 'alice' }) as unknown as Credentials, /exactly one of/],
    [
      'returns both password and ha1',
      (secret) => () => ({ username: 'alice', password: secret, ha1: 'a'.repeat(32) }) as unknown as Credentials,
      /exactly one of/,
    ],
    ['returns a bad ha1', (secret) => () => ({ username: 'alice', ha1: secret }), /`ha1` must be 32 hex digits/],
    [
      'returns an unknown field',
      (secret) => () => ({ username: 'alice', password: 'p', token: secret }) as unknown as Credentials,
      /`token` is not a credentials field/,
    ],
    ['returns null', () => () => null as unknown as Credentials, /no \{ username, password \}/],
    [
      'returns a username with a quote',
      (secret) => () => ({ username: 'al"ice', password: secret }),
      /`username` must be a string/,
    ],
  ];

  it.each(failures)(
    'that %s ends the registration failed with kind auth, the secret shown nowhere',
    async (_, make, why) => {
      const secret = `s3cret-${Math.random().toString(36).slice(2)}`;
      const { client, outlets } = await world(make(secret));
      await client.start();
      const error = await client.register().then(
        () => undefined,
        (rejected: unknown) => rejected as Error & { kind?: string },
      );
      expect(error?.kind).toBe('auth');
      expect(error?.message).toMatch(/^REGISTER not authenticated: the credentials provider failed: /);
      expect(error?.message).toMatch(why);
      expect(error?.message).not.toContain(secret);
      const registration = client.getState().registration;
      expect(registration.status).toBe('failed');
      expect(registration.status === 'failed' && registration.error.kind).toBe('auth');
      expectNowhere(secret, client, outlets);
      expect(outlets.logs.some((line) => /REGISTER challenge \(401\) left unanswered/.test(line))).toBe(true);
    },
  );

  it('that takes longer than timeouts.register runs into the register deadline: retrying, kind timeout', async () => {
    const { client } = await world(() => new Promise<Credentials>(() => {}), {
      timeouts: { register: 300 },
      expires: 60,
    });
    await client.start();
    const started = Date.now();
    const error = await client.register().then(
      () => undefined,
      (rejected: unknown) => rejected as Error & { kind?: string },
    );
    expect(error?.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(client.getState().registration.status).toBe('retrying');
  });

  it('whose answer comes after the deadline sends nothing with it', async () => {
    const releases: ((credentials: Credentials) => void)[] = [];
    const { client, outlets } = await world(
      () =>
        new Promise<Credentials>((resolve) => {
          releases.push(resolve);
        }),
      // A long backoff: no retry (and no new challenge) within the test.
      { timeouts: { register: 300 }, expires: 60 },
    );
    await client.start();
    await client.register().catch(() => undefined);
    const sentBefore = outlets.trace.length;
    expect(releases).toHaveLength(1);
    releases[0]?.({ username: 'alice', password: PASSWORD });
    await new Promise((done) => setTimeout(done, 100));
    // No REGISTER with an Authorization header went out for the abandoned transaction.
    const after = outlets.trace
      .slice(sentBefore)
      .filter((text) => /^REGISTER /.test(text) && /Authorization:/i.test(text));
    expect(after).toEqual([]);
  });

  it('with a wrong password: the registrar refuses it, kind auth (credentials rejected)', async () => {
    const { client } = await world(() => ({ username: 'alice', password: 'wrong' }));
    await client.start();
    const error = await client.register().then(
      () => undefined,
      (rejected: unknown) => rejected as Error & { kind?: string },
    );
    expect(error?.kind).toBe('auth');
    expect(error?.message).not.toMatch(/provider/);
  });
});

describe('credentialsProblem', () => {
  it('accepts { username, password } and { username, ha1 }, and names the field of anything else', () => {
    expect(credentialsProblem({ username: 'alice', password: 'p' })).toBeUndefined();
    expect(credentialsProblem({ username: 'alice', ha1: 'ABCDEF0123456789abcdef0123456789' })).toBeUndefined();
    expect(credentialsProblem({ username: '', password: 'p' })).toMatch(/`username`/);
    expect(credentialsProblem({ username: 'a'.repeat(257), password: 'p' })).toMatch(/`username`/);
    expect(credentialsProblem({ username: 'a\\b', password: 'p' })).toMatch(/`username`/);
    expect(credentialsProblem({ username: 'alice', password: 'p'.repeat(8_193) })).toMatch(/`password`/);
    expect(credentialsProblem({ username: 'alice', password: 'p\0' })).toMatch(/`password`/);
    expect(credentialsProblem({ username: 'alice', password: '' })).toMatch(/`password`/);
    expect(credentialsProblem({ username: 'alice', password: 42 })).toMatch(/`password`/);
    expect(credentialsProblem(['alice', 'p'])).toMatch(/no \{ username/);
    expect(credentialsProblem('alice:p')).toMatch(/no \{ username/);
  });
});
