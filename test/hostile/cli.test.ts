/**
 * `sipstate watch` against a server that sends terminal escapes (issue 15). Before the fix the CLI printed
 * server-controlled bytes raw (a reason phrase with `ESC]0;...BEL` retitled the terminal, `ESC[2J` cleared it, a
 * carriage return let a forged line follow), showed incoming requests with the outgoing arrow, and printed the server
 * URL with its user-info and token. Now C0/C1 control characters from the network are escaped before printing, the
 * arrows follow the direction, and URLs are redacted.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyOfDist } from '../support/built';
import {
  buildRequest,
  HOSTILE_DOMAIN,
  payloads,
  startHostileServer,
  type HostileServer,
} from '../support/hostile-server';

// C0 but newline and tab, DEL, C1 (as code points: the UTF-8 bytes of '←' are E2 86 90, which is no control).
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

let cli: string;
let removeCopy: () => void;
let server: HostileServer;

beforeAll(async () => {
  const copy = await copyOfDist('hostile-cli');
  cli = join(copy.dir, 'dist/cli.js');
  removeCopy = copy.remove;
  server = await startHostileServer({ lifetimeMs: 60_000 });
});
afterAll(async () => {
  await server?.close();
  removeCopy?.();
});

describe('sipstate watch against a server that sends terminal escapes', { timeout: 60_000 }, () => {
  it('prints no control character, the right arrows, and no secret from the URL', async () => {
    const reason = payloads.terminalReason;
    let registers = 0;
    server.onRequest('REGISTER', (request) => {
      registers++;
      // The first is granted; the one after a reconnection is refused with C1 controls in the (parsed) reason phrase.
      if (registers === 1) server.reply(request, 200, { contactExpires: 600 });
      else if (request.header('contact')?.includes('expires=0')) server.reply(request, 200);
      else
        server.reply(request, 403, {
          reason: 'Forbidden \u009b2J\u0085FORGED 2099-01-01T00:00:00.000Z  status       registration registered',
        });
    });
    const url = `ws://alice:s3cr3t@127.0.0.1:${server.port}/ws?token=t0k3n`;
    const child = spawn(
      process.execPath,
      [cli, 'watch', '--server', url, '--uri', `sip:alice@${HOSTILE_DOMAIN}`, '--expires', '600'],
      {
        env: { ...process.env, SIPSTATE_PASSWORD: 'pa55-for-alice' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const killer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    try {
      await server
        .waitFor(() => registers >= 1 && /registration registered/.test(stdout), 20_000, 'the CLI registered')
        .catch((error: Error) => {
          throw new Error(`${error.message}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
        });
      const target = server.registeredContact()!;
      const connection = server.openConnection!.id;
      // An unsolicited response whose status line and CSeq carry escapes (sip.js drops it; the CLI used to print it).
      server.send(
        [
          `SIP/2.0 200 ${reason}`,
          'Via: SIP/2.0/WS x.invalid;branch=z9hG4bKx',
          `From: <${target.aor}>;tag=a`,
          `To: <${target.aor}>;tag=b`,
          'Call-ID: forged@hostile.invalid',
          'CSeq: 1 REGISTER\u001b[2J',
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n'),
        connection,
      );
      // A request line with escapes in the method and the Request-URI.
      server.send(
        `MESSAGE\u001b]0;pwned\u0007 sip:x\u001b[2J@${HOSTILE_DOMAIN} SIP/2.0\r\nContent-Length: 0\r\n\r\n`,
        connection,
      );
      // Requests that are fine: they arrive (←), and the CLI's answers to them leave (→).
      server.send(
        buildRequest({
          method: 'MESSAGE',
          ruri: target.contact,
          from: `<sip:attacker@${HOSTILE_DOMAIN}>;tag=m1`,
          to: `<${target.aor}>`,
          callId: 'message-1@hostile.invalid',
          cseq: 1,
          body: `hello\u001b]0;pwned\u0007`,
        }),
        connection,
      );
      const call = server.invite({ from: `sip:attacker@${HOSTILE_DOMAIN}` });
      await call.response((r) => r.status! >= 180, 5_000).catch(() => undefined);
      await server
        .waitFor(
          () => (/MESSAGE/.test(stdout) && /INVITE/.test(stdout)) || undefined,
          5_000,
          'MESSAGE and INVITE shown',
        )
        .catch(() => undefined);
      call.cancel();
      // The connection drops; on the new one the registrar refuses with C1 controls in the reason phrase.
      server.drop(connection);
      await server
        .waitFor(() => /registration failed/.test(stdout) || undefined, 10_000, 'the refused re-registration shown')
        .catch(() => undefined);
      child.kill('SIGINT');
      await exited;
    } finally {
      clearTimeout(killer);
      child.kill('SIGKILL');
    }
    const output = stdout + stderr;
    const controls = [...new Set(output.match(CONTROL) ?? [])].map(
      (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
    );
    // The report shows the output with its controls escaped: the test runner's terminal must not obey them either.
    const shown = output.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
    expect(controls, `control characters in the output:\n${shown.slice(-6_000)}`).toEqual([]);
    expect(output).not.toMatch(/^FORGED/m);
    // Not vacuous: the hostile reason phrase reached the output (escaped), and so did both requests.
    expect(stdout).toMatch(/registration failed.*FORGED/);
    const sipLines = stdout.split('\n').filter((line) => /^\S+\s+sip\s/.test(line));
    const arrowsOf = (pattern: RegExp): string[] =>
      sipLines.filter((line) => pattern.test(line)).map((line) => line.replace(/^\S+\s+sip\s+/, '').slice(0, 40));
    expect(arrowsOf(/[←→] (INVITE|MESSAGE)\b/), 'requests from the server').toEqual(
      expect.arrayContaining([expect.stringMatching(/^← INVITE/), expect.stringMatching(/^← MESSAGE/)]),
    );
    expect(arrowsOf(/→ (INVITE|MESSAGE)\b/), 'requests shown as sent (the CLI sent none)').toEqual([]);
    expect(arrowsOf(/← \d{3} .*\((INVITE|MESSAGE)/), "the CLI's own answers shown as received").toEqual([]);
    for (const secret of ['s3cr3t', 't0k3n']) expect(output, `the URL's ${secret}`).not.toContain(secret);
  });
});
