/**
 * Captures real SIP messages for the parser corpus (test/corpus/captured.json), from the test Kamailio over WebSocket
 * (what a sipstate client receives: challenges, 200s with Contact lists, fault replies, a relayed MESSAGE with Via and
 * Record-Route stacks) and from sipp over UDP through the same Kamailio (what sipp sent and received).
 *
 *   npx tsx test/corpus/capture.ts        # starts its own Kamailio on free loopback ports; bounded; stops by itself
 *
 * Rerun it after changing kamailio.cfg; the differential tests read the file it writes.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MinimalSipSocket, digestAuthorization, registerOn, statusOf } from '../../bench/parser/minimal-register';
import { FAULT_USERS, KAMAILIO_USERS, runSipp, startKamailio, type KamailioServer } from '../support/kamailio';

export interface CapturedMessage {
  source: 'kamailio-ws' | 'sipp-udp';
  what: string;
  raw: string;
}

const OUTPUT = fileURLToPath(new URL('./captured.json', import.meta.url));

async function captureOverWebSocket(server: KamailioServer, out: CapturedMessage[]): Promise<void> {
  const record = (what: string) => (raw: string) => {
    if (raw.trim() !== '')
      out.push({ source: 'kamailio-ws', what: `${what}: ${raw.slice(0, raw.indexOf('\r\n'))}`, raw });
  };
  const domain = server.domain;
  const cases: Array<[string, string, number?]> = [
    ['alice', KAMAILIO_USERS.alice!],
    ['bob', KAMAILIO_USERS.bob!],
    ['unavailable', FAULT_USERS.unavailable],
    ['broken', FAULT_USERS.broken],
    ['nobody', FAULT_USERS.nobody],
    ['stranger', 'x'],
    ['carol', KAMAILIO_USERS.carol!, 1], // below Min-Expires: 423
  ];
  const sockets = new Map<string, MinimalSipSocket>();
  for (const [user, password, expires] of cases) {
    const sip = await MinimalSipSocket.open(server.wsUrl, record(`socket of ${user}`));
    const status = await registerOn(sip, { wsUrl: server.wsUrl, domain, user, password, ...(expires && { expires }) });
    console.log(`capture: REGISTER ${user} -> ${status}`);
    sockets.set(user, sip);
  }

  // Keep-alive OPTIONS to the server itself.
  const alice = sockets.get('alice')!;
  alice.send(
    [
      `OPTIONS sip:${domain} SIP/2.0`,
      'Via: SIP/2.0/WS k3j.invalid;branch=z9hG4bKopt1',
      'Max-Forwards: 70',
      `From: <sip:alice@${domain}>;tag=opt1`,
      `To: <sip:${domain}>`,
      'Call-ID: capture-options-1',
      'CSeq: 1 OPTIONS',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
  await alice
    .next((raw) => raw.includes('capture-options-1') && (statusOf(raw) ?? 0) >= 200, 10_000)
    .catch(() => undefined);

  // alice -> bob MESSAGE, relayed by Kamailio to bob's WebSocket; bob answers 200, relayed back.
  const bob = sockets.get('bob')!;
  const body = 'hello from the corpus capture';
  const message = (extra: string[], cseq: number) =>
    [
      `MESSAGE sip:bob@${domain} SIP/2.0`,
      `Via: SIP/2.0/WS k3j.invalid;branch=z9hG4bKmsg${cseq}`,
      'Max-Forwards: 70',
      `From: "Alice" <sip:alice@${domain}>;tag=msg1`,
      `To: <sip:bob@${domain}>`,
      'Call-ID: capture-message-1',
      `CSeq: ${cseq} MESSAGE`,
      'Content-Type: text/plain',
      ...extra,
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n');
  const incoming = bob.next((raw) => raw.startsWith('MESSAGE '), 10_000);
  alice.send(message([], 1));
  const first = await alice
    .next((raw) => raw.includes('capture-message-1') && (statusOf(raw) ?? 0) >= 200, 10_000)
    .catch(() => '');
  if (statusOf(first) === 407 || statusOf(first) === 401) {
    const header = statusOf(first) === 407 ? 'Proxy-Authenticate' : 'WWW-Authenticate';
    const challenge = new RegExp(`^${header}:\\s*(.*)$`, 'im').exec(first)?.[1] ?? '';
    const credentials = digestAuthorization(challenge, {
      user: 'alice',
      password: KAMAILIO_USERS.alice!,
      method: 'MESSAGE',
      uri: `sip:bob@${domain}`,
    });
    alice.send(message([`${statusOf(first) === 407 ? 'Proxy-Authorization' : 'Authorization'}: ${credentials}`], 2));
  }
  const relayed = await incoming.catch(() => undefined);
  if (relayed) {
    // Answer with bob's 200 built from the relayed request's own Via/From/To/Call-ID/CSeq/Record-Route lines.
    const keep = relayed
      .split('\r\n')
      .filter((line) => /^(via|v|from|f|to|t|call-id|i|cseq|record-route)\s*:/i.test(line));
    bob.send(
      [
        'SIP/2.0 200 OK',
        ...keep.map((line) => (/^(to|t)\s*:/i.test(line) ? `${line};tag=bob1` : line)),
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
    await alice
      .next((raw) => raw.includes('capture-message-1') && statusOf(raw) === 200, 10_000)
      .catch(() => undefined);
  }
  console.log(`capture: MESSAGE alice -> bob ${relayed ? 'relayed' : 'NOT relayed'}`);
  for (const sip of sockets.values()) sip.close();
}

async function captureSipp(server: KamailioServer, out: CapturedMessage[]): Promise<void> {
  for (const [user, password] of [
    ['dave', KAMAILIO_USERS.dave!],
    ['unavailable', FAULT_USERS.unavailable],
  ] as const) {
    const result = await runSipp({
      target: server,
      scenario: 'register.xml',
      service: user,
      password,
      keys: { expires: 60 },
    });
    for (const message of result.messages) {
      // sipp's message file drops CRs and the blank line: put back the wire form (no body in these REGISTERs).
      const raw = `${message.raw.split('\n').join('\r\n')}\r\n\r\n`;
      out.push({ source: 'sipp-udp', what: `sipp ${message.direction} (${user}): ${message.startLine}`, raw });
    }
    console.log(`capture: sipp REGISTER ${user} -> exit ${result.exitCode}, ${result.messages.length} messages`);
  }
}

async function main(): Promise<void> {
  const server = await startKamailio({ proxyAuth: false });
  const out: CapturedMessage[] = [];
  try {
    await captureOverWebSocket(server, out);
    await captureSipp(server, out);
  } finally {
    await server.stop();
  }
  writeFileSync(OUTPUT, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`capture: ${out.length} messages -> ${OUTPUT}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
