/**
 * The floor: a minimal hand-written SIP REGISTER with digest authentication over one `ws` WebSocket, no SIP library.
 * Just enough for the test Kamailio (RFC 3261 REGISTER, RFC 7118 over WebSocket, RFC 2617 digest with qop=auth): what
 * any client on this machine must at least spend. Also used by test/corpus/capture.ts to capture real traffic.
 */
import { createHash, randomBytes } from 'node:crypto';
import WebSocket from 'ws';

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');
const token = (): string => randomBytes(6).toString('hex');

export interface MinimalRegisterOptions {
  wsUrl: string;
  domain: string;
  user: string;
  password: string;
  expires?: number;
  /** Every SIP message received on the socket, as received (for corpus capture). */
  onMessage?: (raw: string) => void;
}

/** An open WebSocket with SIP framing helpers: send text, wait for the next message matching a predicate. */
export class MinimalSipSocket {
  private readonly waiters: Array<{ match: (raw: string) => boolean; resolve: (raw: string) => void }> = [];

  private constructor(
    readonly socket: WebSocket,
    onMessage?: (raw: string) => void,
  ) {
    socket.on('message', (data: Buffer) => {
      const raw = data.toString('utf8');
      onMessage?.(raw);
      const index = this.waiters.findIndex((waiter) => waiter.match(raw));
      if (index >= 0) this.waiters.splice(index, 1)[0]!.resolve(raw);
    });
  }

  static open(wsUrl: string, onMessage?: (raw: string) => void): Promise<MinimalSipSocket> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(wsUrl, 'sip');
      socket.once('open', () => resolve(new MinimalSipSocket(socket, onMessage)));
      socket.once('error', reject);
    });
  }

  send(raw: string): void {
    this.socket.send(raw);
  }

  next(match: (raw: string) => boolean, timeoutMs = 30_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (raw: string) => {
          clearTimeout(timer);
          resolve(raw);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error('no matching SIP message in time'));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  close(): void {
    this.socket.close();
  }
}

/** Builds the Authorization header value answering a `WWW-Authenticate: Digest ...` challenge (qop=auth or none). */
export function digestAuthorization(
  challenge: string,
  { user, password, method, uri }: { user: string; password: string; method: string; uri: string },
): string {
  const param = (name: string): string | undefined =>
    new RegExp(`${name}\\s*=\\s*(?:"([^"]*)"|([^,\\s]+))`, 'i')
      .exec(challenge)
      ?.slice(1)
      .find((v) => v !== undefined);
  const realm = param('realm') ?? '';
  const nonce = param('nonce') ?? '';
  const qop = param('qop');
  const ha1 = md5(`${user}:${realm}:${password}`);
  const ha2 = md5(`${method}:${uri}`);
  if (
    qop
      ?.split(',')
      .map((q) => q.trim())
      .includes('auth')
  ) {
    const cnonce = token();
    const nc = '00000001';
    const response = md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`);
    return `Digest username="${user}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5, qop=auth, nc=${nc}, cnonce="${cnonce}"`;
  }
  return `Digest username="${user}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${md5(`${ha1}:${nonce}:${ha2}`)}", algorithm=MD5`;
}

/** Status code of a response, or undefined for a request. */
export function statusOf(raw: string): number | undefined {
  const match = /^SIP\/2\.0 (\d{3})/.exec(raw);
  return match ? Number(match[1]) : undefined;
}

/** A REGISTER request as a string; `extra` are header lines added before Content-Length. */
export function registerRequest(
  { domain, user, expires }: { domain: string; user: string; expires: number },
  dialog: { callId: string; fromTag: string; branch: string; cseq: number; viaHost: string },
  extra: string[] = [],
): string {
  return [
    `REGISTER sip:${domain} SIP/2.0`,
    `Via: SIP/2.0/WS ${dialog.viaHost};branch=z9hG4bK${dialog.branch}`,
    'Max-Forwards: 70',
    `From: <sip:${user}@${domain}>;tag=${dialog.fromTag}`,
    `To: <sip:${user}@${domain}>`,
    `Call-ID: ${dialog.callId}`,
    `CSeq: ${dialog.cseq} REGISTER`,
    `Contact: <sip:${user}@${dialog.viaHost};transport=ws>;expires=${expires}`,
    `Expires: ${expires}`,
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/**
 * Registers `user` over an already open socket: REGISTER, 401, REGISTER with credentials. Resolves with the final
 * status code.
 */
export async function registerOn(sip: MinimalSipSocket, options: MinimalRegisterOptions): Promise<number> {
  const { domain, user, password } = options;
  const expires = options.expires ?? 600;
  const dialog = { callId: token(), fromTag: token(), branch: token(), cseq: 1, viaHost: `${token()}.invalid` };
  const isFinal = (raw: string): boolean => (statusOf(raw) ?? 0) >= 200 && raw.includes(`Call-ID: ${dialog.callId}`);
  sip.send(registerRequest({ domain, user, expires }, dialog));
  let reply = await sip.next(isFinal);
  if (statusOf(reply) === 401) {
    const challenge = /^WWW-Authenticate:\s*(.*)$/im.exec(reply)?.[1] ?? '';
    const authorization = digestAuthorization(challenge, { user, password, method: 'REGISTER', uri: `sip:${domain}` });
    dialog.cseq = 2;
    dialog.branch = token();
    sip.send(registerRequest({ domain, user, expires }, dialog, [`Authorization: ${authorization}`]));
    reply = await sip.next(isFinal);
  }
  return statusOf(reply) ?? 0;
}

/** Opens a socket and registers; resolves with the open socket once the final response is 200. */
export async function minimalRegister(options: MinimalRegisterOptions): Promise<MinimalSipSocket> {
  const sip = await MinimalSipSocket.open(options.wsUrl, options.onMessage);
  const status = await registerOn(sip, options);
  if (status !== 200) {
    sip.close();
    throw new Error(`REGISTER for ${options.user} ended ${status}`);
  }
  return sip;
}
