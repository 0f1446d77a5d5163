import { firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { LiveCallList } from '../../src/call-list';

const microtask = () => new Promise<void>((resolve) => queueMicrotask(resolve));

function record<T>(list: LiveCallList<T>) {
  const seen: (readonly T[])[] = [];
  let completed = false;
  const subscription = list.calls$.subscribe({ next: (calls) => seen.push(calls), complete: () => (completed = true) });
  return { seen, subscription, completed: () => completed };
}

describe('calls$ (LiveCallList): current on subscribe, changes coalesced per microtask', () => {
  it('gives the current list synchronously on subscribe, even in the middle of a burst', () => {
    const list = new LiveCallList<string>();
    expect(record(list).seen).toEqual([[]]);
    list.add('a');
    list.add('b');
    // No microtask has run: the list read on subscribe is already right.
    expect(record(list).seen).toEqual([['a', 'b']]);
    list.delete('a');
    expect(record(list).seen).toEqual([['b']]);
  });

  it('a burst of changes in one tick is one emission with the final list, oldest first', async () => {
    const list = new LiveCallList<number>();
    const { seen } = record(list);
    for (let i = 0; i < 10_000; i++) list.add(i);
    for (let i = 0; i < 10_000; i += 2) list.delete(i);
    expect(seen).toHaveLength(1);
    await microtask();
    expect(seen).toHaveLength(2);
    expect(seen[1]).toHaveLength(5_000);
    expect(seen[1]!.slice(0, 3)).toEqual([1, 3, 5]);
    expect(Object.isFrozen(seen[1])).toBe(true);
  });

  it('changes in separate ticks each come out', async () => {
    const list = new LiveCallList<string>();
    const { seen } = record(list);
    list.add('a');
    await microtask();
    list.add('b');
    await microtask();
    list.delete('a');
    await microtask();
    expect(seen).toEqual([[], ['a'], ['a', 'b'], ['b']]);
  });

  it('never gives a subscriber the same list twice in a row', async () => {
    const list = new LiveCallList<string>();
    list.add('a');
    const early = record(list); // ['a'] on subscribe, before the flush of that add
    await microtask();
    expect(early.seen).toEqual([['a']]);
    // Added and ended within one tick: nothing changed for anyone.
    list.add('b');
    list.delete('b');
    await microtask();
    expect(early.seen).toEqual([['a']]);
  });

  it('reads are cheap: an unchanged list is the same array', () => {
    const list = new LiveCallList<string>();
    list.add('a');
    expect(list.current()).toBe(list.current());
    expect(list.size).toBe(1);
  });

  it('close() emits the empty list to those who had another, completes, and ignores later changes', async () => {
    const list = new LiveCallList<string>();
    const empty = record(list);
    list.add('a');
    await microtask();
    const withA = record(list);
    list.close();
    expect(withA.seen).toEqual([['a'], []]);
    expect(empty.seen).toEqual([[], ['a'], []]);
    expect(withA.completed() && empty.completed()).toBe(true);
    list.add('b');
    await microtask();
    expect(withA.seen).toEqual([['a'], []]);
    const late = record(list);
    expect(late.seen).toEqual([]);
    expect(late.completed()).toBe(true);
  });

  it('a subscriber that unsubscribes gets nothing more', async () => {
    const list = new LiveCallList<string>();
    const { seen, subscription } = record(list);
    subscription.unsubscribe();
    list.add('a');
    await microtask();
    expect(seen).toEqual([[]]);
    expect(await firstValueFrom(list.calls$)).toEqual(['a']);
  });
});
