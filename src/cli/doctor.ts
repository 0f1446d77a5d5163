/**
 * `sipstate doctor`: checks a SIP WebSocket server step by step. TLS, the subprotocol and keep-alive are seen on a raw
 * WebSocket (probe.ts); authentication, expiry, re-registration and unregistration with a real client, judged from
 * the SIP messages of its `sipTrace$` and its state.
 *
 * @example
 * ```ts
 * process.exitCode = await doctor(['--server', 'wss://sip.example.com', '--uri', 'sip:alice@example.com']);
 * ```
 */
import type { SipClient } from '../client';
import { SipError } from '../errors';
import { redactUrl } from '../redact';
import type { SipTraceEntry } from '../sip/trace';
import { loadClient, loadWebSocket, parse, readPassword, secondsOf, serversOf, uriOf } from './args';
import { errorText, expiresOf, terminalText } from './format';
import { HELP } from './help';
import { EXIT_OK, EXIT_PROBLEM, out, pad } from './io';
import { probeWebSocket } from './probe';

type Verdict = 'ok' | 'FAIL' | 'warn' | 'skip';

export async function doctor(args: string[]): Promise<number> {
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
      report(
        'subprotocol',
        'FAIL',
        `the server did not accept the WebSocket subprotocol 'sip' (${terminalText(raw.error)})`,
      );
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
  else
    report(
      'subprotocol',
      'FAIL',
      `server answered subprotocol ${terminalText(JSON.stringify(raw.protocol))}, not 'sip'`,
    );
  if (raw.pongMs !== undefined)
    report('keep-alive', 'ok', `CRLF ping answered with a CRLF pong in ${raw.pongMs} ms (RFC 5626)`);
  else {
    report(
      'keep-alive',
      'FAIL',
      `no CRLF pong within ${timeoutMs / 1000} s: sipstate would drop the connection; set keepAliveIntervalSec: 0 for this server`,
    );
  }

  // 4-7: a real sipstate client.
  // What was said on the wire, from client.sipTrace$: the checks below judge these entries, not log text.
  const trace: SipTraceEntry[] = [];
  const client = createSipClient({
    server,
    uri,
    authorizationUsername: user,
    ...(password !== undefined && { authorizationPassword: password }),
    expires,
    webSocket: WebSocket,
    logLevel: 'silent',
    reconnect: false,
  });
  client.sipTrace$.subscribe((entry) => trace.push(entry));
  const registers = (direction: SipTraceEntry['direction']): SipTraceEntry[] =>
    trace.filter((entry) => entry.direction === direction && isRegister(entry));
  try {
    const registered = await withTimeout(client.register(), timeoutMs * 2, 'no final answer to REGISTER');
    const challenged = registers('received').some(({ status }) => status === 401 || status === 407);
    if (registered !== 'ok') {
      const error = registered;
      if (error.kind === 'auth') {
        report(
          'auth',
          'FAIL',
          `rejected after digest (${terminalText(`${error.code ?? ''} ${error.reason ?? ''}`.trim())}): wrong user name or password`,
        );
      } else report('register', 'FAIL', errorText(error));
      return finish(client, failures, report);
    }
    report(
      'auth',
      'ok',
      challenged ? 'digest challenge answered and accepted' : 'the server registered us without a challenge',
    );
    const state = client.getState().registration;
    const granted = state.status === 'registered' ? state.expires : 0;
    const raised = registers('received').some(({ status }) => status === 423);
    report('register', 'ok', `registered (${registers('sent').length} REGISTER sent)`);
    report(
      'expires',
      granted > 0 ? 'ok' : 'FAIL',
      `${granted} s granted for ${expires} s asked${raised ? ' (raised after 423 Interval Too Brief)' : ''}`,
    );

    // Re-registration: the refresh goes out at 80-90% of the granted expiry.
    if (granted * 1000 > maxWaitMs) {
      report(
        're-register',
        'skip',
        `granted ${granted} s: the refresh would come after ~${Math.round(granted * 0.85)} s (raise --max-wait or lower --expires)`,
      );
    } else {
      const firstExpiresAt = state.status === 'registered' ? state.expiresAt : 0;
      const refreshed = await waitFor(
        client,
        (s) => s.registration.status === 'registered' && s.registration.expiresAt > firstExpiresAt,
        granted * 1000 + timeoutMs,
      );
      const now = client.getState().registration;
      if (refreshed)
        report(
          're-register',
          'ok',
          `refreshed before the binding lapsed (${now.status === 'registered' ? now.expires : 0} s granted again)`,
        );
      else
        report(
          're-register',
          'FAIL',
          `no successful refresh within ${granted} s + ${timeoutMs / 1000} s (now ${client.getState().registration.status})`,
        );
    }
    const unregistered = await withTimeout(client.unregister(), timeoutMs, 'no final answer to the un-REGISTER');
    const removed = registers('sent').some((entry) => expiresOf(entry) === 0);
    if (unregistered === 'ok' && removed) report('unregister', 'ok', 'REGISTER with expires=0 accepted');
    else
      report(
        'unregister',
        'FAIL',
        unregistered === 'ok' ? 'no REGISTER with expires=0 was sent' : terminalText(unregistered.message),
      );
  } finally {
    await withTimeout(client.stop(), timeoutMs, 'stop timed out');
    client.dispose();
  }
  out(failures === 0 ? 'all checks passed' : `${failures} check(s) failed`);
  return failures === 0 ? EXIT_OK : EXIT_PROBLEM;
}

/** A REGISTER request, or a response to one (its CSeq method). */
function isRegister(entry: SipTraceEntry): boolean {
  return entry.method === 'REGISTER' || (entry.status !== undefined && /^\S+\s+REGISTER$/.test(entry.cseq ?? ''));
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

function waitFor(
  client: SipClient,
  predicate: (state: ReturnType<SipClient['getState']>) => boolean,
  ms: number,
): Promise<boolean> {
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
