/**
 * `sipstate/testing`: a fake SIP server in memory for an application's own tests (no network, no SIP server), in
 * Node and in browser test runners.
 *
 * @example
 * ```ts
 * import { createFakeSipServer } from 'sipstate/testing';
 * const fake = await createFakeSipServer({ users: { alice: 'secret' } });
 * ```
 */
export {
  createFakeSipServer,
  type FakeCall,
  type FakeCallStatus,
  type FakeRegistration,
  type FakeSipServer,
  type FakeSipServerOptions,
  type FakeWebSocketConstructor,
  type FakeWebSocketInstance,
} from './fake-sip-server';
export { md5 } from './md5';
