/**
 * Sleep in Node, for real: a client in a child process is stopped with SIGSTOP for longer than its binding lasts,
 * then continued (what a suspended laptop does to a process). Its timers could not fire meanwhile; the wall clock ran
 * on. Against Kamailio: a new REGISTER must reach the registrar within 5 s of SIGCONT, and registration$ must never
 * claim 'registered' for the lapsed binding once the process runs again.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKamailio, type KamailioServer } from '../support/kamailio';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const EXPIRES_SEC = 6;
const STOPPED_MS = 9_000;

interface Line {
  status: string;
  expiresAt?: number;
  at: number;
}

let kamailio: KamailioServer;
beforeAll(async () => {
  kamailio = await startKamailio();
});
afterAll(async () => {
  await kamailio?.stop();
});

function startChild(): {
  child: ChildProcessWithoutNullStreams;
  lines: Line[];
  next(test: (line: Line) => boolean, ms: number): Promise<Line>;
} {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'test/support/sleeper-child.ts',
      kamailio.wsUrl,
      'carol',
      kamailio.users.carol!,
      String(EXPIRES_SEC),
    ],
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const lines: Line[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout }).on('line', (text) => {
    lines.push(JSON.parse(text) as Line);
    for (const waiter of [...waiters]) waiter();
  });
  const next = (test: (line: Line) => boolean, ms: number): Promise<Line> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const found = lines.find(test);
        if (!found) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(found);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no matching line within ${ms} ms: ${JSON.stringify(lines)}`));
      }, ms);
      waiters.add(check);
      check();
    });
  return { child, lines, next };
}

describe('a Node process stopped and continued (SIGSTOP, SIGCONT)', () => {
  it(`registers again within 5 s of continuing after ${STOPPED_MS / 1000} s stopped with a ${EXPIRES_SEC} s binding`, async () => {
    const { child, lines, next } = startChild();
    try {
      const first = await next((line) => line.status === 'registered', 10_000);
      expect(first.expiresAt).toBeGreaterThan(first.at);
      const registersBefore = kamailio.requests({ method: 'REGISTER', user: 'carol' }).length;

      child.kill('SIGSTOP');
      await new Promise((resolve) => setTimeout(resolve, STOPPED_MS));
      // Nothing came from the stopped process: its refresh (at ~5 s) never went out, the binding lapsed at 6 s.
      expect(kamailio.requests({ method: 'REGISTER', user: 'carol' })).toHaveLength(registersBefore);
      const linesBefore = lines.length;
      const continuedAt = Date.now();
      child.kill('SIGCONT');

      const [register] = (
        await kamailio.waitForRequests({ method: 'REGISTER', user: 'carol' }, registersBefore + 1, 5_000)
      ).slice(registersBefore);
      const delay = register!.at - continuedAt;
      console.log(
        `SIGCONT -> first REGISTER at Kamailio: ${delay} ms (stopped ${STOPPED_MS} ms, expires ${EXPIRES_SEC} s)`,
      );
      expect(delay).toBeLessThan(5_000);

      const again = await next((line) => lines.indexOf(line) >= linesBefore && line.status === 'registered', 5_000);
      expect(again.expiresAt).toBeGreaterThan(continuedAt);
      // Once running again, 'registered' is never said of the lapsed binding: the first word was 'registering'.
      const after = lines.slice(linesBefore);
      expect(after[0]!.status).toBe('registering');
      for (const line of after) {
        if (line.status === 'registered') expect(line.expiresAt).toBeGreaterThan(line.at);
      }
    } finally {
      child.kill('SIGCONT');
      child.stdin.end('exit\n');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }, 30_000);
});
