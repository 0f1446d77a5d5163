/**
 * The sip.js UserAgent sipstate builds (src/sip/user-agent.ts): sip.js's own timers must not pre-empt the machines'.
 */
import { describe, expect, it } from 'vitest';
import { MAX_UNANSWERED_TIMEOUT_SEC } from '../../src/call-options';
import { createLogger } from '../../src/logger';
import { resolveOptions } from '../../src/options';
import { createUserAgent } from '../../src/sip/user-agent';
import { SipWebSocketTransport } from '../../src/sip/websocket-transport';

class NoSocket {
  constructor() {
    throw new Error('not used');
  }
}

const build = (sipOptions: Record<string, unknown> = {}) => {
  const config = resolveOptions({
    server: 'ws://127.0.0.1:1',
    uri: 'sip:alice@sipstate.test',
    webSocket: NoSocket,
    sipOptions,
  });
  const logger = createLogger('error', { debug() {}, log() {}, warn() {}, error() {} });
  return createUserAgent(config, new SipWebSocketTransport(config.webSocket, logger), logger);
};

describe('the sip.js user agent', () => {
  it("sets sip.js's no-answer timer behind the longest unansweredTimeoutSec, so sipstate's call machine decides", () => {
    // sip.js's default is 60 s: an incoming call with unansweredTimeoutSec 120 would get 480 from sip.js at 60 s.
    expect(build().configuration.noAnswerTimeout).toBe(MAX_UNANSWERED_TIMEOUT_SEC + 60);
  });

  it('keeps a noAnswerTimeout the application set in sipOptions', () => {
    expect(build({ noAnswerTimeout: 30 }).configuration.noAnswerTimeout).toBe(30);
  });
});
