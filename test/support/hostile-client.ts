/**
 * sipstate clients for the hostile-peer suite: a client of the scripted server (test/support/hostile-server.ts) with
 * its log captured, every one disposed by {@link disposeClients}.
 */
import WebSocket from 'ws';
import { createSipClient, type SipClient, type SipClientOptions } from '../../src/index';
import type { SipLogLevel } from '../../src/logger';
import { HOSTILE_DOMAIN, type HostileServer } from './hostile-server';

/** One line the client logged. */
export interface LogLine {
  level: SipLogLevel;
  line: string;
}

/** A client and what it logged (at most `MAX_LOG_LINES` lines are kept; `logCount` counts them all). */
export interface AttackedClient {
  client: SipClient;
  logs: LogLine[];
  readonly logCount: number;
}

const MAX_LOG_LINES = 20_000;
const live = new Set<SipClient>();

/**
 * A client of `server` as `sip:alice@hostile.test` (signaling-only media, `ws`, logging at 'warn' into `logs`), with
 * `options` on top. Options the code under test may not know yet can be passed: the object is handed over as it is.
 */
export function attackedClient(
  server: HostileServer,
  options: Partial<SipClientOptions> & Record<string, unknown> = {},
): AttackedClient {
  const logs: LogLine[] = [];
  let logCount = 0;
  const keep = (level: SipLogLevel) => (line: string) => {
    logCount++;
    if (logs.length < MAX_LOG_LINES) logs.push({ level, line });
  };
  const client = createSipClient({
    server: server.url,
    uri: `sip:alice@${HOSTILE_DOMAIN}`,
    webSocket: WebSocket,
    logLevel: 'warn',
    logger: { debug: keep('debug'), log: keep('log'), warn: keep('warn'), error: keep('error') },
    ...options,
    calls: { media: 'signaling', ...(options.calls as object | undefined) },
  } as SipClientOptions);
  live.add(client);
  return {
    client,
    logs,
    get logCount() {
      return logCount;
    },
  };
}

/** Disposes every client made by {@link attackedClient} and not disposed yet. */
export function disposeClients(): void {
  for (const client of live) client.dispose();
  live.clear();
}
