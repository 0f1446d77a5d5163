#!/usr/bin/env node
/**
 * `sipstate`: watch a SIP WebSocket registration live, draw the lifecycle machines, and check a server.
 *
 * ```sh
 * SIPSTATE_PASSWORD=... sipstate watch --server wss://sip.example.com --uri sip:alice@example.com
 * sipstate diagram transport --format mermaid
 * sipstate doctor --server wss://sip.example.com --uri sip:alice@example.com
 * ```
 *
 * Passwords come from the environment variable SIPSTATE_PASSWORD or a hidden prompt, never from an argument.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { InspectionEvent } from 'xstate';
import type { SipClient } from './client';
import { errorText, eventText, sipSummary, stateValueText, terminalText, unexpectedErrorText } from './cli/format';
import { describeMachine, DIAGRAM_MACHINES, DIAGRAM_NAMES, type DiagramName } from './diagram/definition';
import { toMermaid } from './diagram/mermaid';
import { toSvg } from './diagram/svg';
import { SipError } from './errors';
import type { SipLogSink } from './logger';
import { redactUrl } from './redact';
import type { WebSocketConstructor } from './sip/websocket-transport';

/** A usage error: printed with the command's usage line, exit code 2. */
class UsageError extends Error {}

const EXIT_OK = 0;
const EXIT_PROBLEM = 1;
const EXIT_USAGE = 2;

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const err = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

const HELP: Record<'main' | 'watch' | 'diagram' | 'doctor', string> = {
  main: `Usage: sipstate <command> [options]

Commands:
  watch     register and print a live timeline of every state transition and SIP status code
  diagram   print a machine (user agent, transport, registration, call) as Mermaid, JSON or SVG
  doctor    check a SIP WebSocket server: TLS, subprotocol 'sip', keep-alive, auth, expiry, re-registration

Run 'sipstate <command> --help' for a command's options.
The password is read from the environment variable SIPSTATE_PASSWORD, or asked for without echo; never pass it as
an argument.`,
  watch: `Usage: sipstate watch --server <ws(s)://...> --uri <sip:user@domain> [options]

Registers and prints every transition of the user agent, transport and registration machines with a timestamp,
plus each SIP message: → sent by sipstate, ← received (responses with their status code). Text from the network is
printed with control characters escaped (\x1b, \x0d, ...). Ctrl-C unregisters and exits.

Options:
  --server <url>     SIP WebSocket server, ws:// or wss:// (repeat for failover)
  --uri <uri>        address of record, e.g. sip:alice@example.com
  --user <name>      digest user name (default: the user part of --uri)
  --expires <s>      seconds asked for in REGISTER (default 600)
  --no-sip           do not print SIP messages, only transitions
  -h, --help         this help

Password: SIPSTATE_PASSWORD, else a hidden prompt when stdin is a terminal, else none.`,
  diagram: `Usage: sipstate diagram [machine] [--format mermaid|json|svg]

Prints a machine's diagram, generated from its definition. machine: userAgent, transport, registration (the
client's lifecycle machines) or call (the machine each call runs). Default: all four; svg needs exactly one.

Options:
  --format <f>   mermaid (default): a Mermaid stateDiagram-v2
                 json: the definition (states, transitions, guards, delays, invoked actors, tags)
                 svg: a standalone SVG of nested boxes (drawn by sipstate itself; no browser needed)
  -h, --help     this help`,
  doctor: `Usage: sipstate doctor --server <ws(s)://...> --uri <sip:user@domain> [options]

Connects and reports, check by check, what works and what does not: TLS (wss://), the WebSocket subprotocol 'sip',
CRLF keep-alive (RFC 5626 ping/pong), digest authentication, the expiry granted, re-registration before the binding
lapses, and unregistration. Exit code 0 when every check passed, 1 when one failed, 2 for bad arguments.

Options:
  --server <url>     SIP WebSocket server, ws:// or wss://
  --uri <uri>        address of record, e.g. sip:alice@example.com
  --user <name>      digest user name (default: the user part of --uri)
  --expires <s>      seconds asked for in REGISTER (default 30: short, to see a refresh soon)
  --timeout <s>      how long each step may take (default 10)
  --max-wait <s>     longest wait for the refresh; longer granted expiries skip that check (default 120)
  -h, --help         this help

Password: SIPSTATE_PASSWORD, else a hidden prompt when stdin is a terminal, else none.`,
};

function parse(
  command: keyof typeof HELP,
  args: string[],
  options: NonNullable<ParseArgsConfig['options']>,
  allowPositionals = false,
): { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] } {
  for (const arg of args) {
    if (arg === '--password' || arg.startsWith('--password=') || arg === '-p') {
      throw new UsageError(
        '--password is not accepted: a password in the arguments ends up in shell history and in `ps`. ' +
          'Set SIPSTATE_PASSWORD, or leave it unset to be asked for it without echo.',
      );
    }
  }
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals,
      allowNegative: true,
      strict: true,
    });
  } catch (error) {
    // parseArgs names the argument: "Unknown option '--x'", "Option '--server <value>' argument missing".
    throw new UsageError(`${command}: ${String((error as Error).message).replace(/\. To specify a positional.*$/s, '.')}`);
  }
}

function requireString(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

function serversOf(values: Record<string, unknown>): string[] {
  const raw = values.server;
  const servers = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]) as string[];
  if (servers.length === 0) throw new UsageError('--server is required (a ws:// or wss:// URL)');
  for (const server of servers) {
    let url: URL;
    try {
      url = new URL(server);
    } catch {
      throw new UsageError(`--server must be a ws:// or wss:// URL, got ${JSON.stringify(redactUrl(server))}`);
    }
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
      throw new UsageError(`--server must be a ws:// or wss:// URL, got ${JSON.stringify(redactUrl(server))}`);
    }
  }
  return servers;
}

function uriOf(values: Record<string, unknown>): { uri: string; user: string } {
  const uri = requireString(values, 'uri');
  const match = /^sips?:([^@;:]+)@[^@]+$/.exec(uri);
  if (!match) throw new UsageError(`--uri must be a SIP URI such as sip:alice@example.com, got ${JSON.stringify(uri)}`);
  const user = typeof values.user === 'string' && values.user !== '' ? values.user : decodeURIComponent(match[1]!);
  return { uri, user };
}

function secondsOf(values: Record<string, unknown>, name: string, fallback: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new UsageError(`--${name} must be a positive whole number of seconds, got ${JSON.stringify(raw)}`);
  return value;
}

/** The client (and sip.js under it) loads only for the commands that connect: help and diagram stay quick. */
async function loadClient(): Promise<typeof import('./client').createSipClient> {
  return (await import('./client')).createSipClient;
}

async function loadWebSocket(): Promise<WebSocketConstructor> {
  try {
    const module = (await import('ws')) as { default?: unknown; WebSocket?: unknown };
    return (module.WebSocket ?? module.default) as WebSocketConstructor;
  } catch {
    throw new UsageError("the sipstate CLI needs the 'ws' package next to it: npm install ws");
  }
}

/** SIPSTATE_PASSWORD, else a prompt without echo on a terminal, else none. */
async function readPassword(user: string): Promise<string | undefined> {
  const fromEnv = process.env.SIPSTATE_PASSWORD;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    err('sipstate: no password (SIPSTATE_PASSWORD is unset and stdin is not a terminal): trying without credentials');
    return undefined;
  }
  return new Promise((resolve) => {
    let typed = '';
    // Echo off before the prompt shows: what is typed once it is visible is never echoed.
    stdin.setRawMode(true);
    process.stderr.write(`Password for ${user}: `);
    stdin.resume();
    stdin.setEncoding('utf8');
    const onData = (chunk: string): void => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n') {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off('data', onData);
          process.stderr.write('\n');
          resolve(typed === '' ? undefined : typed);
          return;
        }
        if (char === '\u0003') {
          process.stderr.write('\n');
          process.exit(130);
        }
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
        else typed += char;
      }
    };
    stdin.on('data', onData);
  });
}

// ---- timeline ----

function timestamp(): string {
  return new Date().toISOString();
}

/**
 * An inspect observer that reports each machine's transitions (state value changes) once: machine id, from, to, and
 * the event that caused it.
 */
function transitionWatcher(report: (machine: string, from: string, to: string, event: string) => void) {
  const last = new Map<unknown, string>();
  return (inspection: InspectionEvent): void => {
    if (inspection.type !== '@xstate.snapshot') return;
    const snapshot = inspection.snapshot as { value?: unknown; machine?: { id: string } };
    if (!snapshot.machine || snapshot.value === undefined) return;
    const to = stateValueText(snapshot.value);
    const from = last.get(inspection.actorRef);
    last.set(inspection.actorRef, to);
    if (from === to) return;
    report(snapshot.machine.id, from ?? '(start)', to, eventText(inspection.event as { type: string }));
  };
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

// ---- watch ----

async function watch(args: string[]): Promise<number> {
  const { values } = parse('watch', args, {
    server: { type: 'string', multiple: true },
    uri: { type: 'string' },
    user: { type: 'string' },
    expires: { type: 'string' },
    sip: { type: 'boolean', default: true },
  });
  if (values.help) {
    out(HELP.watch);
    return EXIT_OK;
  }
  const servers = serversOf(values);
  const { uri, user } = uriOf(values);
  const expires = secondsOf(values, 'expires', 600);
  const webSocket = await loadWebSocket();
  const createSipClient = await loadClient();
  const password = await readPassword(user);
  const showSip = values.sip !== false;

  const sink: SipLogSink = {
    debug: (line) => {
      if (!showSip) return;
      const summary = sipSummary(line);
      if (summary) out(`${timestamp()}  ${pad('sip', 12)} ${summary}`);
    },
    log: () => undefined, // sip.js's chatter; warnings and errors still go to stderr
    // sip.js and sipstate warnings may quote what the server sent.
    warn: (line) => err(terminalText(line)),
    error: (line) => err(terminalText(line)),
  };

  let client: SipClient;
  try {
    client = createSipClient({
      server: servers,
      uri,
      authorizationUsername: user,
      ...(password !== undefined && { authorizationPassword: password }),
      expires,
      register: true,
      webSocket,
      logLevel: 'debug',
      logger: sink,
      inspect: transitionWatcher((machine, from, to, event) => {
        out(`${timestamp()}  ${pad(machine, 12)} ${from} → ${to}   ${event}`);
      }),
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  client.registration$.subscribe((registration) => {
    const error = 'error' in registration ? registration.error : undefined;
    const detail =
      registration.status === 'registered' ? ` (expires ${registration.expires} s)` : error ? ` (${errorText(error)})` : '';
    out(`${timestamp()}  ${pad('status', 12)} registration ${registration.status}${detail}`);
  });
  out(`${timestamp()}  ${pad('watch', 12)} ${uri} via ${servers.map(redactUrl).join(', ')}; Ctrl-C unregisters and exits`);
  void client.start();

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) {
        err('sipstate: second interrupt, exiting without waiting');
        process.exit(130);
      }
      stopping = true;
      out(`${timestamp()}  ${pad('watch', 12)} ${signal}: unregistering and stopping`);
      const deadline = new Promise<'timeout'>((done) => setTimeout(() => done('timeout'), 10_000).unref());
      void Promise.race([client.stop().then(() => 'stopped' as const, () => 'stopped' as const), deadline]).then((how) => {
        client.dispose();
        out(`${timestamp()}  ${pad('watch', 12)} ${how === 'stopped' ? 'stopped' : 'stop timed out after 10 s'}`);
        resolve(how === 'stopped' ? EXIT_OK : EXIT_PROBLEM);
      });
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}

// ---- diagram ----

const MACHINE_ALIASES: Record<string, DiagramName> = {
  useragent: 'userAgent',
  'user-agent': 'userAgent',
  ua: 'userAgent',
  transport: 'transport',
  registration: 'registration',
  call: 'call',
};

async function diagram(args: string[]): Promise<number> {
  const { values, positionals } = parse('diagram', args, { format: { type: 'string', default: 'mermaid' } }, true);
  if (values.help) {
    out(HELP.diagram);
    return EXIT_OK;
  }
  if (positionals.length > 1) throw new UsageError(`expected at most one machine, got ${positionals.join(' ')}`);
  const format = values.format as string;
  if (!['mermaid', 'json', 'svg'].includes(format)) throw new UsageError(`--format must be mermaid, json or svg, got ${JSON.stringify(format)}`);
  let names: DiagramName[] = [...DIAGRAM_NAMES];
  if (positionals[0] !== undefined) {
    const name = Object.hasOwn(MACHINE_ALIASES, positionals[0].toLowerCase()) ? MACHINE_ALIASES[positionals[0].toLowerCase()] : undefined;
    if (!name) throw new UsageError(`unknown machine ${JSON.stringify(positionals[0])}: expected userAgent, transport, registration or call`);
    names = [name];
  }
  if (format === 'svg' && names.length !== 1) throw new UsageError('--format svg draws one machine: name it (userAgent, transport, registration or call)');
  const definitions = names.map((name) => describeMachine(DIAGRAM_MACHINES[name]));
  if (format === 'json') out(JSON.stringify(definitions.length === 1 ? definitions[0] : definitions, null, 2));
  else if (format === 'svg') process.stdout.write(toSvg(definitions[0]!));
  else process.stdout.write(definitions.map((definition) => `%% ${definition.id}\n${toMermaid(definition)}`).join('\n'));
  return EXIT_OK;
}

// ---- doctor ----

type Verdict = 'ok' | 'FAIL' | 'warn' | 'skip';

async function doctor(args: string[]): Promise<number> {
  const { values } = parse('doctor', args, {
    server: { type: 'string' },
    uri: { type: 'string' },
    user: { type: 'string' },
    expires: { type: 'string' },
    timeout: { type: 'string' },
    'max-wait': { type: 'string' },
  });
  if (values.help) {
    out(HELP.doctor);
    return EXIT_OK;
  }
  const [server] = serversOf(values) as [string];
  const { uri, user } = uriOf(values);
  const expires = secondsOf(values, 'expires', 30);
  const timeoutMs = secondsOf(values, 'timeout', 10) * 1000;
  const maxWaitMs = secondsOf(values, 'max-wait', 120) * 1000;
  const WebSocket = await loadWebSocket();
  const createSipClient = await loadClient();
  const password = await readPassword(user);

  let failures = 0;
  const report = (check: string, verdict: Verdict, detail: string): void => {
    if (verdict === 'FAIL') failures++;
    out(`${pad(verdict === 'ok' ? 'ok' : verdict, 5)} ${pad(check, 16)} ${detail}`);
  };
  out(`sipstate doctor: ${uri} via ${redactUrl(server)}`);

  // 1-3: a raw WebSocket, to see TLS, the subprotocol and keep-alive without SIP in the way.
  const secure = server.startsWith('wss:');
  const raw = await probeWebSocket(WebSocket, server, timeoutMs);
  if (!raw.opened) {
    if (raw.subprotocolRefused) {
      report('websocket', 'ok', 'connection upgraded');
      report('subprotocol', 'FAIL', `the server did not accept the WebSocket subprotocol 'sip' (${terminalText(raw.error)})`);
    } else {
      report(secure ? 'tls+websocket' : 'websocket', 'FAIL', `could not connect: ${terminalText(raw.error)}`);
    }
    out(`${failures} check(s) failed`);
    return EXIT_PROBLEM;
  }
  if (secure) report('tls', 'ok', `${raw.tlsProtocol ?? 'TLS'}, certificate verified`);
  else report('tls', 'warn', 'not used (ws://): browsers on https:// pages need wss://');
  report('websocket', 'ok', `connected in ${raw.connectMs} ms`);
  if (raw.protocol === 'sip') report('subprotocol', 'ok', "'sip' accepted");
  else report('subprotocol', 'FAIL', `server answered subprotocol ${terminalText(JSON.stringify(raw.protocol))}, not 'sip'`);
  if (raw.pongMs !== undefined) report('keep-alive', 'ok', `CRLF ping answered with a CRLF pong in ${raw.pongMs} ms (RFC 5626)`);
  else {
    report('keep-alive', 'FAIL', `no CRLF pong within ${timeoutMs / 1000} s: sipstate would drop the connection; set keepAliveIntervalSec: 0 for this server`);
  }

  // 4-7: a real sipstate client.
  const sipLog: string[] = [];
  const client = createSipClient({
    server,
    uri,
    authorizationUsername: user,
    ...(password !== undefined && { authorizationPassword: password }),
    expires,
    webSocket: WebSocket,
    logLevel: 'debug',
    logger: {
      debug: (line) => {
        const summary = sipSummary(line);
        if (summary) sipLog.push(summary);
      },
      log: () => undefined,
      warn: () => undefined,
      error: () => undefined,
    },
    reconnect: false,
  });
  try {
    const registered = await withTimeout(client.register(), timeoutMs * 2, 'no final answer to REGISTER');
    const challenged = sipLog.some((line) => /^← 40[17] /.test(line));
    if (registered !== 'ok') {
      const error = registered;
      if (error.kind === 'auth') {
        report('auth', 'FAIL', `rejected after digest (${terminalText(`${error.code ?? ''} ${error.reason ?? ''}`.trim())}): wrong user name or password`);
      } else report('register', 'FAIL', errorText(error));
      return finish(client, failures, report);
    }
    report('auth', 'ok', challenged ? 'digest challenge answered and accepted' : 'the server registered us without a challenge');
    const state = client.getState().registration;
    const granted = state.status === 'registered' ? state.expires : 0;
    const raised = sipLog.some((line) => line.startsWith('← 423 '));
    report('register', 'ok', `registered (${sipLog.filter((line) => line.startsWith('→ REGISTER')).length} REGISTER sent)`);
    report('expires', granted > 0 ? 'ok' : 'FAIL', `${granted} s granted for ${expires} s asked${raised ? ' (raised after 423 Interval Too Brief)' : ''}`);

    // Re-registration: the refresh goes out at 80-90% of the granted expiry.
    if (granted * 1000 > maxWaitMs) {
      report('re-register', 'skip', `granted ${granted} s: the refresh would come after ~${Math.round(granted * 0.85)} s (raise --max-wait or lower --expires)`);
    } else {
      const firstExpiresAt = state.status === 'registered' ? state.expiresAt : 0;
      const refreshed = await waitFor(client, (s) => s.registration.status === 'registered' && s.registration.expiresAt > firstExpiresAt, granted * 1000 + timeoutMs);
      const now = client.getState().registration;
      if (refreshed) report('re-register', 'ok', `refreshed before the binding lapsed (${now.status === 'registered' ? now.expires : 0} s granted again)`);
      else report('re-register', 'FAIL', `no successful refresh within ${granted} s + ${timeoutMs / 1000} s (now ${client.getState().registration.status})`);
    }
    const unregistered = await withTimeout(client.unregister(), timeoutMs, 'no final answer to the un-REGISTER');
    const removed = sipLog.some((line) => line === '→ REGISTER expires=0');
    if (unregistered === 'ok' && removed) report('unregister', 'ok', 'REGISTER with expires=0 accepted');
    else report('unregister', 'FAIL', unregistered === 'ok' ? 'no REGISTER with expires=0 was sent' : terminalText(unregistered.message));
  } finally {
    await withTimeout(client.stop(), timeoutMs, 'stop timed out');
    client.dispose();
  }
  out(failures === 0 ? 'all checks passed' : `${failures} check(s) failed`);
  return failures === 0 ? EXIT_OK : EXIT_PROBLEM;
}

async function finish(client: SipClient, failures: number, _report: unknown): Promise<number> {
  await withTimeout(client.stop(), 5_000, 'stop timed out');
  client.dispose();
  out(`${failures} check(s) failed`);
  return EXIT_PROBLEM;
}

async function withTimeout(promise: Promise<void>, ms: number, message: string): Promise<'ok' | SipError> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<SipError>((resolve) => {
    timer = setTimeout(() => resolve(new SipError('timeout', `${message} within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        () => 'ok' as const,
        (error: unknown) => (error instanceof SipError ? error : new SipError('transport', String(error))),
      ),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function waitFor(client: SipClient, predicate: (state: ReturnType<SipClient['getState']>) => boolean, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    let done = false;
    let subscription: { unsubscribe(): void } | undefined;
    const finish = (value: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      queueMicrotask(() => subscription?.unsubscribe());
      resolve(value);
    };
    const timer = setTimeout(() => finish(false), ms);
    subscription = client.state$.subscribe((state) => {
      if (predicate(state)) finish(true);
    });
    if (done) subscription.unsubscribe();
  });
}

interface RawProbe {
  opened: boolean;
  error?: string;
  subprotocolRefused?: boolean;
  protocol?: string;
  tlsProtocol?: string;
  connectMs?: number;
  pongMs?: number;
}

/** Opens a WebSocket with subprotocol 'sip', sends a CRLF ping and waits for the pong, then closes it. */
function probeWebSocket(WebSocket: WebSocketConstructor, server: string, timeoutMs: number): Promise<RawProbe> {
  return new Promise((resolve) => {
    const started = Date.now();
    const result: RawProbe = { opened: false };
    type RawSocket = {
      protocol: string;
      _socket?: { getProtocol?: () => string | null };
      on(event: string, listener: (...args: unknown[]) => void): void;
      send(data: string): void;
      terminate(): void;
    };
    let socket: RawSocket;
    try {
      socket = new (WebSocket as unknown as new (url: string, protocols: string, options: object) => RawSocket)(server, 'sip', {
        handshakeTimeout: timeoutMs,
      });
    } catch (error) {
      resolve({ opened: false, error: (error as Error).message });
      return;
    }
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.terminate();
      resolve(result);
    };
    const timer = setTimeout(() => {
      if (!result.opened) result.error = `no WebSocket connection within ${timeoutMs / 1000} s`;
      settle();
    }, timeoutMs);
    socket.on('error', (error) => {
      const message = (error as Error).message;
      result.error = message;
      if (/subprotocol/i.test(message)) result.subprotocolRefused = true;
      settle();
    });
    socket.on('close', () => {
      if (!result.opened && !result.error) result.error = 'closed by the server';
      settle();
    });
    let pingSentAt = 0;
    socket.on('open', () => {
      result.opened = true;
      result.connectMs = Date.now() - started;
      result.protocol = socket.protocol;
      const tls = socket._socket?.getProtocol?.();
      if (tls) result.tlsProtocol = tls;
      pingSentAt = Date.now();
      socket.send('\r\n\r\n');
    });
    socket.on('message', (data) => {
      const text = String(data);
      if (/^(\r\n)+$/.test(text)) {
        result.pongMs = Date.now() - pingSentAt;
        settle();
      }
    });
  });
}

// ---- main ----

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'watch':
        return await watch(rest);
      case 'diagram':
        return await diagram(rest);
      case 'doctor':
        return await doctor(rest);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        if (command === undefined) {
          err(HELP.main);
          return EXIT_USAGE;
        }
        out(HELP.main);
        return EXIT_OK;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}: expected watch, diagram or doctor`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      err(`sipstate: ${terminalText(error.message)}`);
      const help = command && command in HELP ? HELP[command as keyof typeof HELP] : HELP.main;
      err(`\n${help.split('\n')[0]}\nRun 'sipstate ${command && command in HELP ? `${command} ` : ''}--help' for details.`);
      return EXIT_USAGE;
    }
    err(`sipstate: ${unexpectedErrorText(error)}`);
    return EXIT_PROBLEM;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Nothing of ours is left running; don't wait for stray handles (stdin after a prompt).
    setTimeout(() => process.exit(code), 50).unref();
  },
  (error: unknown) => {
    err(`sipstate: ${unexpectedErrorText(error)}`);
    process.exit(EXIT_PROBLEM);
  },
);
