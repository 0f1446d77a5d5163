import { Core, type UserAgent } from 'sip.js';
import { isSafeHeaderValue } from '../header-values';
import type { Logger } from '../logger';
import type { Credentials, CredentialsChallenge, CredentialsProvider } from '../options';

type IncomingResponseMessage = Core.IncomingResponseMessage;
type OutgoingRequestMessage = Core.OutgoingRequestMessage;

/**
 * Longest `username` a provider may return (it goes into the Authorization header).
 *
 * @example
 * ```ts
 * credentialsProblem({ username: 'a'.repeat(MAX_CREDENTIALS_USERNAME + 1), password: 'p' }); // '`username` must be ...'
 * ```
 */
export const MAX_CREDENTIALS_USERNAME = 256;
/**
 * Longest `password` a provider may return: room for a token (a JWT), not for anything unbounded.
 *
 * @example
 * ```ts
 * credentialsProblem({ username: 'alice', password: jwt }); // undefined while jwt.length <= MAX_CREDENTIALS_PASSWORD
 * ```
 */
export const MAX_CREDENTIALS_PASSWORD = 8_192;
/** Longest realm put to a provider: a challenge with a longer one is left unanswered. */
const MAX_REALM = 256;
const HA1 = /^[0-9a-f]{32}$/i;
/** An RFC 3261 token, as a method is. */
const METHOD = /^[A-Za-z0-9!%*_+`'~.-]{1,32}$/;

/**
 * Why a provider's answer cannot be used, or `undefined` when it is a {@link Credentials}: `{ username, password }` or
 * `{ username, ha1 }` and nothing else, strings without CR, LF or NUL, of bounded length. The reason names the field and
 * never shows a value: a value may be a secret.
 *
 * @example
 * ```ts
 * credentialsProblem({ username: 'alice', password: 'p' });   // undefined
 * credentialsProblem({ username: 'alice', ha1: 'not-hex' });  // '`ha1` must be 32 hex digits'
 * ```
 */
export function credentialsProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'it returned no { username, password } or { username, ha1 } object';
  }
  const given = value as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (key !== 'username' && key !== 'password' && key !== 'ha1') return `\`${key}\` is not a credentials field`;
  }
  const { username } = given;
  if (
    typeof username !== 'string' ||
    username.length === 0 ||
    username.length > MAX_CREDENTIALS_USERNAME ||
    !isSafeHeaderValue(username) ||
    // sip.js writes it between double quotes without escaping
    /["\\]/.test(username)
  ) {
    return `\`username\` must be a string of 1 to ${MAX_CREDENTIALS_USERNAME} characters without CR, LF, NUL, " or \\`;
  }
  const hasPassword = Object.hasOwn(given, 'password');
  if (hasPassword === Object.hasOwn(given, 'ha1')) return 'it must give exactly one of `password` and `ha1`';
  if (hasPassword) {
    const { password } = given;
    if (
      typeof password !== 'string' ||
      password.length === 0 ||
      password.length > MAX_CREDENTIALS_PASSWORD ||
      !isSafeHeaderValue(password)
    ) {
      return `\`password\` must be a string of 1 to ${MAX_CREDENTIALS_PASSWORD} characters without CR, LF or NUL`;
    }
    return undefined;
  }
  return typeof given.ha1 === 'string' && HA1.test(given.ha1) ? undefined : '`ha1` must be 32 hex digits';
}

/**
 * Responses whose challenge went unanswered because the provider failed, with why (no secret in it): the error
 * mapping (response-error.ts) says so instead of "credentials rejected". Weak: an entry goes with its response.
 */
const providerFailures = new WeakMap<object, string>();

/**
 * Why the credentials provider failed to answer the challenge of `message` (a 401 or 407), if it did.
 *
 * @example
 * ```ts
 * providerFailureOf(response.message); // 'the credentials provider rejected'
 * ```
 */
export function providerFailureOf(message: object): string | undefined {
  return providerFailures.get(message);
}

/** The part of a digest challenge read here (sip.js's parsed WWW-Authenticate / Proxy-Authenticate). */
interface ParsedChallenge {
  realm?: unknown;
  stale?: unknown;
}

/** What sip.js's authentication guard uses of the object its `authenticationFactory` returns. */
interface DigestAnswer {
  authenticate(request: OutgoingRequestMessage, challenge: unknown, body?: string): boolean;
  toString(): string;
}

/**
 * Answers digest challenges with credentials asked of `provider` when each challenge comes, for every request of
 * `userAgent` (REGISTER, INVITE, MESSAGE, in-dialog requests). Returns the function that stops it (pending answers
 * are then dropped and their timers cleared).
 *
 * Why it is built this way: sip.js answers a 401/407 inside its response handling, synchronously (the UAC's
 * `authenticationGuard` calls `configuration.authenticationFactory()`, computes the Authorization header and re-sends
 * the request at once); an async provider cannot be awaited there. Re-sending the request from sipstate instead would
 * mean re-implementing sip.js's retry for INVITE and in-dialog requests (CSeq, dialogs, early state). So the response
 * is held before sip.js sees it: a 401/407 matching one of our live client transactions is kept while the provider
 * is asked, then handed to sip.js with the answer in a slot that the factory's object reads during that one
 * synchronous delivery, and that is emptied right after it. The password lives no longer than that answer: the
 * object sip.js keeps holds only the computed header. A provider that fails (throws, rejects, answers with anything
 * but credentials, or takes longer than `maxWaitMs`) leaves the slot empty: sip.js then passes the 401/407 on, the
 * request fails with kind `auth`, and the error says the provider failed. While a response is held its transaction's
 * own timers run on (Timer F/B, and sipstate's deadlines: `timeouts.register`, `timeouts.message`), so a slow provider
 * is bounded by them as well as by `maxWaitMs`.
 *
 * Only responses to our own live transactions (matched by Via branch and method, as sip.js matches them) reach the
 * provider: a forged 401 can make it ask for nothing.
 *
 * @example
 * ```ts
 * const stopAnswering = answerChallengesWith(userAgent, config.credentials, logger, config.timeouts.register);
 * // ... when the user agent stops:
 * stopAnswering();
 * ```
 */
export function answerChallengesWith(
  userAgent: UserAgent,
  provider: CredentialsProvider,
  logger: Logger,
  maxWaitMs: number,
): () => void {
  const core = userAgent.userAgentCore;
  const loggerFactory = userAgent.getLoggerFactory();
  // Set only while a held response is being handed to sip.js (synchronously); undefined at any other time.
  let answer: Credentials | undefined;
  // The client transactions (sip.js UACs) answered once, and whether that answer was to a stale nonce: sip.js answers
  // again only a stale challenge after a fresh one, so no other second challenge is put to the provider.
  const answered = new WeakMap<object, { stale: boolean }>();
  const pending = new Set<ReturnType<typeof setTimeout>>();
  let stopped = false;

  core.configuration.authenticationFactory = () => {
    let header = '';
    const digestAnswer: DigestAnswer = {
      authenticate(request, challenge, body) {
        const given = answer;
        answer = undefined;
        if (given === undefined) return false;
        const digest = new Core.DigestAuthentication(
          loggerFactory,
          'ha1' in given ? given.ha1.toLowerCase() : undefined,
          given.username,
          'password' in given ? given.password : undefined,
        );
        if (!digest.authenticate(request, challenge, body)) return false;
        header = digest.toString();
        return true;
      },
      toString: () => header,
    };
    return digestAnswer as unknown as Core.DigestAuthentication;
  };

  const deliver = core.receiveIncomingResponseFromTransport.bind(core);
  const handOver = (message: IncomingResponseMessage, credentials: Credentials | undefined): void => {
    if (stopped) return;
    answer = credentials;
    try {
      deliver(message);
    } catch (error) {
      logger.error(`sip.js failed to handle a challenge: ${(error as Error)?.message ?? String(error)}`);
    } finally {
      answer = undefined;
    }
  };

  core.receiveIncomingResponseFromTransport = (message: IncomingResponseMessage): void => {
    const status = message.statusCode;
    if (stopped || (status !== 401 && status !== 407)) {
      deliver(message);
      return;
    }
    const transaction = core.userAgentClients.get(message.viaBranch + message.method);
    const challenge = message.parseHeader(status === 401 ? 'www-authenticate' : 'proxy-authenticate') as
      | ParsedChallenge
      | undefined;
    const realm = challenge?.realm;
    const method = message.method;
    if (
      !transaction ||
      typeof realm !== 'string' ||
      realm.length > MAX_REALM ||
      !isSafeHeaderValue(realm) ||
      !METHOD.test(method)
    ) {
      deliver(message);
      return;
    }
    const before = answered.get(transaction);
    const stale = challenge?.stale === true;
    // sip.js will not answer this one (a second challenge that is not for a stale nonce): nothing to ask.
    if (before && (before.stale || !stale)) {
      deliver(message);
      return;
    }
    const asked: CredentialsChallenge = { realm, method, attempt: before ? 2 : 1, status };
    // sip.js's dispose() of a request only clears its timers: the transaction stays matched and would still answer
    // this challenge and re-send. sipstate disposes a request it stops waiting for (a deadline, a lost connection):
    // noted here, so that a late answer is dropped with the response instead.
    let abandoned = false;
    const client = transaction as { dispose(): void };
    const dispose = client.dispose;
    client.dispose = function (this: unknown) {
      abandoned = true;
      dispose.call(this);
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const outOfTime = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ProviderFailure(`it did not answer within ${maxWaitMs} ms`)), maxWaitMs);
      pending.add(timer);
    });
    const asking = Promise.resolve()
      .then(() => provider(asked))
      .then(
        (given) => {
          const problem = credentialsProblem(given);
          if (problem !== undefined) throw new ProviderFailure(problem);
          return given;
        },
        (error: unknown) => {
          // Neither the error's message nor its value is shown: either may hold the secret it was fetching.
          throw new ProviderFailure(`it threw or rejected${error instanceof Error ? ` (${error.name})` : ''}`);
        },
      );
    Promise.race([asking, outOfTime])
      .then(
        (credentials) => {
          client.dispose = dispose;
          if (abandoned) return;
          answered.set(transaction, { stale });
          handOver(message, credentials);
        },
        (error: unknown) => {
          client.dispose = dispose;
          if (abandoned) return;
          const reason = `the credentials provider failed: ${error instanceof ProviderFailure ? error.message : 'it failed'}`;
          logger.warn(`${method} challenge (${status}) left unanswered: ${reason}`);
          providerFailures.set(message, reason);
          handOver(message, undefined);
        },
      )
      .finally(() => {
        if (timer !== undefined) {
          clearTimeout(timer);
          pending.delete(timer);
        }
      });
  };

  return () => {
    stopped = true;
    for (const timer of pending) clearTimeout(timer);
    pending.clear();
  };
}

/** A provider failure, with a reason that shows no value the provider returned or threw. */
class ProviderFailure extends Error {}
