import { fromPromise } from 'xstate';

/** One invocation of a {@link controllable} promise actor, settled by the test. */
export interface Call<TOutput, TInput> {
  input: TInput;
  signal: AbortSignal;
  settled: boolean;
  resolve(output: TOutput): void;
  reject(error: unknown): void;
}

/**
 * A promise actor whose invocations the test sees and settles by hand, to drive a machine through every branch.
 *
 * @example
 * ```ts
 * const connect = controllable<void, { server: string }>();
 * machine.provide({ actors: { connectTransport: connect.logic } });
 * connect.last.resolve();
 * ```
 */
export function controllable<TOutput, TInput = void>(onInvoke?: () => void) {
  const calls: Call<TOutput, TInput>[] = [];
  const logic = fromPromise<TOutput, TInput>(
    ({ input, signal }) =>
      new Promise<TOutput>((resolve, reject) => {
        const call: Call<TOutput, TInput> = {
          input,
          signal,
          settled: false,
          resolve: (output) => {
            call.settled = true;
            resolve(output);
          },
          reject: (error) => {
            call.settled = true;
            reject(error);
          },
        };
        calls.push(call);
        onInvoke?.();
      }),
  );
  return {
    logic,
    calls,
    get last(): Call<TOutput, TInput> {
      const call = calls.at(-1);
      if (!call) throw new Error('not invoked yet');
      return call;
    },
    /** Invocations neither settled nor abandoned by the machine. */
    get pendingCalls(): Call<TOutput, TInput>[] {
      return calls.filter((call) => !call.settled && !call.signal.aborted);
    },
    /** How many invocations are pending (see `pendingCalls`). */
    get pending(): number {
      return this.pendingCalls.length;
    },
  };
}

/** Lets promise callbacks and XState's reactions to them run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}
