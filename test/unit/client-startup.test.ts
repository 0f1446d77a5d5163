import { BehaviorSubject } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { createActor } from 'xstate';
import { transportMachine } from '../../machines/transport.machine';
import { createSipClient } from '../../src/client';
import type { ResolvedOptions } from '../../src/options';

// The transport machine's first entry action throws as the machines start. That stands for anything failing inside
// actor.start() (a bug, a dependency that throws); the options cannot reach it.
vi.mock('../../src/client-machine', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/client-machine')>();
  return {
    ...original,
    createClientActor: (config: ResolvedOptions, logger: Parameters<typeof original.createClientActor>[1]) => {
      if (!failWhileStarting) return original.createClientActor(config, logger);
      const failing = original.clientMachine().provide({
        actors: {
          transport: transportMachine.provide({
            actions: {
              startFresh: () => {
                throw new TypeError('the transport failed while starting');
              },
            },
          }) as never,
        },
      });
      return createActor(failing, {
        input: { transport: {}, registration: {} },
        ...(config.inspect !== undefined && { inspect: config.inspect as never }),
      });
    },
  };
});

let failWhileStarting = true;

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
      failWhileStarting = true;
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
      ).toThrowError(/the transport failed while starting/);
      const seen = inspected.length;
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(problems).toEqual([]);
      // Stopped: no machine of that client moved after the throw.
      expect(inspected.length).toBe(seen);
      expect(errors.join('\n')).toMatch(/machine error: .*the transport failed while starting/);
    } finally {
      process.off('uncaughtException', onProblem);
      process.off('unhandledRejection', onProblem);
    }
  });

  it('starts as usual when nothing fails (the mock above is what failed)', () => {
    failWhileStarting = false;
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
