import { BehaviorSubject, Observable, Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { watchConnectivity } from '../../src/platform/network';

const quiet = { debug() {}, log() {}, warn() {}, error() {} };

describe('watchConnectivity (one subscription per source for the process)', () => {
  it('subscribes once to a source however many clients watch it, and unsubscribes with the last', () => {
    let subscriptions = 0;
    const subject = new BehaviorSubject(true);
    const source = new Observable<boolean>((subscriber) => {
      subscriptions++;
      return subject.subscribe(subscriber);
    });
    const heard: string[] = [];
    const stops = [1, 2, 3].map((n) => watchConnectivity(source, quiet, (online) => heard.push(`${n}:${online}`)));
    expect(subscriptions).toBe(1);
    // Only changes: the machines start online.
    expect(heard).toEqual([]);
    subject.next(false);
    expect(heard).toEqual(['1:false', '2:false', '3:false']);
    // A client joining a source that said offline hears so at once.
    const late: boolean[] = [];
    stops.push(watchConnectivity(source, quiet, (online) => late.push(online)));
    expect(late).toEqual([false]);
    subject.next(false);
    expect(heard).toHaveLength(3);
    for (const stop of stops) stop();
    expect(subject.observed).toBe(false);
    // Watched again later: a fresh subscription.
    const again = watchConnectivity(source, quiet, () => {});
    expect(subscriptions).toBe(2);
    again();
    expect(subject.observed).toBe(false);
  });

  it('takes a source that errors as online, tells every client, and logs it', () => {
    const source = new Subject<boolean>();
    const warnings: string[] = [];
    const logger = { ...quiet, warn: (line: string) => warnings.push(line) };
    const heard: boolean[] = [];
    watchConnectivity(source, logger, (online) => heard.push(online));
    watchConnectivity(source, logger, (online) => heard.push(online));
    source.next(false);
    source.error(new Error('broken'));
    expect(heard).toEqual([false, false, true, true]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/network\.online\$ failed; assuming online/);
  });

  it('watches nothing where there is no source and no browser', () => {
    const stop = watchConnectivity(undefined, quiet, () => {
      throw new Error('never called');
    });
    stop();
  });
});
