/**
 * A `network.online$` that is not an Observable: a Svelte store has `subscribe` but no `pipe` (issue 15). Before the fix
 * it passed validation, createSipClient threw an unrelated TypeError, and the process died on the next tick with an
 * uncaught exception even when the caller caught the first error (the actor had started before its error observer
 * was attached). Now it is a SipConfigError from createSipClient, and nothing is left running to throw later.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createSipClient, SipConfigError, type SipClientOptions } from '../../src/index';
import { HOSTILE_DOMAIN, sleep } from '../support/hostile-server';

describe('network.online$ shaped like a Svelte store', () => {
  it('is a SipConfigError, and no exception escapes in the next 200 ms', async () => {
    const svelteStore = {
      subscribe(run: (value: boolean) => void): () => void {
        run(true);
        return () => undefined;
      },
    };
    const escaped: unknown[] = [];
    const onEscape = (error: unknown): void => void escaped.push(error);
    process.on('uncaughtException', onEscape);
    process.on('unhandledRejection', onEscape);
    let thrown: unknown;
    try {
      try {
        const client = createSipClient({
          server: 'ws://127.0.0.1:9',
          uri: `sip:alice@${HOSTILE_DOMAIN}`,
          webSocket: WebSocket,
          network: { online$: svelteStore },
        } as unknown as SipClientOptions);
        client.dispose();
      } catch (error) {
        thrown = error;
      }
      await sleep(200);
    } finally {
      process.off('uncaughtException', onEscape);
      process.off('unhandledRejection', onEscape);
    }
    const figures = `thrown: ${String(thrown)}; escaped later: ${escaped.map(String).join(' | ') || 'nothing'}`;
    expect(escaped, figures).toEqual([]);
    expect(thrown, figures).toBeInstanceOf(SipConfigError);
    expect((thrown as SipConfigError).field, figures).toMatch(/^network/);
  });
});
