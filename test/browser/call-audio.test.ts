import { chromium, type Browser, type Page } from 'playwright-core';
import { chromiumOptions } from '../support/chromium';
import { servePage, type ServedPage } from '../support/page-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKamailio, type KamailioServer } from '../support/kamailio';

// Two Chromium pages registered through Kamailio call each other with sip.js's WebRTC handler (fake microphone),
// and the test reads the RTCPeerConnections' inbound-rtp stats to see audio arrive.

let kamailio: KamailioServer;
let http: ServedPage | undefined;
let browser: Browser;
let pageUrl: string;

// Runs in each page before sipstate: keeps every RTCPeerConnection for the stats, and keeps media on loopback by
// dropping the peer's non-127.0.0.1 ICE candidates (Chromium adds loopback ones with --allow-loopback-in-peer-connection).
const INIT_SCRIPT = `
  window.peerConnections = [];
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(...args) { super(...args); window.peerConnections.push(this); }
    setRemoteDescription(description) {
      if (description && description.sdp) {
        const sdp = description.sdp.split('\\r\\n')
          .filter((line) => !line.startsWith('a=candidate:') || / 127\\.0\\.0\\.1 /.test(line))
          .join('\\r\\n');
        description = { type: description.type, sdp };
      }
      return super.setRemoteDescription(description);
    }
  };
`;

beforeAll(async () => {
  if (process.env.SIPSTATE_SKIP_BROWSER === '1') return;
  kamailio = await startKamailio();
  http = await servePage({ body: '<audio id="remote" autoplay></audio>' });
  pageUrl = http.url;
  // launch() runs Chromium on a fresh temporary profile of its own (a user-data dir it deletes on close).
  browser = await chromium.launch({
    ...chromiumOptions([
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--allow-loopback-in-peer-connection',
      '--disable-features=WebRtcHideLocalIpsWithMdns',
      '--autoplay-policy=no-user-gesture-required',
    ]),
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await http?.close();
  await kamailio?.stop();
});

async function openPage(user: string): Promise<Page> {
  const page = await browser.newPage();
  await page.addInitScript(INIT_SCRIPT);
  await page.goto(pageUrl);
  await page.evaluate(
    async ({ server, user, password }) => {
      const w = window as unknown as Record<string, any>;
      const client = w.sipstate.createSipClient({
        server,
        uri: `sip:${user}@sipstate.test`,
        authorizationUsername: user,
        authorizationPassword: password,
        logLevel: 'error',
        calls: { iceServers: [] },
      });
      w.client = client;
      w.states = [];
      await client.register();
    },
    { server: kamailio.wsUrl, user, password: kamailio.users[user]! },
  );
  return page;
}

/** Total audio packets and bytes received over every RTCPeerConnection of the page. */
function inbound(page: Page): Promise<{ packets: number; bytes: number }> {
  return page.evaluate(async () => {
    let packets = 0;
    let bytes = 0;
    for (const pc of (window as unknown as { peerConnections: RTCPeerConnection[] }).peerConnections) {
      const report = await pc.getStats();
      report.forEach((stat: { type: string; kind?: string; packetsReceived?: number; bytesReceived?: number }) => {
        if (stat.type === 'inbound-rtp' && stat.kind === 'audio') {
          packets += stat.packetsReceived ?? 0;
          bytes += stat.bytesReceived ?? 0;
        }
      });
    }
    return { packets, bytes };
  });
}

async function growing(
  page: Page,
): Promise<{ before: { packets: number; bytes: number }; after: { packets: number; bytes: number } }> {
  const deadline = Date.now() + 20_000;
  let before = await inbound(page);
  while (before.packets === 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    before = await inbound(page);
  }
  let after = before;
  while (after.packets <= before.packets && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    after = await inbound(page);
  }
  return { before, after };
}

// scripts/setup.sh skips installing Chromium with SIPSTATE_SKIP_BROWSER=1; this test is skipped then too.
describe.skipIf(process.env.SIPSTATE_SKIP_BROWSER === '1')('a call between two Chromium pages', () => {
  it('is answered, audio flows both ways (inbound-rtp grows), holds, unholds, sends DTMF, hangs up', async () => {
    const [alice, bob] = await Promise.all([openPage('alice'), openPage('bob')]);

    await bob.evaluate(() => {
      const w = window as unknown as Record<string, any>;
      w.client.incomingCalls$.subscribe((call: any) => {
        w.call = call;
        w.remoteHolds = [];
        call.state$.subscribe((state: any) => {
          if (w.states.at(-1) !== state.status) w.states.push(state.status);
          if (w.remoteHolds.at(-1) !== state.remoteHold) w.remoteHolds.push(state.remoteHold);
        });
        call.answer({ media: { remoteAudio: document.getElementById('remote') } });
      });
    });
    await alice.evaluate(async () => {
      const w = window as unknown as Record<string, any>;
      const call = w.client.call('bob', { media: { remoteAudio: document.getElementById('remote') } });
      w.call = call;
      call.state$.subscribe((state: any) => {
        if (w.states.at(-1) !== state.status) w.states.push(state.status);
      });
      await call.connected();
    });
    await bob.waitForFunction(
      () => (window as unknown as Record<string, any>).call?.getState().status === 'active',
      null,
      { timeout: 20_000 },
    );

    const atAlice = await growing(alice);
    const atBob = await growing(bob);
    expect(atAlice.before.packets).toBeGreaterThan(0);
    expect(atAlice.after.packets).toBeGreaterThan(atAlice.before.packets);
    expect(atAlice.after.bytes).toBeGreaterThan(atAlice.before.bytes);
    expect(atBob.after.packets).toBeGreaterThan(atBob.before.packets);
    expect(atBob.after.bytes).toBeGreaterThan(atBob.before.bytes);
    // Every candidate pair in use has a 127.0.0.1 host candidate at one end (the other end may be Chromium's socket on
    // another local interface, which it binds whatever we do; the peer's non-loopback candidates were dropped above,
    // so checks and media are addressed to 127.0.0.1 or come back from it, and never leave the machine).
    for (const page of [alice, bob]) {
      const ends = await page.evaluate(async () => {
        const found: { local: string; remote: string; remoteType: string }[] = [];
        for (const pc of (window as unknown as { peerConnections: RTCPeerConnection[] }).peerConnections) {
          const stats = new Map<string, any>();
          (await pc.getStats()).forEach((stat: any) => {
            stats.set(stat.id, stat);
          });
          for (const stat of stats.values()) {
            if (stat.type !== 'candidate-pair' || stat.state !== 'succeeded') continue;
            const local = stats.get(stat.localCandidateId);
            const remote = stats.get(stat.remoteCandidateId);
            found.push({
              local: String(local?.address),
              remote: String(remote?.address ?? ''),
              remoteType: String(remote?.candidateType),
            });
          }
        }
        return found;
      });
      expect(ends.length).toBeGreaterThan(0);
      for (const end of ends) {
        expect(
          end.local === '127.0.0.1' || (end.remoteType === 'host' && end.remote === '127.0.0.1'),
          JSON.stringify(end),
        ).toBe(true);
      }
    }
    // the remote stream went to the page's audio element
    expect(await bob.evaluate(() => (document.getElementById('remote') as HTMLAudioElement).srcObject !== null)).toBe(
      true,
    );

    // Hold and unhold through sip.js's web handler (its re-INVITE right after the answer may get 500: retried), and
    // RFC 4733 DTMF through its RTCDTMFSender.
    await alice.evaluate(async () => {
      const w = window as unknown as Record<string, any>;
      await w.call.hold();
      w.heldState = w.call.getState();
      await w.call.unhold();
      await w.call.sendDtmf('12#');
    });
    expect(await alice.evaluate(() => (window as unknown as Record<string, any>).heldState)).toMatchObject({
      localHold: true,
      held: true,
    });
    await bob.waitForFunction(
      () => (window as unknown as Record<string, any>).call.getState().remoteHold === false,
      null,
      { timeout: 10_000 },
    );
    expect(await bob.evaluate(() => (window as unknown as Record<string, any>).remoteHolds)).toEqual([
      false,
      true,
      false,
    ]);

    await alice.evaluate(() => (window as unknown as Record<string, any>).call.hangup());
    await bob.waitForFunction(
      () => (window as unknown as Record<string, any>).call.getState().status === 'ended',
      null,
      { timeout: 15_000 },
    );
    expect(await alice.evaluate(() => (window as unknown as Record<string, any>).call.getState().reason)).toBe(
      'local-hangup',
    );
    expect(await bob.evaluate(() => (window as unknown as Record<string, any>).call.getState().reason)).toBe(
      'remote-hangup',
    );
    expect(await alice.evaluate(() => (window as unknown as Record<string, any>).states)).toEqual([
      'dialing',
      'ringing',
      'active',
      'ending',
      'ended',
    ]);
    expect(await bob.evaluate(() => (window as unknown as Record<string, any>).states)).toEqual([
      'ringing',
      'answering',
      'active',
      'ended',
    ]);
    console.log(`inbound-rtp audio: alice ${JSON.stringify(atAlice)}, bob ${JSON.stringify(atBob)}`);
  }, 90_000);
});
