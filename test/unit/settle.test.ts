/**
 * The one settlement helper of client and call commands (src/settle.ts), without a server or a machine: a command's
 * promise is settled by the verdicts of its check on the state right after the command and on every later state.
 */
import { describe, expect, it } from 'vitest';
import { SipError } from '../../src/errors';
import { CommandSettler, handled, refused, supersedable, type Check } from '../../src/settle';

type Status = 'idle' | 'busy' | 'done' | 'failed';
interface State {
  status: Status;
}

/** A tiny store: `send` moves the state, `publish` makes the settler judge it (as ClientStreams does). */
function store(initial: Status) {
  let state: State = { status: initial };
  const settler = new CommandSettler<State>(() => state);
  const published: Status[] = [];
  return {
    settler,
    published,
    set(status: Status) {
      state = { status };
    },
    publish(status: Status) {
      state = { status };
      settler.judge(state, () => published.push(status));
    },
  };
}

/** Settled or not, and how, after the microtasks queued so far. */
async function outcome(promise: Promise<void>): Promise<'pending' | 'resolved' | SipError> {
  let result: 'pending' | 'resolved' | SipError = 'pending';
  promise.then(
    () => (result = 'resolved'),
    (error: SipError) => (result = error),
  );
  await Promise.resolve();
  await Promise.resolve();
  return result;
}

const untilDone: Check<State> = ({ status }) =>
  status === 'done' ? 'resolve' : status === 'failed' ? new SipError('rejected', 'failed') : 'wait';

describe('CommandSettler', () => {
  it('judges the state right after the command: a command that settles at once resolves without any publish', async () => {
    const s = store('idle');
    const promise = s.settler.run(() => s.set('done'), untilDone);
    expect(await outcome(promise)).toBe('resolved');
    expect(s.settler.pending).toBe(0);
  });

  it('waits on "wait", then settles on the first later state whose verdict is not "wait"', async () => {
    const s = store('idle');
    const promise = s.settler.run(() => s.set('busy'), untilDone);
    s.publish('busy');
    expect(await outcome(promise)).toBe('pending');
    s.publish('failed');
    const error = await outcome(promise);
    expect(error).toBeInstanceOf(SipError);
    expect((error as SipError).kind).toBe('rejected');
    expect(s.settler.pending).toBe(0);
    // settled once: a later 'done' changes nothing
    s.publish('done');
    expect(await outcome(promise)).toBe(error);
  });

  it('a command sent while a state is being announced judges later states, not that one', async () => {
    const s = store('idle');
    let inner: Promise<void> | undefined;
    // The subscriber of the announcement sends a command whose check would resolve on the state being announced.
    s.settler.run(undefined, () => 'wait');
    s.set('done');
    s.settler.judge({ status: 'done' }, () => {
      inner = s.settler.run(undefined, ({ status }) => (status === 'busy' ? 'resolve' : 'wait'));
    });
    expect(await outcome(inner!)).toBe('pending');
    s.publish('busy');
    expect(await outcome(inner!)).toBe('resolved');
  });

  it('close() rejects every command still waiting, and marks nothing unhandled', async () => {
    const s = store('idle');
    const a = s.settler.run(undefined, () => 'wait');
    const b = s.settler.run(undefined, () => 'wait');
    const gone = new SipError('cancelled', 'gone');
    s.settler.close(gone);
    expect(await outcome(a)).toBe(gone);
    expect(await outcome(b)).toBe(gone);
    expect(s.settler.pending).toBe(0);
  });

  it('a check that throws rejects its command with a SipError instead of throwing out of judge()', async () => {
    const s = store('idle');
    const promise = s.settler.run(undefined, () => {
      throw new TypeError('bug in a check');
    });
    const error = await outcome(promise);
    expect(error).toBeInstanceOf(SipError);
    expect((error as SipError).message).toMatch(/bug in a check/);
  });
});

describe('supersedable', () => {
  const rules = {
    done: (s: State) => s.status === 'done',
    inProgress: (s: State) => s.status === 'busy',
    ended: (s: State) =>
      s.status === 'failed' ? new SipError('rejected', 'it failed') : new SipError('cancelled', 'superseded'),
  };

  it('resolves on done, whether or not it saw the command in progress', () => {
    expect(supersedable(rules)({ status: 'done' })).toBe('resolve');
    const check = supersedable(rules);
    expect(check({ status: 'busy' })).toBe('wait');
    expect(check({ status: 'done' })).toBe('resolve');
  });

  it('a state from before the command (not yet in progress) is no verdict: it waits', () => {
    const check = supersedable(rules);
    expect(check({ status: 'idle' })).toBe('wait');
    expect(check({ status: 'failed' })).toBe('wait');
  });

  it('after it was in progress, any other state ends it: the failure it carries, or cancelled', () => {
    const failed = supersedable(rules);
    expect(failed({ status: 'busy' })).toBe('wait');
    expect(failed({ status: 'failed' })).toMatchObject({ kind: 'rejected', message: 'it failed' });
    const superseded = supersedable(rules);
    expect(superseded({ status: 'busy' })).toBe('wait');
    expect(superseded({ status: 'idle' })).toMatchObject({ kind: 'cancelled', message: 'superseded' });
  });

  it('each check remembers its own command only', () => {
    const first = supersedable(rules);
    first({ status: 'busy' });
    const second = supersedable(rules);
    expect(second({ status: 'idle' })).toBe('wait');
    expect(first({ status: 'idle' })).toBeInstanceOf(SipError);
  });
});

describe('handled and refused', () => {
  it('a refused promise rejects for whoever awaits it, and raises no unhandled rejection when ignored', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      const error = new SipError('config', 'no');
      refused(error);
      handled(Promise.reject(new Error('ignored')));
      await expect(refused(error)).rejects.toBe(error);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
