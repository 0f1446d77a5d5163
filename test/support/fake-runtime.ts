/**
 * A fake of what src/client/runtime.ts binds sip.js through, for the facade's fast tests: no sockets, no sip.js user
 * agent, no server; the machines and the facade are the real ones (given to the internal seam `createSipClientWith`).
 * Connections and REGISTERs answer at once unless told otherwise; every side effect goes in `log`.
 */
import type { RegisterOutcome } from '../../machines/registration.machine';
import type { RuntimeFactory, RuntimeHooks, SipRuntime } from '../../src/client/runtime';
import { SipError } from '../../src/errors';

/** How a {@link fakeRuntime} records. */
export interface FakeRuntimeOptions {
  /** Where to write what it did (shared by several clients, e.g. the tabs of one test); a new array by default. */
  log?: string[];
  /** With a time origin, each REGISTER line says when it went out: `REGISTER 600 at 1500` (ms since the origin). */
  timeOrigin?: number;
}

/**
 * A runtime whose every side effect the test sees.
 *
 * @example
 * ```ts
 * const fake = fakeRuntime();
 * const client = createSipClientWith({ server: 'ws://fake.invalid', uri, webSocket: class {} }, fake.factory);
 * await client.register();
 * fake.log; // ['connect 0', 'start UA', 'REGISTER 600']
 * ```
 */
export function fakeRuntime({ log = [], timeOrigin }: FakeRuntimeOptions = {}) {
  // How the runtime reaches the transport machine (CONNECTION_LOST, FLOW_TIMER): given by createSipClientWith.
  let hooks: RuntimeHooks | undefined;
  // Connections opened and not yet released (releaseConnection on leaving 'connected', or dispose).
  let watching = 0;
  let userAgent = false;
  let pings = 0;
  let connectOutcome: () => Promise<void> = () => Promise.resolve();
  let registerOutcome: (expires: number) => Promise<RegisterOutcome> = (expires) =>
    Promise.resolve({ type: 'registered', expires: expires === 0 ? 0 : expires });
  const runtime: SipRuntime = {
    connectTransport: (serverIndex) => {
      log.push(`connect ${serverIndex}`);
      return connectOutcome().then(() => {
        watching++;
      });
    },
    disconnectTransport: () => {
      log.push('disconnect');
      return Promise.resolve();
    },
    releaseConnection: () => {
      watching--;
    },
    sendKeepAlive: () => {
      pings++;
      return Promise.resolve();
    },
    sendOptionsKeepAlive: () => Promise.resolve(),
    sendRegister: (expires) => {
      log.push(timeOrigin === undefined ? `REGISTER ${expires}` : `REGISTER ${expires} at ${Date.now() - timeOrigin}`);
      return registerOutcome(expires);
    },
    startUserAgent: () => {
      userAgent = true;
      log.push('start UA');
      return Promise.resolve();
    },
    stopUserAgent: () => {
      userAgent = false;
      log.push('stop UA');
      return Promise.resolve();
    },
    hasUserAgent: () => userAgent,
    createInviter: () => {
      throw new Error('the fake runtime places no calls');
    },
    sendMessage: () => Promise.reject(new SipError('rejected', 'the fake runtime sends no MESSAGE')),
    trackRequest: () => () => {},
    onConnectionLost: () => () => {},
    leaveForPageCache: (unregister) => {
      log.push(`leave for page cache${unregister ? ', unregistering' : ''}`);
    },
    dispose: () => {
      log.push('dispose');
      userAgent = false;
      watching = 0;
    },
  };
  return {
    runtime,
    log,
    /** The connection drops, as the transport reports it. */
    dropConnection: (error = new SipError('transport', 'WebSocket closed')) => {
      hooks?.toTransport({ type: 'CONNECTION_LOST', error });
    },
    /** The factory createSipClientWith calls: keeps the hooks, returns the fake. */
    factory: ((_config, _logger, given) => {
      hooks = given;
      return runtime;
    }) satisfies RuntimeFactory,
    failConnecting: (error: SipError) => {
      connectOutcome = () => Promise.reject(error);
    },
    connectNormally: () => {
      connectOutcome = () => Promise.resolve();
    },
    answerRegister: (answer: (expires: number) => Promise<RegisterOutcome>) => {
      registerOutcome = answer;
    },
    /** Connections open now. */
    get watching() {
      return watching;
    },
    /** Keep-alive probes sent so far. */
    get pings() {
      return pings;
    },
  };
}
