/**
 * Reading the command line: options (a password argument refused), servers, the address of record, seconds; the
 * WebSocket and client modules, loaded only by the commands that connect; the password from the environment or a
 * hidden prompt.
 *
 * @example
 * ```ts
 * const { values } = parse('watch', args, { server: { type: 'string', multiple: true } });
 * const servers = serversOf(values);
 * ```
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { redactUrl } from '../redact';
import type { WebSocketConstructor } from '../sip/websocket-transport';
import type { HELP } from './help';
import { err, UsageError } from './io';

export function parse(
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
    throw new UsageError(
      `${command}: ${String((error as Error).message).replace(/\. To specify a positional.*$/s, '.')}`,
    );
  }
}

export function requireString(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

export function serversOf(values: Record<string, unknown>): string[] {
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

export function uriOf(values: Record<string, unknown>): { uri: string; user: string } {
  const uri = requireString(values, 'uri');
  const match = /^sips?:([^@;:]+)@[^@]+$/.exec(uri);
  if (!match) throw new UsageError(`--uri must be a SIP URI such as sip:alice@example.com, got ${JSON.stringify(uri)}`);
  const user = typeof values.user === 'string' && values.user !== '' ? values.user : decodeURIComponent(match[1]!);
  return { uri, user };
}

export function secondsOf(values: Record<string, unknown>, name: string, fallback: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new UsageError(`--${name} must be a positive whole number of seconds, got ${JSON.stringify(raw)}`);
  return value;
}

/** The client (and sip.js under it) loads only for the commands that connect: help and diagram stay quick. */
export async function loadClient(): Promise<typeof import('../client').createSipClient> {
  return (await import('../client')).createSipClient;
}

export async function loadWebSocket(): Promise<WebSocketConstructor> {
  try {
    const module = (await import('ws')) as { default?: unknown; WebSocket?: unknown };
    return (module.WebSocket ?? module.default) as WebSocketConstructor;
  } catch {
    throw new UsageError("the sipstate CLI needs the 'ws' package next to it: npm install ws");
  }
}

/** SIPSTATE_PASSWORD, else a prompt without echo on a terminal, else none. */
export async function readPassword(user: string): Promise<string | undefined> {
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
