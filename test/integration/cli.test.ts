import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { createServer as createTlsServer } from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { describeMachine, DIAGRAM_MACHINES } from '../../src/diagram/definition';
import { toMermaid } from '../../src/diagram/mermaid';
import { copyOfDist } from '../support/built';
import { startKamailio, type KamailioServer } from '../support/kamailio';

// The built CLI (a copy of dist/cli.js) as a child process, against a real Kamailio.

let kamailio: KamailioServer;
let cli: string;
let removeCopy: () => void;

beforeAll(async () => {
  kamailio = await startKamailio({ minExpires: 4 });
  const copy = await copyOfDist('cli');
  cli = join(copy.dir, 'dist/cli.js');
  removeCopy = copy.remove;
});
afterAll(async () => {
  await kamailio?.stop();
  removeCopy?.();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion (bounded: killed after `timeoutMs`). stdin is /dev/null: no password prompt. */
function run(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      env: { ...process.env, SIPSTATE_PASSWORD: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

// Each test runs several Node processes; on a loaded machine one can take seconds to start.
describe('sipstate CLI', { timeout: 120_000 }, () => {
  it('has --help for the tool and every subcommand', async () => {
    for (const command of [[], ['watch'], ['diagram'], ['doctor']]) {
      const result = await run([...command, '--help']);
      expect(result.code, command.join(' ')).toBe(0);
      expect(result.stdout).toContain(`Usage: sipstate ${command[0] ?? '<command>'}`);
    }
    expect((await run(['doctor', '--help'])).stdout).toMatch(/Exit code 0 when every check passed/);
  });

  it('rejects bad arguments with a non-zero exit and a message naming the argument', async () => {
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /unknown command "frobnicate"/],
      [['watch', '--uri', 'sip:alice@sipstate.test'], /--server is required/],
      [
        ['watch', '--server', 'http://127.0.0.1:1', '--uri', 'sip:a@b'],
        /--server must be a ws:\/\/ or wss:\/\/ URL, got "http:\/\/127.0.0.1:1"/,
      ],
      [['watch', '--server', 'ws://127.0.0.1:1', '--uri', 'alice'], /--uri must be a SIP URI/],
      [
        ['doctor', '--server', 'ws://127.0.0.1:1', '--uri', 'sip:a@b', '--expires', '0'],
        /--expires must be a positive whole number/,
      ],
      [['doctor', '--bogus'], /Unknown option '--bogus'/],
      [
        ['watch', '--server', 'ws://127.0.0.1:1', '--uri', 'sip:a@b', '--password', 'hunter2'],
        /--password is not accepted/,
      ],
      [['doctor', '--password=hunter2'], /--password is not accepted/],
      [['diagram', '--format', 'png'], /--format must be mermaid, json or svg, got "png"/],
      [['diagram', 'kettle'], /unknown machine "kettle"/],
      [['diagram', '--format', 'svg'], /--format svg draws one machine/],
    ];
    const results = await Promise.all(cases.map(([args]) => run(args)));
    for (const [index, [args, message]] of cases.entries()) {
      const result = results[index]!;
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(message);
      expect(result.stdout).toBe('');
      expect(result.stderr).not.toContain('hunter2');
    }
  });

  it('diagram prints the Mermaid generated from each definition, and JSON and SVG', async () => {
    const all = await run(['diagram']);
    expect(all.code).toBe(0);
    for (const name of ['userAgent', 'transport', 'registration', 'call'] as const) {
      const mermaid = toMermaid(describeMachine(DIAGRAM_MACHINES[name]));
      expect(all.stdout).toContain(`%% ${name}\n${mermaid}`);
    }
    const transport = await run(['diagram', 'transport', '--format', 'mermaid']);
    expect(transport.stdout.split('\n').slice(0, 2)).toEqual(['%% transport', 'stateDiagram-v2']);
    // Every line is one Mermaid statement: a state, a description, an edge, a block, a note, or the region separator.
    const statement =
      /^\s*(%%.*|stateDiagram-v2|\[\*\] --> \w+|\w+ --> (\w+|\[\*\])( : [^:;#]+)?|\w+ : [^:;#]+|state \w+ \{|state "\w+" as \w+|\}|--|\w+|note right of \w+|end note| {2,}[^:;#]+)$/;
    for (const line of transport.stdout.trimEnd().split('\n')) expect(line).toMatch(statement);
    const json = JSON.parse((await run(['diagram', 'registration', '--format', 'json'])).stdout) as {
      id: string;
      root: { type: string };
    };
    expect(json).toMatchObject({ id: 'registration', root: { type: 'parallel' } });
    const svg = await run(['diagram', 'user-agent', '--format', 'svg']);
    expect(svg.code).toBe(0);
    expect(svg.stdout).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg.stdout).toContain('data-state="userAgent.halting.steps.stoppingUserAgent"');
    const call = await run(['diagram', 'call', '--format', 'svg']);
    expect(call.code).toBe(0);
    expect(call.stdout).toContain('data-state="call.active.localHold.holdRetryWait"');
  });

  it('watch prints every transition with timestamps and SIP codes, and on SIGINT unregisters and exits 0', async () => {
    kamailio.clearRequests();
    const password = kamailio.users.carol!;
    const child = spawn(
      process.execPath,
      [cli, 'watch', '--server', kamailio.wsUrl, '--uri', `sip:carol@${kamailio.domain}`, '--expires', '60'],
      {
        env: { ...process.env, SIPSTATE_PASSWORD: password },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`never registered:\n${stdout}\n${stderr}`)), 30_000);
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('registration registered')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGINT');
    const code = await exited;
    clearTimeout(killer);
    expect(code, stderr).toBe(0);
    const ts = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`;
    expect(stdout).toMatch(
      new RegExp(
        `^${ts}  transport +network\\.online \\| connection\\.disconnected → network\\.online \\| connection\\.connecting\\.opening   CONNECT$`,
        'm',
      ),
    );
    expect(stdout).toMatch(
      new RegExp(
        `^${ts}  transport +network\\.online \\| connection\\.connecting\\.opening → network\\.online \\| connection\\.connected\\.idle   done connectTransport$`,
        'm',
      ),
    );
    expect(stdout).toMatch(new RegExp(`^${ts}  userAgent +stopped → starting\\.connecting   START$`, 'm'));
    expect(stdout).toMatch(
      new RegExp(
        `^${ts}  registration .*binding\\.active\\.registering → .*binding\\.active\\.registered\\.bound   done sendRegister \\(2xx, expires 60 s granted\\)$`,
        'm',
      ),
    );
    expect(stdout).toMatch(new RegExp(`^${ts}  sip +← 401 Unauthorized \\(REGISTER\\)$`, 'm'));
    expect(stdout).toMatch(new RegExp(`^${ts}  sip +← 200 OK \\(REGISTER, expires=60\\)$`, 'm'));
    expect(stdout).toMatch(new RegExp(`^${ts}  watch +SIGINT: unregistering and stopping$`, 'm'));
    expect(stdout).toMatch(/sip +→ REGISTER expires=0$/m);
    expect(stdout).toMatch(
      /transport +network\.online \| connection\.disconnecting → network\.online \| connection\.disconnected/,
    );
    expect(stdout.trimEnd().split('\n').at(-1)).toMatch(/watch +stopped$/);
    // Kamailio saw the un-REGISTER (expires 0) and answered it.
    await kamailio.waitForRequests({ method: 'REGISTER', user: 'carol' }, 3);
    const registers = kamailio.requests({ method: 'REGISTER', user: 'carol' });
    expect(registers.map((r) => r.expires)).toEqual(['60', '60', '0']);
    await kamailio.waitForReplies({ method: 'REGISTER', user: 'carol', code: 200 }, 2);
    expect(stdout + stderr).not.toContain(password);
  });

  it('doctor exits 0 against Kamailio, checking keep-alive, auth, the expiry and a refresh', async () => {
    const password = kamailio.users.dave!;
    const result = await run(
      ['doctor', '--server', kamailio.wsUrl, '--uri', `sip:dave@${kamailio.domain}`, '--expires', '5'],
      { SIPSTATE_PASSWORD: password },
    );
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^ok +subprotocol +'sip' accepted$/m);
    expect(result.stdout).toMatch(/^ok +keep-alive +CRLF ping answered with a CRLF pong in \d+ ms/m);
    expect(result.stdout).toMatch(/^ok +auth +digest challenge answered and accepted$/m);
    expect(result.stdout).toMatch(/^ok +expires +5 s granted for 5 s asked$/m);
    expect(result.stdout).toMatch(/^ok +re-register +refreshed before the binding lapsed/m);
    expect(result.stdout).toMatch(/^ok +unregister +REGISTER with expires=0 accepted$/m);
    expect(result.stdout).toMatch(/^warn +tls +not used \(ws:\/\/\)/m);
    expect(result.stdout).toMatch(/all checks passed\n$/);
    expect(result.stdout + result.stderr).not.toContain(password);
    // Kamailio saw a refresh: at least two accepted REGISTERs before the un-REGISTER.
    const accepted = await kamailio.waitForReplies({ method: 'REGISTER', user: 'dave', code: 200 }, 3);
    expect(accepted.length).toBeGreaterThanOrEqual(3);
  });

  it('doctor raises the expiry after 423 and says so', async () => {
    const result = await run(
      [
        'doctor',
        '--server',
        kamailio.wsUrl,
        '--uri',
        `sip:bob@${kamailio.domain}`,
        '--expires',
        '2',
        '--max-wait',
        '1',
      ],
      {
        SIPSTATE_PASSWORD: kamailio.users.bob!,
      },
    );
    expect(result.stdout).toMatch(/^ok +expires +4 s granted for 2 s asked \(raised after 423 Interval Too Brief\)$/m);
    expect(result.stdout).toMatch(/^skip +re-register +granted 4 s/m);
    expect(result.code).toBe(0);
  });

  it('doctor exits non-zero with a wrong password, and the password is never printed', async () => {
    const result = await run(['doctor', '--server', kamailio.wsUrl, '--uri', `sip:alice@${kamailio.domain}`], {
      SIPSTATE_PASSWORD: 'not-alices-password',
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^FAIL +auth +rejected after digest \(401 Unauthorized\): wrong user name or password$/m,
    );
    expect(result.stdout + result.stderr).not.toContain('not-alices-password');
  });

  it('doctor exits non-zero against a dead port', async () => {
    const result = await run(['doctor', '--server', 'ws://127.0.0.1:9', '--uri', `sip:alice@${kamailio.domain}`], {
      SIPSTATE_PASSWORD: 'x',
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^FAIL +websocket +could not connect: connect ECONNREFUSED 127\.0\.0\.1:9$/m);
  });

  it('never prints the user-info or query values of a server URL', async () => {
    const secretUrl = (base: string): string => `${base.replace('://', '://alice:s3cret@')}/?token=t0k`;
    const [badArgs, deadDoctor, deadWatch, doctor] = await Promise.all([
      run(['watch', '--server', secretUrl('http://127.0.0.1:9'), '--uri', 'sip:a@b']),
      run(['doctor', '--server', secretUrl('ws://127.0.0.1:9'), '--uri', `sip:alice@${kamailio.domain}`], {
        SIPSTATE_PASSWORD: 'x',
      }),
      // Runs until killed: a few reconnection attempts, each with its error.
      run(
        ['watch', '--server', secretUrl('ws://127.0.0.1:9'), '--uri', `sip:alice@${kamailio.domain}`],
        { SIPSTATE_PASSWORD: 'x' },
        4_000,
      ),
      run(
        [
          'doctor',
          '--server',
          secretUrl(kamailio.wsUrl),
          '--uri',
          `sip:dave@${kamailio.domain}`,
          '--expires',
          '5',
          '--max-wait',
          '1',
        ],
        {
          SIPSTATE_PASSWORD: kamailio.users.dave!,
        },
      ),
    ]);
    expect(badArgs.stderr).toMatch(
      /--server must be a ws:\/\/ or wss:\/\/ URL, got "http:\/\/\*\*\*@127\.0\.0\.1:9\/\?token=\*\*\*"/,
    );
    expect(deadDoctor.stdout).toMatch(
      /^sipstate doctor: sip:alice@\S+ via ws:\/\/\*\*\*@127\.0\.0\.1:9\/\?token=\*\*\*$/m,
    );
    expect(deadDoctor.code).toBe(1);
    expect(deadWatch.stdout).toMatch(/watch +sip:alice@\S+ via ws:\/\/\*\*\*@127\.0\.0\.1:9\/\?token=\*\*\*;/);
    expect(deadWatch.stdout).toMatch(
      /transport +.* → .*waitingToReconnect +error connectTransport \(transport: WebSocket to ws:\/\/\*\*\*@127\.0\.0\.1:9\/\?token=\*\*\* /,
    );
    expect(doctor.stdout, doctor.stdout + doctor.stderr).toMatch(/^ok +auth +digest challenge answered and accepted$/m);
    for (const result of [badArgs, deadDoctor, deadWatch, doctor]) {
      const output = result.stdout + result.stderr;
      expect(output).not.toContain('s3cret');
      expect(output).not.toContain('t0k');
    }
  });

  it('doctor reports a WebSocket server that refuses the subprotocol sip, or never answers a CRLF ping', async () => {
    // Two small local servers: one that selects no subprotocol, one that accepts 'sip' but ignores keep-alives.
    const refusing = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => false });
    const silent = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      handleProtocols: (protocols) => (protocols.has('sip') ? 'sip' : false),
    });
    try {
      await Promise.all([refusing, silent].map((server) => new Promise((done) => server.once('listening', done))));
      const url = (server: WebSocketServer) => `ws://127.0.0.1:${(server.address() as { port: number }).port}`;
      const [noSip, noPong] = await Promise.all([
        run(['doctor', '--server', url(refusing), '--uri', 'sip:alice@example.test'], { SIPSTATE_PASSWORD: 'x' }),
        run(['doctor', '--server', url(silent), '--uri', 'sip:alice@example.test', '--timeout', '2'], {
          SIPSTATE_PASSWORD: 'x',
        }),
      ]);
      expect(noSip.code).toBe(1);
      expect(noSip.stdout).toMatch(/^FAIL +subprotocol +the server did not accept the WebSocket subprotocol 'sip'/m);
      expect(noPong.code).toBe(1);
      expect(noPong.stdout).toMatch(/^ok +subprotocol +'sip' accepted$/m);
      expect(noPong.stdout).toMatch(/^FAIL +keep-alive +no CRLF pong within 2 s/m);
    } finally {
      for (const server of [refusing, silent]) {
        for (const client of server.clients) client.terminate();
        server.close();
      }
    }
  });

  it('doctor over wss:// checks TLS: a certificate it cannot verify fails, a trusted one passes every check', async () => {
    // A self-signed certificate for 127.0.0.1 and a TLS terminator in front of Kamailio's ws:// port.
    const dir = mkdtempSync(join(tmpdir(), 'sipstate-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore', timeout: 30_000 },
    );
    const sockets = new Set<Socket>();
    const proxy = createTlsServer(
      { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
      (tlsSocket) => {
        const upstream = connect(kamailio.wsPort, '127.0.0.1');
        sockets.add(tlsSocket).add(upstream);
        tlsSocket.pipe(upstream).pipe(tlsSocket);
        const end = () => {
          tlsSocket.destroy();
          upstream.destroy();
        };
        tlsSocket.on('error', end).on('close', end);
        upstream.on('error', end).on('close', end);
      },
    );
    try {
      await new Promise<void>((done) => proxy.listen(0, '127.0.0.1', done));
      const server = `wss://127.0.0.1:${(proxy.address() as { port: number }).port}`;
      const args = ['doctor', '--server', server, '--uri', `sip:alice@${kamailio.domain}`, '--expires', '5'];
      const untrusted = await run(args, { SIPSTATE_PASSWORD: kamailio.users.alice! });
      expect(untrusted.code).toBe(1);
      expect(untrusted.stdout).toMatch(/^FAIL +tls\+websocket +could not connect: self[- ]signed certificate/m);
      const trusted = await run(args, {
        SIPSTATE_PASSWORD: kamailio.users.alice!,
        NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem'),
      });
      expect(trusted.stdout).toMatch(/^ok +tls +TLSv1\.[23], certificate verified$/m);
      expect(trusted.stdout).toMatch(/^ok +re-register /m);
      expect(trusted.code, trusted.stdout + trusted.stderr).toBe(0);
    } finally {
      for (const socket of sockets) socket.destroy();
      proxy.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('asks for the password without echo when SIPSTATE_PASSWORD is unset and stdin is a terminal', async () => {
    // util-linux `script` gives the CLI a pseudo-terminal; the password is typed once the prompt is shown.
    const password = kamailio.users.alice!;
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.SIPSTATE_PASSWORD;
    const command = [
      process.execPath,
      cli,
      'doctor',
      '--server',
      kamailio.wsUrl,
      '--uri',
      `sip:alice@${kamailio.domain}`,
      '--expires',
      '5',
      '--max-wait',
      '1',
    ]
      .map((word) => `'${word}'`)
      .join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let typed = false;
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (!typed && output.includes('Password for alice: ')) {
        typed = true;
        child.stdin.write(`${password}\r`);
      }
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(killer);
    expect(typed).toBe(true);
    expect(output).toMatch(/^ok +auth +digest challenge answered and accepted\r?$/m);
    expect(code, output).toBe(0);
    expect(output).not.toContain(password);
  });
});
