/**
 * The raw WebSocket probe of `sipstate doctor`: TLS, the subprotocol `sip` and a CRLF keep-alive, with no SIP in the
 * way.
 *
 * @example
 * ```ts
 * const probe = await probeWebSocket(WebSocket, 'wss://sip.example.com', 10_000);
 * if (probe.opened && probe.pongMs === undefined) console.log('no CRLF pong');
 * ```
 */
import type { WebSocketConstructor } from '../sip/websocket-transport';

/** What the probe saw: whether it connected, the subprotocol and TLS version, how long connecting and the pong took. */
export interface RawProbe {
  opened: boolean;
  error?: string;
  subprotocolRefused?: boolean;
  protocol?: string;
  tlsProtocol?: string;
  connectMs?: number;
  pongMs?: number;
}

/** Opens a WebSocket with subprotocol 'sip', sends a CRLF ping and waits for the pong, then closes it. */
export function probeWebSocket(WebSocket: WebSocketConstructor, server: string, timeoutMs: number): Promise<RawProbe> {
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
      socket = new (WebSocket as unknown as new (url: string, protocols: string, options: object) => RawSocket)(
        server,
        'sip',
        {
          handshakeTimeout: timeoutMs,
        },
      );
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
