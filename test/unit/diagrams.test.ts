import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  allStates,
  describeMachine,
  DIAGRAM_MACHINES,
  DIAGRAM_NAMES,
  MACHINE_NAMES,
  MACHINES,
} from '../../src/diagram/definition';
import { renderDiagramFiles } from '../../src/diagram/docs';
import { toMermaid } from '../../src/diagram/mermaid';
import { toSvg } from '../../src/diagram/svg';
import { statechartSvg } from '../../src/view/statechart-view';

const root = resolve(import.meta.dirname, '../..');

describe('generated diagrams', () => {
  const files = renderDiagramFiles();

  it('docs/machines.md and every SVG match the machine definitions (run `npm run diagrams` if not)', () => {
    expect([...files.keys()].sort()).toEqual([
      'docs/call.svg',
      'docs/machines.md',
      'docs/registration.svg',
      'docs/transport.svg',
      'docs/user-agent.svg',
    ]);
    for (const [path, content] of files) {
      const onDisk = existsSync(resolve(root, path)) ? readFileSync(resolve(root, path), 'utf8') : '(missing)';
      expect(onDisk, `${path} is stale: run npm run diagrams`).toBe(content);
    }
  });

  it('the walker sees every state, tag, invoked actor, delay and guard of each machine', () => {
    const transport = describeMachine(MACHINES.transport);
    const ids = allStates(transport).map((state) => state.id);
    expect(ids).toEqual([
      'transport',
      'transport.network',
      'transport.network.online',
      'transport.network.offline',
      'transport.connection',
      'transport.connection.disconnected',
      'transport.connection.connecting',
      'transport.connection.connecting.pacing',
      'transport.connection.connecting.opening',
      'transport.connection.connected',
      'transport.connection.connected.idle',
      'transport.connection.connected.probing',
      'transport.connection.connected.probing.choosing',
      'transport.connection.connected.probing.crlf',
      'transport.connection.connected.probing.options',
      'transport.connection.attemptFailed',
      'transport.connection.waitingToReconnect',
      'transport.connection.waitingForNetwork',
      'transport.connection.reconnecting',
      'transport.connection.failed',
      'transport.connection.disconnecting',
    ]);
    const connecting = allStates(transport).find((state) => state.id === 'transport.connection.connecting')!;
    expect(connecting.tags).toEqual(['connecting']);
    expect(connecting.transitions.map((t) => [t.kind, t.label, t.targets])).toEqual([
      ['event', 'DISCONNECT', ['transport.connection.disconnecting']],
    ]);
    const opening = allStates(transport).find((state) => state.id === 'transport.connection.connecting.opening')!;
    expect(opening.invokes.map((invoke) => invoke.src)).toEqual(['connectTransport']);
    expect(opening.transitions.map((t) => [t.kind, t.label, t.targets])).toEqual([
      ['done', 'done connectTransport', ['transport.connection.connected']],
      ['error', 'error connectTransport', ['transport.connection.attemptFailed']],
      ['after', 'after connectTimeout', ['transport.connection.attemptFailed']],
    ]);
    const halting = allStates(describeMachine(MACHINES.userAgent)).find((state) => state.id === 'userAgent.halting')!;
    expect(halting.type).toBe('parallel');
    expect(halting.transitions.map((t) => t.guard)).toEqual(['halted and restartRequested', 'halted']);
    const registration = describeMachine(MACHINES.registration);
    expect(registration.root.type).toBe('parallel');
    const binding = allStates(registration).find((state) => state.id === 'registration.binding')!;
    expect(binding.transitions[0]).toMatchObject({
      label: 'REGISTER',
      guard: 'linkUp',
      targets: ['registration.binding.active.registering'],
    });

    const call = describeMachine(DIAGRAM_MACHINES.call);
    expect(call.id).toBe('call');
    const callStates = allStates(call);
    expect(callStates.map((state) => state.id)).toEqual([
      'call',
      'call.start',
      'call.outgoing',
      'call.outgoing.dialing',
      'call.outgoing.ringing',
      'call.outgoing.earlyMedia',
      'call.incoming',
      'call.incoming.ringing',
      'call.incoming.answering',
      'call.active',
      'call.active.localHold',
      'call.active.localHold.notHeld',
      'call.active.localHold.holding',
      'call.active.localHold.holdRetryWait',
      'call.active.localHold.held',
      'call.active.localHold.resuming',
      'call.active.localHold.resumeRetryWait',
      'call.active.remoteHold',
      'call.active.remoteHold.notHeld',
      'call.active.remoteHold.held',
      'call.active.dtmf',
      'call.active.dtmf.idle',
      'call.active.dtmf.sending',
      'call.active.transfer',
      'call.active.transfer.idle',
      'call.active.transfer.referring',
      'call.ending',
      'call.ending.cancelling',
      'call.ending.hangingUp',
      'call.ending.rejecting',
      'call.ended',
    ]);
    const start = callStates.find((state) => state.id === 'call.start')!;
    expect(start.transitions.map((t) => [t.kind, t.guard, t.targets])).toEqual([
      ['always', 'isOutgoing', ['call.outgoing']],
      ['always', undefined, ['call.incoming']],
    ]);
    const outgoing = callStates.find((state) => state.id === 'call.outgoing')!;
    expect(outgoing.invokes.map((invoke) => invoke.src)).toEqual(['invite']);
    expect(outgoing.transitions.filter((t) => t.kind !== 'event').map((t) => [t.kind, t.label, t.targets])).toEqual([
      ['error', 'error invite', ['call.ended']],
      ['after', 'after unansweredTimeout', ['call.ending.cancelling']],
    ]);
    const active = callStates.find((state) => state.id === 'call.active')!;
    expect([active.type, active.tags]).toEqual(['parallel', ['active']]);
    expect(active.transitions.filter((t) => t.label === 'REMOTE_BYE').map((t) => t.guard)).toEqual([
      'wasReferred',
      undefined,
    ]);
    const ended = callStates.find((state) => state.id === 'call.ended')!;
    expect([ended.type, ended.tags, ended.entry]).toEqual(['final', ['ended'], ['markEnded', 'release']]);
  });

  it('draws the call machine beside the lifecycle machines: registry, statechartSvg and the docs', () => {
    expect(DIAGRAM_NAMES).toEqual([...MACHINE_NAMES, 'call']);
    expect(Object.keys(DIAGRAM_MACHINES).sort()).toEqual([...DIAGRAM_NAMES].sort());
    for (const name of DIAGRAM_NAMES) {
      const definition = describeMachine(DIAGRAM_MACHINES[name]);
      const svg = statechartSvg(name);
      expect(svg, name).toBe(toSvg(definition));
      expect(svg.startsWith('<svg'), name).toBe(true);
      for (const state of allStates(definition)) expect(svg, state.id).toContain(`data-state="${state.id}"`);
    }
    expect(files.get('docs/call.svg')).toBe(statechartSvg('call'));
    expect(files.get('docs/machines.md')).toContain(`## Call (\`call\`)\n\nSource: [machines/call.machine.ts]`);
    expect(() => statechartSvg('toString' as never)).toThrow(/must be one of userAgent, transport, registration, call/);
  });

  it('every state and every targeted transition appears in the Mermaid diagram', () => {
    for (const name of DIAGRAM_NAMES) {
      const definition = describeMachine(DIAGRAM_MACHINES[name]);
      const mermaid = toMermaid(definition);
      expect(mermaid.startsWith('stateDiagram-v2\n')).toBe(true);
      const states = allStates(definition).filter((state) => state !== definition.root);
      for (const state of states) {
        // A key used twice in a machine (the call's `ringing`, `notHeld`, `idle`) gets its path as node id, labelled
        // with the key.
        const unique = states.filter((other) => other.key === state.key).length === 1;
        const node = unique ? state.key : state.path.join('_');
        expect(mermaid, state.id).toMatch(new RegExp(`(^|\\s)${node}(\\s|$)`, 'm'));
        if (!unique) expect(mermaid, state.id).toContain(`state "${state.key}" as ${node}`);
      }
      const edges = mermaid.split('\n').filter((line) => line.includes(' --> ') && !line.includes('[*]'));
      const expected = states.flatMap((state) => state.transitions.flatMap((t) => t.targets)).length;
      expect(edges.length, name).toBe(expected);
      // Balanced composite blocks.
      expect(mermaid.match(/\{$/gm)?.length ?? 0).toBe(mermaid.match(/^\s*\}$/gm)?.length ?? 0);
    }
  });
});
