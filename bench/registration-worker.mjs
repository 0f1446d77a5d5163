// @ts-check
/**
 * One registration run in a fresh process (spawned by bench/registration.ts with --expose-gc): N clients of one
 * variant register against the given Kamailio; prints one JSON line with the time until all were registered and the
 * heap they hold. Exits by itself (hard deadline) whatever happens.
 *
 * Plain JavaScript on purpose, loading sipstate's build (dist/index.js, what users run): run through tsx, every
 * function of sipstate's source gets a `__name` property (esbuild's keepNames), which costs about 256 bytes of heap
 * per closure and inflated sipstate's heap per client by several KB.
 *
 *   node --expose-gc bench/registration-worker.mjs --variant sipstate|sipjs --n 500 --ws ws://... --first 0
 */
import { WebSocket } from 'ws';

/** @type {Record<string, string>} */
const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const variant = args.variant;
const n = Number(args.n ?? 500);
const ws = args.ws;
const first = Number(args.first ?? 0);
const timeoutMs = Number(args.timeoutMs ?? 90_000);
const DOMAIN = 'sipstate.test';
const PASSWORD = 'load-secret';

const gc = /** @type {{ gc?: () => void }} */ (globalThis).gc;
if (!gc) throw new Error('run with --expose-gc');
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

setTimeout(() => {
  console.log(
    JSON.stringify({
      variant,
      n,
      registered,
      failures,
      unhandled,
      error: `timed out after ${timeoutMs} ms with ${registered} of ${n} registered`,
    }),
  );
  process.exit(2);
}, timeoutMs).unref();

// Load everything the variant needs before the baseline, so module code is not counted per client.
const sipstate = variant === 'sipstate' ? await import('../dist/index.js') : undefined;
const sipjs = await import('sip.js');
if (variant === 'sipjs') /** @type {any} */ (globalThis).WebSocket = WebSocket;

const heapBefore = heap();
let registered = 0;
let failures = 0;
let unhandled = 0;
process.on('unhandledRejection', () => {
  unhandled++;
});
/** @type {() => void} */
let resolveAll = () => {};
const allRegistered = new Promise((resolve) => {
  resolveAll = resolve;
});
const onRegistered = () => {
  if (++registered === n) resolveAll();
};

const keep = [];
const cpuBefore = process.cpuUsage();
const started = performance.now();
for (let i = first; i < first + n; i++) {
  const user = `load${i}`;
  if (variant === 'sipstate') {
    const client = sipstate.createSipClient({
      server: ws,
      uri: `sip:${user}@${DOMAIN}`,
      authorizationUsername: user,
      authorizationPassword: PASSWORD,
      register: true,
      expires: 600,
      webSocket: WebSocket,
    });
    let done = false;
    client.registration$.subscribe(({ status }) => {
      if (status === 'registered' && !done) {
        done = true;
        onRegistered();
      } else if (status === 'retrying' || status === 'failed') failures++;
    });
    void client.start();
    keep.push(client);
  } else {
    const { UserAgent, Registerer, RegistererState } = sipjs;
    const ua = new UserAgent({
      uri: UserAgent.makeURI(`sip:${user}@${DOMAIN}`),
      authorizationUsername: user,
      authorizationPassword: PASSWORD,
      transportOptions: { server: ws },
      logLevel: 'warn', // sipstate's default; sip.js's own default ('log') would print every message
    });
    const registerer = new Registerer(ua, { expires: 600 });
    let done = false;
    registerer.stateChange.addListener((state) => {
      if (state === RegistererState.Registered && !done) {
        done = true;
        onRegistered();
      }
    });
    ua.start()
      .then(() => registerer.register())
      .catch(() => {
        failures++;
      });
    keep.push({ ua, registerer });
  }
}
await allRegistered;
const timeMs = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
const cpuMs = (cpu.user + cpu.system) / 1000;
const heapAfter = heap();
console.log(
  JSON.stringify({
    variant,
    n,
    timeMs,
    cpuMs,
    heapBefore,
    heapAfter,
    heapPerClient: (heapAfter - heapBefore) / n,
    failures,
    unhandled,
    keep: keep.length,
  }),
);
process.exit(0);
