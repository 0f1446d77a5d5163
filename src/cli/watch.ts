/**
 * `sipstate watch`: registers and prints a live timeline: each machine's transitions, the registration's status, and
 * each SIP message from `client.sipTrace$` (→ sent, ← received, as the entry says).
 *
 * @example
 * ```ts
 * process.exitCode = await watch(['--server', 'wss://sip.example.com', '--uri', 'sip:alice@example.com']);
 * ```
 */
import type { InspectionEvent } from 'xstate';
import type { SipClient } from '../client';
import type { SipLogSink } from '../logger';
import { redactUrl } from '../redact';
import { loadClient, loadWebSocket, parse, readPassword, secondsOf, serversOf, uriOf } from './args';
import { errorText, eventText, sipSummary, stateValueText, terminalText } from './format';
import { HELP } from './help';
import { err, EXIT_OK, EXIT_PROBLEM, out, pad, timestamp, UsageError } from './io';

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

export async function watch(args: string[]): Promise<number> {
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

  // SIP messages come from client.sipTrace$, not from the log: only warnings and errors are logged, to stderr.
  const sink: SipLogSink = {
    debug: () => undefined,
    info: () => undefined,
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
      logLevel: 'warn',
      logger: sink,
      inspect: transitionWatcher((machine, from, to, event) => {
        out(`${timestamp()}  ${pad(machine, 12)} ${from} → ${to}   ${event}`);
      }),
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  // An event stream: subscribed before start(), so the first REGISTER is in it.
  if (showSip) {
    client.sipTrace$.subscribe((entry) => {
      const summary = sipSummary(entry);
      if (summary) out(`${timestamp()}  ${pad('sip', 12)} ${summary}`);
    });
  }
  client.registration$.subscribe((registration) => {
    const error = 'error' in registration ? registration.error : undefined;
    const detail =
      registration.status === 'registered'
        ? ` (expires ${registration.expires} s)`
        : error
          ? ` (${errorText(error)})`
          : '';
    out(`${timestamp()}  ${pad('status', 12)} registration ${registration.status}${detail}`);
  });
  out(
    `${timestamp()}  ${pad('watch', 12)} ${uri} via ${servers.map(redactUrl).join(', ')}; Ctrl-C unregisters and exits`,
  );
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
      void Promise.race([
        client.stop().then(
          () => 'stopped' as const,
          () => 'stopped' as const,
        ),
        deadline,
      ]).then((how) => {
        client.dispose();
        out(`${timestamp()}  ${pad('watch', 12)} ${how === 'stopped' ? 'stopped' : 'stop timed out after 10 s'}`);
        resolve(how === 'stopped' ? EXIT_OK : EXIT_PROBLEM);
      });
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}
