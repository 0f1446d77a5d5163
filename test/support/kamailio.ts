/**
 * Test harness for the sipstate test SIP server: Kamailio 5.6 running
 * `test/kamailio/kamailio.cfg` on loopback, plus a small sipp runner.
 *
 * Node built-ins only. Linux only (uses /proc to make sure every Kamailio
 * process is gone before a restart on the same ports).
 *
 * ```ts
 * const server = await startKamailio();          // free ports, started
 * // ... connect sip.js to server.wsUrl as sip:alice@sipstate.test / server.users.alice
 * await server.waitForRequests({ method: 'REGISTER', user: 'alice' }, 2);
 * await server.stop();
 * ```
 *
 * Lifetime: Kamailio runs in its own process group behind a tiny `sh`
 * watchdog that holds the read end of a pipe from this Node process. When
 * Node goes away for any reason (normal exit, crash, SIGKILL) the pipe
 * closes and the watchdog SIGKILLs the whole group. A `process.on('exit')`
 * hook does the same immediately. This matters because Kamailio's child
 * processes do NOT die with the main process: SIGKILL on the main pid alone
 * leaves the workers running and holding the ports.
 *
 * Environment:
 * - `KAMAILIO_BIN` / `SIPP_BIN`: binaries (default: PATH, /usr/sbin, /usr/bin).
 * - `SIPSTATE_KAMAILIO_LOG=1`: copy Kamailio's output to this process's stderr.
 *
 * @module
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import {
  accessSync,
  constants as fsConstants,
  mkdtempSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** SIP domain (and digest realm) served by the test Kamailio. */
export const SIP_DOMAIN = 'sipstate.test' as const;

/** Absolute path of the Kamailio configuration used by every instance. */
export const KAMAILIO_CONFIG = fileURLToPath(new URL('../kamailio/kamailio.cfg', import.meta.url));

/** Directory holding the sipp scenarios (`test/sipp`). */
export const SIPP_SCENARIO_DIR = fileURLToPath(new URL('../sipp/', import.meta.url));

/** Regular users built into kamailio.cfg (user -> password). */
export const KAMAILIO_USERS: Readonly<Record<string, string>> = Object.freeze({
  alice: 'alice-secret',
  bob: 'bob-secret',
  carol: 'carol-secret',
  dave: 'dave-secret',
});

/** Password of every benchmark user `load0` .. `load9999`. */
export const LOAD_USER_PASSWORD = 'load-secret';

/**
 * Users wired to fault behaviour in kamailio.cfg (user -> password).
 * - `unavailable`: REGISTER (after auth) gets `503 Service Unavailable` + `Retry-After: 2`.
 * - `broken`: REGISTER (after auth) gets `500 Server Internal Error` + `Retry-After: 1`.
 * - `nobody`: REGISTER gets `404 Not Found` before any challenge (password irrelevant).
 * Any other user not in the table gets `403 Forbidden` without a challenge.
 */
export const FAULT_USERS: Readonly<Record<'unavailable' | 'broken' | 'nobody', string>> = Object.freeze({
  unavailable: 'unavailable-secret',
  broken: 'broken-secret',
  nobody: 'nobody-secret',
});

/** Credentials of benchmark user number `index` (0..9999). */
export function loadUser(index: number): { user: string; password: string; aor: string } {
  if (!Number.isInteger(index) || index < 0 || index > 9999)
    throw new RangeError(`load user index out of range: ${index}`);
  return { user: `load${index}`, password: LOAD_USER_PASSWORD, aor: `sip:load${index}@${SIP_DOMAIN}` };
}

/** Options for {@link startKamailio}. Every field is optional. */
export interface KamailioOptions {
  /** TCP port of the ws:// listener. Default: a free port. */
  wsPort?: number;
  /** UDP port for sipp. Default: a free port. */
  udpPort?: number;
  /** Registrations with 0 < expires < minExpires get 423 with `Min-Expires`. Default 4. */
  minExpires?: number;
  /** Longest expiry granted (longer requests are lowered). Default 3600. */
  maxExpires?: number;
  /**
   * Shared memory in MB (`-m`). Default: Kamailio's (64), enough for roughly
   * 3000 WebSocket connections (each has a 16 KB read buffer in shared
   * memory). Benchmarks with 6000 connections use 1024.
   */
  sharedMemoryMb?: number;
  /** Private memory per process in MB (`-M`). Default: Kamailio's (8). Benchmarks use 32. */
  pkgMemoryMb?: number;
  /** UDP worker processes. Default 2. */
  udpChildren?: number;
  /** TCP/WebSocket worker processes. Default 4. */
  tcpChildren?: number;
  /**
   * Challenge INVITE/MESSAGE from WS clients whose From is a local user with
   * 407 (digest). Default true. Anonymous From and loopback UDP are never challenged.
   */
  proxyAuth?: boolean;
  /** Kamailio `debug` level (1 NOTICE, 2 INFO, 3 DEBUG). Default 1. */
  debugLevel?: number;
  /** How long {@link KamailioServer.start} waits for readiness. Default 15000 ms. */
  startTimeoutMs?: number;
  /** Copy Kamailio's output to this process's stderr. Default: env `SIPSTATE_KAMAILIO_LOG=1`. */
  echo?: boolean;
  /** Start immediately (default true for {@link startKamailio}). */
  autoStart?: boolean;
}

/** One `SIPSTATE-REQ` line: a request received by Kamailio. */
export interface KamailioRequestLog {
  /** SIP method, e.g. `REGISTER`. */
  method: string;
  /** From user (`$fU`), '' when absent. For REGISTER this is the registering user. */
  user: string;
  /** To user (`$tU`), '' when absent. */
  to: string;
  /** Request-URI. */
  ruri: string;
  /** REGISTER only: the expiry asked for (Contact `expires` param, else Expires header), if any. */
  expires?: string;
  /** Transport: `ws`, `udp`, ... */
  proto: string;
  /** Source `ip:port`. */
  src: string;
  /** Call-ID. */
  callId: string;
  /** CSeq number. */
  cseq: string;
  /** `Date.now()` when the harness read the line. */
  at: number;
}

/**
 * One `SIPSTATE-RPL` line: a reply sent by Kamailio itself (`local`: its own
 * rejections, 401/407 challenges, registrar replies, 200 to OPTIONS pings,
 * 408 timeouts) or received from downstream and relayed (`relay`, includes
 * provisional ones such as 100/180). tm's automatic `100 Trying` is not logged.
 */
export interface KamailioReplyLog {
  code: number;
  /** Method of the request answered (from CSeq). */
  method: string;
  user: string;
  to: string;
  dir: 'local' | 'relay';
  /** Relayed replies only: who sent the reply (`ip:port`). */
  src?: string;
  /** Relayed replies only: transport it arrived on. */
  proto?: string;
  callId: string;
  cseq: string;
  at: number;
}

/** Filter for {@link KamailioServer.requests}; every given field must match exactly. */
export interface KamailioRequestFilter {
  method?: string;
  user?: string;
  to?: string;
  proto?: string;
  callId?: string;
}

/** Filter for {@link KamailioServer.replies}; every given field must match exactly. */
export interface KamailioReplyFilter {
  code?: number;
  method?: string;
  user?: string;
  to?: string;
  dir?: 'local' | 'relay';
  callId?: string;
}

/** A Kamailio instance on 127.0.0.1. Obtain one with {@link startKamailio}. */
export interface KamailioServer {
  /** `ws://127.0.0.1:PORT` (any path works; subprotocol `sip`). */
  readonly wsUrl: string;
  readonly wsPort: number;
  readonly udpPort: number;
  /** Always `sipstate.test`. */
  readonly domain: typeof SIP_DOMAIN;
  /** alice, bob, carol, dave -> password. See also {@link loadUser} and {@link FAULT_USERS}. */
  readonly users: Readonly<Record<string, string>>;
  /** The MIN_EXPIRES this instance runs with. */
  readonly minExpires: number;
  /** Main Kamailio pid while running, else undefined. */
  readonly pid: number | undefined;
  /** True between a successful start() and stop()/kill() or an unexpected exit. */
  readonly running: boolean;
  /** The argv Kamailio was (last) started with, binary first. */
  readonly commandLine: readonly string[];
  /** Recent Kamailio output (stdout + stderr, last ~256 KB), for debugging failures. */
  readonly output: string;
  /**
   * Spawn `kamailio -DD -E ...` and resolve once the WS port accepts TCP
   * connections and an OPTIONS over UDP gets 200. Rejects (with the output)
   * if Kamailio exits or is not ready in time. No-op when already running.
   */
  start(): Promise<void>;
  /** SIGTERM, wait for every process of the instance to exit (SIGKILL after 5 s). Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL the whole instance (crash simulation) and wait until it is gone. Idempotent. */
  kill(): Promise<void>;
  /** stop() if running, then start() again on the same ports. Registrations are lost (in-memory usrloc). */
  restart(): Promise<void>;
  /** Requests received so far (since start or the last clearRequests()), oldest first. */
  requests(filter?: KamailioRequestFilter): KamailioRequestLog[];
  /** Replies sent or relayed so far (since start or the last clearRequests()), oldest first. */
  replies(filter?: KamailioReplyFilter): KamailioReplyLog[];
  /** Forget the request and reply logs. */
  clearRequests(): void;
  /** Resolve with the matching requests once at least `count` were logged; reject after `timeoutMs` (default 5000). */
  waitForRequests(filter: KamailioRequestFilter, count?: number, timeoutMs?: number): Promise<KamailioRequestLog[]>;
  /** Resolve with the matching replies once at least `count` were logged; reject after `timeoutMs` (default 5000). */
  waitForReplies(filter: KamailioReplyFilter, count?: number, timeoutMs?: number): Promise<KamailioReplyLog[]>;
  /**
   * Runs one `kamcmd` command on this instance's control socket (ctl module, binrpc, in its runtime dir) and resolves
   * with its output, e.g. `rpc('ul.lookup', 'location', 'alice@sipstate.test')`. Rejects when kamcmd fails.
   */
  rpc(...command: string[]): Promise<string>;
  /**
   * Sets `user`'s password at run time (the cfg's "passwords" htable, which wins over its built-in table): the next
   * challenge of that user is checked against it. User `rotating` starts with `rotating-v1`.
   */
  setPassword(user: string, password: string): Promise<void>;
}

const HOST = '127.0.0.1';
const PROBE_CALL_ID_PREFIX = 'sipstate-harness-probe-';
const OUTPUT_LIMIT = 256 * 1024;
const LOG_LIMIT = 200_000;
const SETUP_HINT =
  'run scripts/setup.sh (it installs kamailio, kamailio-websocket-modules, sip-tester and chromium with apt-get)';

/**
 * Shell prologue that makes Kamailio die with this Node process. Run as
 * `sh -c WATCHDOG sh kamailio args...` in a new process group (detached):
 * a background subshell blocks reading our stdin pipe; EOF (we closed it or
 * died) makes it SIGKILL the group. `exec` keeps the group leader's pid equal
 * to Kamailio's main pid. The watchdog is double-forked so that it is not a
 * child of Kamailio: Kamailio's main process waits for all its children on
 * shutdown and would otherwise hang until killed.
 */
const WATCHDOG = 'exec 3<&0; ( (read line <&3; kill -s KILL -- -$$ 2>/dev/null) & ); exec "$@" </dev/null 3<&-';

function findBinary(name: string, envVar: string, extraDirs: string[]): string | undefined {
  const fromEnv = process.env[envVar];
  const candidates: string[] = [];
  if (fromEnv) candidates.push(fromEnv);
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), ...extraDirs]) {
    if (dir) candidates.push(join(dir, name));
  }
  for (const candidate of candidates) {
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

/** Path of the kamailio binary; throws with setup instructions when it is missing. */
export function kamailioBinary(): string {
  const bin = findBinary('kamailio', 'KAMAILIO_BIN', ['/usr/sbin', '/usr/local/sbin', '/usr/bin']);
  if (!bin) throw new Error(`kamailio is not installed (not found in PATH, /usr/sbin or $KAMAILIO_BIN): ${SETUP_HINT}`);
  return bin;
}

/** Path of the sipp binary; throws with setup instructions when it is missing. */
export function sippBinary(): string {
  const bin = findBinary('sipp', 'SIPP_BIN', ['/usr/bin', '/usr/local/bin']);
  if (!bin) throw new Error(`sipp is not installed (not found in PATH or $SIPP_BIN): ${SETUP_HINT}`);
  return bin;
}

function listenTcp(port: number): Promise<import('node:net').Server | undefined> {
  return new Promise((resolvePromise) => {
    const server = createServer();
    server.once('error', () => resolvePromise(undefined));
    server.listen({ port, host: HOST, exclusive: true }, () => resolvePromise(server));
  });
}

function bindUdp(port: number): Promise<import('node:dgram').Socket | undefined> {
  return new Promise((resolvePromise) => {
    const socket = createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolvePromise(undefined);
    });
    socket.bind({ port, address: HOST, exclusive: true }, () => resolvePromise(socket));
  });
}

/**
 * A port on 127.0.0.1 that is free for both TCP and UDP right now (the OS
 * picks it, so parallel test files rarely collide; {@link startKamailio}
 * retries with new ports if one was taken in between).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const tcp = await listenTcp(0);
    if (!tcp) continue;
    const port = (tcp.address() as import('node:net').AddressInfo).port;
    const udp = await bindUdp(port);
    await new Promise<void>((r) => tcp.close(() => r()));
    if (udp) {
      await new Promise<void>((r) => udp.close(() => r()));
      return port;
    }
  }
  throw new Error('could not find a free loopback port');
}

/** Pids of live (non-zombie) processes in process group `pgid` (Linux /proc). */
function groupMembers(pgid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const members: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid pgrp ...; comm may contain spaces/parens.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') members.push(Number(entry));
    } catch {
      // process vanished meanwhile
    }
  }
  return members;
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // group already gone
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Live instances (process groups), SIGKILLed synchronously if this process exits. */
const liveGroups = new Set<number>();
/** Runtime dirs not yet removed by stop(), removed on exit. */
const liveRunDirs = new Set<string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pgid of liveGroups) killGroup(pgid, 'SIGKILL');
    for (const dir of liveRunDirs) {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // best effort
      }
    }
  });
}

/** Parse `key=value key=value` (values contain no spaces; split on the first '='). */
function parseFields(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const token of text.trim().split(/\s+/)) {
    const eq = token.indexOf('=');
    if (eq <= 0) continue;
    const value = token.slice(eq + 1);
    fields[token.slice(0, eq)] = value === '<null>' ? '' : value;
  }
  return fields;
}

function matches<T extends object>(entry: T, filter: object | undefined): boolean {
  if (!filter) return true;
  for (const [key, value] of Object.entries(filter)) {
    if (value !== undefined && (entry as Record<string, unknown>)[key] !== value) return false;
  }
  return true;
}

class KamailioInstance implements KamailioServer {
  readonly domain = SIP_DOMAIN;
  readonly users = KAMAILIO_USERS;
  readonly minExpires: number;
  wsPort: number;
  udpPort: number;

  private child: ChildProcess | undefined;
  /** Process group of the current/last run, until it is verified gone. */
  private pgid: number | undefined;
  private exited: Promise<void> | undefined;
  private runDir: string | undefined;
  private outputText = '';
  private lineBuffer = { stdout: '', stderr: '' };
  private requestLog: KamailioRequestLog[] = [];
  private replyLog: KamailioReplyLog[] = [];
  private waiters = new Set<() => void>();
  private lastArgs: string[] = [];
  private starting: Promise<void> | undefined;
  private readonly echo: boolean;
  private readonly portsChosen: boolean;
  /** Set after the first successful start: later starts keep their ports. */
  private everStarted = false;

  constructor(
    private readonly options: KamailioOptions,
    wsPort: number,
    udpPort: number,
  ) {
    this.wsPort = wsPort;
    this.udpPort = udpPort;
    this.minExpires = options.minExpires ?? 4;
    this.echo = options.echo ?? process.env.SIPSTATE_KAMAILIO_LOG === '1';
    this.portsChosen = options.wsPort === undefined && options.udpPort === undefined;
  }

  get wsUrl(): string {
    return `ws://${HOST}:${this.wsPort}`;
  }
  get pid(): number | undefined {
    return this.child?.pid;
  }
  get running(): boolean {
    return this.child !== undefined && this.starting === undefined;
  }
  get commandLine(): readonly string[] {
    return this.lastArgs;
  }
  get output(): string {
    return this.outputText;
  }

  requests(filter?: KamailioRequestFilter): KamailioRequestLog[] {
    return this.requestLog.filter((r) => matches(r, filter));
  }
  replies(filter?: KamailioReplyFilter): KamailioReplyLog[] {
    return this.replyLog.filter((r) => matches(r, filter));
  }
  clearRequests(): void {
    this.requestLog = [];
    this.replyLog = [];
  }

  waitForRequests(filter: KamailioRequestFilter, count = 1, timeoutMs = 5000): Promise<KamailioRequestLog[]> {
    return this.waitFor(() => this.requests(filter), count, timeoutMs, `${count} request(s) ${JSON.stringify(filter)}`);
  }
  waitForReplies(filter: KamailioReplyFilter, count = 1, timeoutMs = 5000): Promise<KamailioReplyLog[]> {
    return this.waitFor(() => this.replies(filter), count, timeoutMs, `${count} reply(ies) ${JSON.stringify(filter)}`);
  }

  private waitFor<T>(get: () => T[], count: number, timeoutMs: number, what: string): Promise<T[]> {
    return new Promise((resolvePromise, reject) => {
      const check = () => {
        const found = get();
        if (found.length < count) return false;
        cleanup();
        resolvePromise(found);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${what}; got ${get().length}.\n--- kamailio output (tail) ---\n${this.outputText.slice(-4000)}`,
          ),
        );
      }, timeoutMs);
      const waiter = () => void check();
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      this.waiters.add(waiter);
      check();
    });
  }

  async start(): Promise<void> {
    if (this.child) return;
    if (this.starting) return this.starting;
    this.starting = this.startWithRetry().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async startWithRetry(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.startOnce();
        return;
      } catch (error) {
        // Auto-picked ports can be grabbed by someone else between freePort()
        // and Kamailio's bind: pick new ones (first start only).
        const inUse = /Address already in use|bind.*failed|cannot bind/i.test(String((error as Error).message));
        if (!inUse || !this.portsChosen || attempt >= 5 || this.everStarted) throw error;
        this.wsPort = await freePort();
        do this.udpPort = await freePort();
        while (this.udpPort === this.wsPort);
      }
    }
  }

  private buildArgs(bin: string, runDir: string): string[] {
    const o = this.options;
    const args = [
      bin,
      '-DD', // stay in the foreground (children are still forked)
      '-E', // log to stderr
      '-f',
      KAMAILIO_CONFIG,
      '-Y',
      runDir, // runtime dir: per instance, never /run/kamailio
      '-P',
      join(runDir, 'kamailio.pid'),
      '-w',
      runDir, // working dir (core files)
      '-A',
      `WS_PORT=${this.wsPort}`,
      '-A',
      `UDP_PORT=${this.udpPort}`,
      '-A',
      `MIN_EXPIRES=${this.minExpires}`,
      // kamcmd's socket, in the runtime dir (a quoted string: defines are not expanded inside the cfg's strings).
      '-A',
      `CTL_SOCKET="unix:${join(runDir, 'ctl')}"`,
    ];
    if (o.maxExpires !== undefined) args.push('-A', `MAX_EXPIRES=${o.maxExpires}`);
    if (o.udpChildren !== undefined) args.push('-A', `UDP_CHILDREN=${o.udpChildren}`);
    if (o.tcpChildren !== undefined) args.push('-A', `TCP_CHILDREN=${o.tcpChildren}`);
    if (o.debugLevel !== undefined) args.push('-A', `DEBUG_LEVEL=${o.debugLevel}`);
    if (o.proxyAuth === false) args.push('-A', 'NO_PROXY_AUTH');
    if (o.sharedMemoryMb !== undefined) args.push('-m', String(o.sharedMemoryMb));
    if (o.pkgMemoryMb !== undefined) args.push('-M', String(o.pkgMemoryMb));
    return args;
  }

  private async startOnce(): Promise<void> {
    const bin = kamailioBinary();
    installExitHook();
    // Leftovers of a run that ended on its own (crash): make sure they are gone.
    await this.terminate('SIGKILL');
    if (!this.runDir) {
      this.runDir = mkdtempSync(join(tmpdir(), 'sipstate-kamailio-'));
      liveRunDirs.add(this.runDir);
    }
    mkdirSync(this.runDir, { recursive: true });
    const args = this.buildArgs(bin, this.runDir);
    this.lastArgs = args;
    this.lineBuffer = { stdout: '', stderr: '' };
    this.appendOutput(`\n[harness] starting: ${args.join(' ')}\n`);

    const child = spawn('/bin/sh', ['-c', WATCHDOG, 'sh', ...args], {
      detached: true, // own process group (pgid = pid) so the whole instance can be signalled
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not spawn ${bin}`);
    liveGroups.add(pid);
    this.child = child;
    this.pgid = pid;
    child.stdin!.on('error', () => {});
    child.stdout!.setEncoding('utf8').on('data', (d: string) => this.onData('stdout', d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => this.onData('stderr', d));
    // Do not keep the event loop alive just for Kamailio: if the test
    // forgets stop(), Node exits and the exit hook / watchdog kill it.
    child.unref();
    (child.stdin as unknown as { unref?: () => void }).unref?.();
    (child.stdout as unknown as { unref?: () => void }).unref?.();
    (child.stderr as unknown as { unref?: () => void }).unref?.();

    let exitInfo: string | undefined;
    this.exited = new Promise<void>((resolveExit) => {
      child.once('exit', (code, signal) => {
        exitInfo = `exit code ${code}, signal ${signal}`;
        this.appendOutput(`[harness] kamailio ${pid} exited (${exitInfo})\n`);
        if (this.child === child) this.child = undefined;
        // Kamailio's workers outlive a main process that died: kill the rest
        // of the group (and the watchdog) whatever the reason for the exit.
        killGroup(pid, 'SIGKILL');
        resolveExit();
      });
    });
    child.once('error', (error) => this.appendOutput(`[harness] spawn error: ${error.message}\n`));

    const deadline = Date.now() + (this.options.startTimeoutMs ?? 15_000);
    try {
      await this.waitReady(() => exitInfo, deadline);
    } catch (error) {
      await this.terminate('SIGKILL');
      const out = this.outputText.slice(-6000);
      let hint = '';
      if (/load_module|could not find module|cannot open shared object/i.test(out)) {
        hint = `\nA Kamailio module is missing (websocket/xhttp come from kamailio-websocket-modules): ${SETUP_HINT}`;
      }
      throw new Error(
        `kamailio did not start: ${(error as Error).message}${hint}\ncommand: ${args.join(' ')}\n--- kamailio output (tail) ---\n${out}`,
      );
    }
    this.everStarted = true;
  }

  /** TCP connect to the WS port, then an OPTIONS over UDP answered 200 by our config. */
  private async waitReady(exitInfo: () => string | undefined, deadline: number): Promise<void> {
    const alive = () => {
      const info = exitInfo();
      if (info) throw new Error(`kamailio exited during startup (${info})`);
    };
    for (;;) {
      alive();
      if (Date.now() > deadline) throw new Error('timed out waiting for the WS port');
      if (await tcpAccepts(this.wsPort)) break;
      await sleep(50);
    }
    for (;;) {
      alive();
      if (Date.now() > deadline) throw new Error('timed out waiting for a 200 to OPTIONS over UDP');
      if (await udpOptionsOk(this.udpPort)) break;
      await sleep(50);
    }
    alive();
  }

  private onData(stream: 'stdout' | 'stderr', data: string): void {
    if (this.echo) process.stderr.write(data);
    this.appendOutput(data);
    const text = this.lineBuffer[stream] + data;
    const lines = text.split('\n');
    this.lineBuffer[stream] = lines.pop() ?? '';
    let changed = false;
    for (const line of lines) changed = this.parseLine(line) || changed;
    if (changed) for (const waiter of [...this.waiters]) waiter();
  }

  private parseLine(line: string): boolean {
    const now = Date.now();
    let index = line.indexOf('SIPSTATE-REQ ');
    if (index >= 0) {
      const f = parseFields(line.slice(index + 'SIPSTATE-REQ '.length));
      if ((f.callid ?? '').startsWith(PROBE_CALL_ID_PREFIX)) return false;
      this.requestLog.push({
        method: f.method ?? '',
        user: f.user ?? '',
        to: f.to ?? '',
        ruri: f.ruri ?? '',
        ...(f.expires ? { expires: f.expires } : {}),
        proto: f.proto ?? '',
        src: f.src ?? '',
        callId: f.callid ?? '',
        cseq: f.cseq ?? '',
        at: now,
      });
      if (this.requestLog.length > LOG_LIMIT) this.requestLog.splice(0, this.requestLog.length - LOG_LIMIT);
      return true;
    }
    index = line.indexOf('SIPSTATE-RPL ');
    if (index >= 0) {
      const f = parseFields(line.slice(index + 'SIPSTATE-RPL '.length));
      if ((f.callid ?? '').startsWith(PROBE_CALL_ID_PREFIX)) return false;
      this.replyLog.push({
        code: Number(f.code),
        method: f.method ?? '',
        user: f.user ?? '',
        to: f.to ?? '',
        dir: f.dir === 'relay' ? 'relay' : 'local',
        ...(f.src !== undefined ? { src: f.src } : {}),
        ...(f.proto !== undefined ? { proto: f.proto } : {}),
        callId: f.callid ?? '',
        cseq: f.cseq ?? '',
        at: now,
      });
      if (this.replyLog.length > LOG_LIMIT) this.replyLog.splice(0, this.replyLog.length - LOG_LIMIT);
      return true;
    }
    return false;
  }

  private appendOutput(text: string): void {
    this.outputText += text;
    if (this.outputText.length > OUTPUT_LIMIT * 2) this.outputText = this.outputText.slice(-OUTPUT_LIMIT);
  }

  /**
   * Signal the instance and wait until every process of its group is gone
   * (so the ports are free). SIGTERM goes to the main process, which stops
   * its children itself; anything left after `graceMs`, and always the
   * watchdog and any orphaned worker, gets SIGKILL. No-op when nothing is left.
   */
  private async terminate(signal: 'SIGTERM' | 'SIGKILL', graceMs = 5000): Promise<void> {
    const pgid = this.pgid;
    if (pgid === undefined) return;
    const child = this.child;
    // The child is unref'd: keep the event loop alive until it is gone.
    const keepAlive = setInterval(() => {}, 1000);
    try {
      if (child && signal === 'SIGTERM') {
        try {
          process.kill(pgid, 'SIGTERM');
        } catch {
          // already gone
        }
        let timer: NodeJS.Timeout | undefined;
        const timedOut = await Promise.race([
          this.exited!.then(() => false),
          new Promise<boolean>((r) => {
            timer = setTimeout(() => r(true), graceMs);
          }),
        ]);
        clearTimeout(timer);
        if (timedOut) this.appendOutput('[harness] SIGTERM grace period over, sending SIGKILL\n');
      }
      killGroup(pgid, 'SIGKILL');
      child?.stdin?.destroy();
      await this.exited;
      const deadline = Date.now() + 5000;
      while (groupMembers(pgid).length > 0) {
        if (Date.now() > deadline) {
          throw new Error(
            `kamailio processes of group ${pgid} still alive after SIGKILL: ${groupMembers(pgid).join(', ')}`,
          );
        }
        killGroup(pgid, 'SIGKILL');
        await sleep(20);
      }
      liveGroups.delete(pgid);
      if (this.pgid === pgid) this.pgid = undefined;
      if (this.child === child) this.child = undefined;
    } finally {
      clearInterval(keepAlive);
    }
  }

  rpc(...command: string[]): Promise<string> {
    const runDir = this.runDir;
    if (!runDir || !this.child) return Promise.reject(new Error('kamailio is not running'));
    const bin = findBinary('kamcmd', 'KAMCMD_BIN', ['/usr/sbin', '/usr/bin']);
    if (!bin) return Promise.reject(new Error(`kamcmd not found; ${SETUP_HINT}`));
    return new Promise((resolvePromise, reject) => {
      execFile(bin, ['-s', `unix:${join(runDir, 'ctl')}`, ...command], { timeout: 5_000 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`kamcmd ${command.join(' ')} failed: ${error.message}\n${stderr}`));
        else resolvePromise(stdout);
      });
    });
  }

  async setPassword(user: string, password: string): Promise<void> {
    await this.rpc('htable.sets', 'passwords', user, password);
  }

  async stop(): Promise<void> {
    await this.starting?.catch(() => {});
    await this.terminate('SIGTERM');
    this.cleanupRunDir();
  }

  async kill(): Promise<void> {
    await this.starting?.catch(() => {});
    await this.terminate('SIGKILL');
  }

  async restart(): Promise<void> {
    await this.starting?.catch(() => {});
    await this.terminate('SIGTERM');
    await this.start();
  }

  /** Remove the runtime dir (pid file); kept across kill()/restart(), removed by stop(). */
  private cleanupRunDir(): void {
    if (this.runDir && !this.child) {
      rmSync(this.runDir, { recursive: true, force: true });
      liveRunDirs.delete(this.runDir);
      this.runDir = undefined;
    }
  }
}

function tcpAccepts(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = createConnection({ port, host: HOST });
    const done = (ok: boolean) => {
      socket.destroy();
      resolvePromise(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Send OPTIONS sip:127.0.0.1:port over UDP; true on a 200 carrying our Server header. */
function udpOptionsOk(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = createSocket('udp4');
    const callId = `${PROBE_CALL_ID_PREFIX}${process.pid}-${Math.random().toString(36).slice(2)}`;
    let settled = false;
    const done = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.close();
      resolvePromise(ok);
    };
    const timer = setTimeout(() => done(false), 500);
    socket.on('error', () => done(false));
    socket.on('message', (msg) => {
      const text = msg.toString('utf8');
      if (text.includes(callId)) done(/^SIP\/2\.0 200 /.test(text) && /sipstate-test-kamailio/.test(text));
    });
    socket.bind({ port: 0, address: HOST }, () => {
      const local = socket.address().port;
      const branch = `z9hG4bK${Math.random().toString(36).slice(2)}`;
      const request = [
        `OPTIONS sip:${HOST}:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP ${HOST}:${local};branch=${branch};rport`,
        'Max-Forwards: 70',
        `From: <sip:harness@${HOST}>;tag=${Math.random().toString(36).slice(2)}`,
        `To: <sip:${HOST}:${port}>`,
        `Call-ID: ${callId}`,
        'CSeq: 1 OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      socket.send(request, port, HOST, (error) => {
        if (error) done(false);
      });
    });
  });
}

/**
 * Create a Kamailio instance on 127.0.0.1 (free ports unless given) and,
 * unless `autoStart: false`, start it.
 */
export async function startKamailio(options: KamailioOptions = {}): Promise<KamailioServer> {
  const wsPort = options.wsPort ?? (await freePort());
  let udpPort = options.udpPort ?? (await freePort());
  while (udpPort === wsPort && options.udpPort === undefined) udpPort = await freePort();
  const server = new KamailioInstance(options, wsPort, udpPort);
  if (options.autoStart !== false) await server.start();
  return server;
}

// ---------------------------------------------------------------------------
// sipp runner
// ---------------------------------------------------------------------------

/** A SIP message sent or received by sipp, from its `-message_file`. */
export interface SippMessage {
  direction: 'sent' | 'received';
  /** Start line, e.g. `SIP/2.0 200 OK` or `REGISTER sip:sipstate.test SIP/2.0`. */
  startLine: string;
  /** Status code for responses. */
  status?: number;
  /** Header name (lower-case) -> values in order. */
  headers: Record<string, string[]>;
  raw: string;
}

/** Options for {@link runSipp}. */
export interface SippOptions {
  /** Server to talk to (its UDP port), or an explicit UDP port on 127.0.0.1. */
  target: Pick<KamailioServer, 'udpPort'> | number;
  /** Scenario file: absolute, or a name in test/sipp (e.g. `register.xml`). */
  scenario: string;
  /** `-s` (user in [service]; also the auth user unless `authUser`). */
  service?: string;
  /** `-au`. */
  authUser?: string;
  /** `-ap`. */
  password?: string;
  /** Local UDP port (`-p`). Default: a free port (use the same one to reach the same Contact binding). */
  localPort?: number;
  /** `-key name value` pairs, usable as [name] in the scenario. */
  keys?: Record<string, string | number>;
  /** Number of calls (`-m`). Default 1. */
  calls?: number;
  /** Global sipp timeout in seconds (`-timeout`, fails the run). Default 10. */
  timeoutSeconds?: number;
  /** Extra raw arguments. */
  extraArgs?: string[];
}

/** Result of {@link runSipp}. */
export interface SippResult {
  /** sipp exit code: 0 all calls succeeded, 1 some failed, other = fatal. */
  exitCode: number | null;
  args: string[];
  stdout: string;
  stderr: string;
  /** Everything sipp sent and received, in order. */
  messages: SippMessage[];
  /** Received responses only. */
  responses: SippMessage[];
  /** Content of sipp's error trace (unexpected messages), if any. */
  errors: string;
}

function parseSippMessages(text: string): SippMessage[] {
  const messages: SippMessage[] = [];
  // Blocks start with a dashed line + timestamp, then "UDP message sent (N bytes):"
  // or "UDP message received [N] bytes :", a blank line, then the message.
  const blocks = text.split(/^-{10,}.*$/m);
  for (const block of blocks) {
    const m = /^\s*\w+ message (sent|received)[^\n]*\n\n?([\s\S]*)$/.exec(block);
    if (!m) continue;
    const raw = (m[2] ?? '').replace(/\r/g, '').trim();
    if (!raw) continue;
    const [startLine = '', ...rest] = raw.split('\n');
    const headers: Record<string, string[]> = {};
    for (const line of rest) {
      if (line.trim() === '') break;
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      headers[name] ??= [];
      headers[name].push(line.slice(colon + 1).trim());
    }
    const status = /^SIP\/2\.0 (\d{3})/.exec(startLine);
    messages.push({
      direction: m[1] === 'sent' ? 'sent' : 'received',
      startLine: startLine.trim(),
      ...(status ? { status: Number(status[1]) } : {}),
      headers,
      raw,
    });
  }
  return messages;
}

/**
 * Run sipp once against 127.0.0.1 (UDP) with a scenario, bounded by `-m`,
 * `-l 1` and `-timeout`, and return its exit code and the SIP messages it
 * exchanged. Files sipp writes go to a temp dir that is removed afterwards.
 */
export async function runSipp(options: SippOptions): Promise<SippResult> {
  const bin = sippBinary();
  const dir = mkdtempSync(join(tmpdir(), 'sipstate-sipp-'));
  const scenario = isAbsolute(options.scenario) ? options.scenario : resolve(SIPP_SCENARIO_DIR, options.scenario);
  const port = typeof options.target === 'number' ? options.target : options.target.udpPort;
  const localPort = options.localPort ?? (await freePort());
  const messageFile = join(dir, 'messages.log');
  const errorFile = join(dir, 'errors.log');
  const timeout = options.timeoutSeconds ?? 10;
  const args = [
    `${HOST}:${port}`,
    '-sf',
    scenario,
    '-i',
    HOST,
    '-p',
    String(localPort), // explicit: sipp would otherwise try 5060 first
    '-t',
    'u1',
    '-m',
    String(options.calls ?? 1),
    '-l',
    '1',
    '-timeout',
    `${timeout}s`,
    '-timeout_error',
    '-nostdin',
    '-trace_msg',
    '-message_file',
    messageFile,
    '-trace_err',
    '-error_file',
    errorFile,
  ];
  if (options.service !== undefined) args.push('-s', options.service);
  if (options.authUser !== undefined) args.push('-au', options.authUser);
  if (options.password !== undefined) args.push('-ap', options.password);
  for (const [name, value] of Object.entries(options.keys ?? {})) args.push('-key', name, String(value));
  args.push(...(options.extraArgs ?? []));

  const child = spawn(bin, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout = (stdout + d).slice(-64 * 1024);
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-64 * 1024);
  });
  // sipp's own -timeout should end it; this is the backstop.
  const killer = setTimeout(() => child.kill('SIGKILL'), (timeout + 5) * 1000);
  const exitCode = await new Promise<number | null>((r) => {
    child.once('exit', (code) => r(code));
    child.once('error', (error) => {
      stderr += String(error);
      r(null);
    });
  });
  clearTimeout(killer);
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return '';
    }
  };
  const messages = parseSippMessages(read(messageFile));
  const errors = read(errorFile);
  rmSync(dir, { recursive: true, force: true });
  return {
    exitCode,
    args: [bin, ...args],
    stdout,
    stderr,
    messages,
    responses: messages.filter((m) => m.direction === 'received' && m.status !== undefined),
    errors,
  };
}
