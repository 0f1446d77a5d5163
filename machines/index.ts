/**
 * sipstate's lifecycle machines, as they run inside `createSipClient`, with their default (inert) actors. They never
 * import sip.js, so they open unchanged in Stately's visualizer and run in tests with fake actors:
 *
 * @example
 * ```ts
 * import { createActor, fromPromise } from 'xstate';
 * import { registrationMachine } from 'sipstate/machines';
 *
 * const actor = createActor(
 *   registrationMachine.provide({
 *     actors: { sendRegister: fromPromise(async () => ({ type: 'registered' as const, expires: 60 })) },
 *   }),
 *   { input: { expires: 60 } },
 * ).start();
 * actor.send({ type: 'LINK_UP' });
 * actor.send({ type: 'REGISTER' });
 * ```
 */
export * from './transport.machine';
export * from './registration.machine';
export * from './user-agent.machine';
export * from './call.machine';
export * from './backoff';
export * from './environment';
