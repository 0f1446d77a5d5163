import { BehaviorSubject } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import type { ClientRuntime } from '../../src/client-machine';
import { createSipClient } from '../../src/client';

// A runtime whose watchNetwork throws at once: the transport machine fails while the client's machines start. That
// stands for anything failing inside actor.start() (a bug, a dependency that throws); the options cannot reach it.
vi.mock('../../src/client-machine', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/client-machine')>();
  return {
    ...original,
    attachRuntime: (system: object, runtime: ClientRuntime) =>
      original.attachRuntime(system, {
        ...runtime,
        watchNetwork: (onChange) => {
          if (failWatchNetwork) throw new TypeError('watchNetwork failed while starting');
          return runtime.watchNetwork(onChange);
        },
      }),
  };
});

let failWatchNetwork = true;

describe('createSipClient startup', () => {
  it('throws what failed while its machines started, stops them first, and nothing throws on a later tick', async () => {
    const problems: unknown[] = [];
    const onProblem = (error: unknown): void => {
      problems.push(error);
    };
    process.on('uncaughtException', onProblem);
    process.on('unhandledRejection', onProblem);
    try {
      const errors: string[] = [];
      const logger = { debug() {}, log() {}, warn() {}, error: (line: string) => errors.push(line) };
      const online$ = new BehaviorSubject(true);
      const inspected: string[] = [];
      class RecordingWebSocket {}
      failWatchNetwork = true;
      expect(() =>
        createSipClient({
          server: 'ws://127.0.0.1:1',
          uri: 'sip:alice@example.com',
          webSocket: RecordingWebSocket,
          register: true,
          logger,
          network: { online$ },
          inspect: (event) => inspected.push(event.type),
        }),
      ).toThrowError(/watchNetwork failed while starting/);
      const seen = inspected.length;
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(problems).toEqual([]);
      // Stopped: no machine of that client moved after the throw.
      expect(inspected.length).toBe(seen);
      expect(errors.join('\n')).toMatch(/machine error: .*watchNetwork failed while starting/);
    } finally {
      process.off('uncaughtException', onProblem);
      process.off('unhandledRejection', onProblem);
    }
  });

  it('starts as usual when nothing fails (the mock above is what failed)', () => {
    failWatchNetwork = false;
    class RecordingWebSocket {}
    const client = createSipClient({
      server: 'ws://127.0.0.1:1',
      uri: 'sip:alice@example.com',
      webSocket: RecordingWebSocket,
    });
    expect(client.getState().transport.status).toBe('disconnected');
    client.dispose();
  });
});
