/**
 * A WebSocket the test drives, for unit tests of the transport: it opens, delivers messages and closes only when told,
 * and records what was sent and how often `close()` was called. Construct transports with
 * `FakeWebSocket as unknown as WebSocketConstructor`; each socket the code under test opens is in `instances`.
 *
 * ```ts
 * const opening = transport.open('ws://127.0.0.1:5066');
 * const socket = FakeWebSocket.instances.at(-1)!;
 * socket.open();
 * await opening;
 * socket.deliver('SIP/2.0 200 OK\r\n...');
 * ```
 */
export class FakeWebSocket {
  static instances: FakeWebSocket[] = [];
  readyState = 0;
  binaryType = 'blob';
  onopen: ((event: unknown) => void) | null = null;
  onclose: ((event: { code: number; reason?: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  readonly sent: string[] = [];
  closeCalls = 0;

  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
    readonly options?: { maxPayload?: number },
  ) {
    FakeWebSocket.instances.push(this);
  }

  send(data: string): void {
    this.sent.push(data);
  }

  /** The code under test closes it: counted; the socket is closing from then on. */
  close(): void {
    this.closeCalls += 1;
    this.readyState = 2;
  }

  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  deliver(data: unknown): void {
    this.onmessage?.({ data });
  }

  closeFromServer(code: number): void {
    this.readyState = 3;
    this.onclose?.({ code });
  }
}
