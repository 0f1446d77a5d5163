import { createActor, fromPromise, type Actor, type InspectionEvent } from 'xstate';
import type { RegisterOutcome } from '../machines/registration.machine';
import { registrationMachine } from '../machines/registration.machine';
import { transportMachine } from '../machines/transport.machine';
import { clampDelay } from '../machines/delay';
import { userAgentMachine } from '../machines/user-agent.machine';
import { SipError } from './errors';
import type { Logger } from './logger';
import type { ResolvedOptions } from './options';
import { redactUrl } from './redact';

/**
 * What the machines' actors do for one client: its socket, its sip.js user agent, its REGISTER channel. Each client
 * registers one under its actor system; the shared machine's actors look it up there.
 */
export interface ClientRuntime {
  /** Opens the connection to the server at `serverIndex` of the client's list (the machine holds redacted URLs only). */
  connectTransport(serverIndex: number, signal: AbortSignal): Promise<void>;
  disconnectTransport(): Promise<void>;
  /**
   * Run on leaving 'connected' for any reason: drops the socket and ends the transactions waiting on it. (A lost
   * connection and the registrar's Flow-Timer are not watched by an actor: the runtime sends CONNECTION_LOST and
   * FLOW_TIMER to the transport machine itself.)
   */
  releaseConnection(): void;
  sendKeepAlive(signal: AbortSignal): Promise<void>;
  sendOptionsKeepAlive(signal: AbortSignal): Promise<void>;
  sendRegister(expires: number, signal: AbortSignal): Promise<RegisterOutcome>;
  startUserAgent(): Promise<void>;
  stopUserAgent(): Promise<void>;
}

// Keyed by the client's root actor system, which every actor of that client shares.
const runtimes = new WeakMap<object, ClientRuntime>();

/** Ties a runtime to a client's actor system; call before starting the actor. */
export function attachRuntime(system: object, runtime: ClientRuntime): void {
  runtimes.set(system, runtime);
}

function runtimeOf(system: object): ClientRuntime {
  const runtime = runtimes.get(system);
  if (!runtime) throw new SipError('config', 'sipstate: a client actor was started outside createSipClient');
  return runtime;
}

function provideClientMachine() {
  return userAgentMachine.provide({
    actors: {
      transport: transportMachine.provide({
        actions: { releaseConnection: ({ system }) => runtimeOf(system).releaseConnection() },
        actors: {
          connectTransport: fromPromise<void, { server: string; serverIndex: number }>(({ input, signal, system }) =>
            runtimeOf(system).connectTransport(input.serverIndex, signal),
          ),
          disconnectTransport: fromPromise<void, void>(({ system }) => runtimeOf(system).disconnectTransport()),
          sendKeepAlive: fromPromise<void, void>(({ signal, system }) => runtimeOf(system).sendKeepAlive(signal)),
          sendOptionsKeepAlive: fromPromise<void, void>(({ signal, system }) =>
            runtimeOf(system).sendOptionsKeepAlive(signal),
          ),
        },
      }),
      registration: registrationMachine.provide({
        actors: {
          sendRegister: fromPromise<RegisterOutcome, { expires: number }>(({ input, signal, system }) =>
            runtimeOf(system).sendRegister(input.expires, signal),
          ),
          sendUnregister: fromPromise<void, void>(({ signal, system }) =>
            runtimeOf(system)
              .sendRegister(0, signal)
              .then(() => undefined),
          ),
        },
      }),
      startUserAgent: fromPromise<void, void>(({ system }) => runtimeOf(system).startUserAgent()),
      stopUserAgent: fromPromise<void, void>(({ system }) => runtimeOf(system).stopUserAgent()),
    },
  });
}

/**
 * How long a keep-alive probe waits for its answer, given the keep-alive interval (ms). A pong takes a round trip:
 * 10 s is plenty, and short intervals get a timeout no longer than themselves. With pings off (0) a probe still needs
 * one: a registrar's Flow-Timer turns pings on, and the network going away sends one.
 *
 * @example
 * ```ts
 * keepAliveTimeoutFor(30_000); // 10_000
 * keepAliveTimeoutFor(5_000);  // 5_000
 * keepAliveTimeoutFor(0);      // 10_000
 * ```
 */
export function keepAliveTimeoutFor(keepAliveIntervalMs: number): number {
  return Math.min(10_000, keepAliveIntervalMs || 10_000);
}

/** The user agent machine with sipstate's actors. */
export type ClientMachine = ReturnType<typeof provideClientMachine>;

let shared: ClientMachine | undefined;

/**
 * The machine every client runs, built on first use (not on import, to keep the package free of side effects) and
 * shared: providing a machine per client cost ~80 KB of heap and milliseconds each, which dominated creating
 * thousands of clients.
 */
export function clientMachine(): ClientMachine {
  shared ??= provideClientMachine();
  return shared;
}

/**
 * A client's root actor: the shared client machine, run with one client's input and runtime.
 *
 * @example
 * ```ts
 * const actor: ClientActor = createClientActor(config, logger);
 * ```
 */
export type ClientActor = Actor<ClientMachine>;

/** A machine timer: the host's timer, and the immediate a late one was deferred to. */
interface MachineTimer {
  timer: ReturnType<typeof setTimeout> | undefined;
  immediate: unknown;
  /** When it is due, on the monotonic clock. */
  readonly due: number;
  readonly callback: () => void;
}

/** A timer this much later than set fired behind a busy event loop: it is judged after the I/O waiting meanwhile. */
const LATE_TIMER_MS = 1_000;

/**
 * The machines' clock. A timer on time fires as any timer does. A timer that fires more than {@link LATE_TIMER_MS} late
 * (the event loop was busy: 15,000 clients reconnecting at once in one process) runs after the I/O already waiting has
 * been read (Node's `setImmediate` runs after the poll phase), not before it: a process busy for seconds comes back to
 * a timers phase full of deadlines that passed meanwhile, ahead of the socket data that met them, and WebSockets that
 * opened in time were given up as not opened within `timeouts.connect` (REGISTERs answered in time, as unanswered),
 * their clients backing off for seconds more. Where there is no `setImmediate` (browsers), a plain timer.
 *
 * @example
 * ```ts
 * const actor = createActor(machine, { clock: lateTimersAfterPendingIo });
 * ```
 */
export const lateTimersAfterPendingIo = {
  setTimeout(callback: () => void, ms: number): MachineTimer {
    // One object per timer and no closure: a registered client keeps three or four timers pending, 15,000 clients
    // sixty thousand.
    // The one clamp (machines/delay.ts): every machine delay is clamped already, and the clock that runs them all
    // keeps the rule for any it is given (Node fires a timer above 2^31-1 ms after 1 ms).
    const delay = clampDelay(ms);
    const handle: MachineTimer = { timer: undefined, immediate: undefined, due: performance.now() + delay, callback };
    handle.timer = setTimeout(fireMachineTimer, delay, handle);
    return handle;
  },
  clearTimeout(handle: MachineTimer): void {
    clearTimeout(handle.timer);
    if (handle.immediate !== undefined) {
      (globalThis as { clearImmediate?: (immediate: unknown) => void }).clearImmediate?.(handle.immediate);
      handle.immediate = undefined;
    }
  },
};

function fireMachineTimer(handle: MachineTimer): void {
  const defer = (
    globalThis as { setImmediate?: (callback: (handle: MachineTimer) => void, handle: MachineTimer) => unknown }
  ).setImmediate;
  if (performance.now() - handle.due < LATE_TIMER_MS || typeof defer !== 'function') handle.callback();
  else handle.immediate = defer(fireDeferredTimer, handle);
}

function fireDeferredTimer(handle: MachineTimer): void {
  handle.immediate = undefined;
  handle.callback();
}

/**
 * Creates (does not start) a client's root actor from its resolved options: the machines, and so inspectors and
 * transport$, see the servers redacted. Tie it to its runtime with {@link attachRuntime} before starting it.
 *
 * @example
 * ```ts
 * const actor = createClientActor(config, logger);
 * attachRuntime(actor.system, runtime);
 * actor.start();
 * ```
 */
export function createClientActor(config: ResolvedOptions, logger: Logger): ClientActor {
  const actor = createActor(clientMachine(), {
    clock: lateTimersAfterPendingIo,
    input: {
      transport: {
        // The machines (and so inspectors and transport$) see URLs without their user-info or query values.
        servers: config.servers.map(redactUrl),
        reconnect: config.reconnect,
        connectTimeoutMs: config.timeouts.connect,
        keepAliveIntervalMs: config.keepAliveIntervalMs,
        keepAliveTimeoutMs: keepAliveTimeoutFor(config.keepAliveIntervalMs),
        connectJitterMs: config.connectJitterMs,
      },
      registration: {
        expires: config.expires,
        registerTimeoutMs: config.timeouts.register,
        unregisterTimeoutMs: config.timeouts.unregister,
      },
      register: config.register,
      stopTimeoutMs: config.timeouts.stop,
    },
    ...(config.inspect !== undefined && { inspect: guardedInspector(config.inspect, logger) }),
  });
  return actor;
}

/**
 * The `inspect` option as XState gets it: an inspector that throws is the application's bug, and must not stop a
 * machine or surface as an uncaught exception from inside sip.js or RxJS. The first throw is logged, later ones not
 * (an inspector that always throws would flood the log).
 */
function guardedInspector(
  inspect: NonNullable<ResolvedOptions['inspect']>,
  logger: Logger,
): (event: InspectionEvent) => void {
  const next = typeof inspect === 'function' ? inspect : (event: InspectionEvent) => inspect.next?.(event);
  let reported = false;
  return (event) => {
    try {
      next(event);
    } catch (error) {
      if (reported) return;
      reported = true;
      logger.error(`the inspect option threw (this and later throws are ignored): ${String(error)}`);
    }
  };
}
