import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allStates, describeMachine, MACHINE_NAMES, MACHINES } from '../../src/diagram/definition';
import { renderDiagramFiles } from '../../src/diagram/docs';
import { toMermaid } from '../../src/diagram/mermaid';

const root = resolve(import.meta.dirname, '../..');

describe('generated diagrams', () => {
  const files = renderDiagramFiles();

  it('docs/machines.md and every SVG match the machine definitions (run `npm run diagrams` if not)', () => {
    expect([...files.keys()].sort()).toEqual(['docs/call.svg', 'docs/machines.md', 'docs/registration.svg', 'docs/transport.svg', 'docs/user-agent.svg']);
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
    expect(binding.transitions[0]).toMatchObject({ label: 'REGISTER', guard: 'linkUp', targets: ['registration.binding.active.registering'] });
  });

  it('every state and every targeted transition appears in the Mermaid diagram', () => {
    for (const name of MACHINE_NAMES) {
      const definition = describeMachine(MACHINES[name]);
      const mermaid = toMermaid(definition);
      expect(mermaid.startsWith('stateDiagram-v2\n')).toBe(true);
      const states = allStates(definition).filter((state) => state !== definition.root);
      for (const state of states) expect(mermaid, state.id).toMatch(new RegExp(`(^|\\s)${state.key}(\\s|$)`, 'm'));
      const edges = mermaid.split('\n').filter((line) => line.includes(' --> ') && !line.includes('[*]'));
      const expected = states.flatMap((state) => state.transitions.flatMap((t) => t.targets)).length;
      expect(edges.length, name).toBe(expected);
      // Balanced composite blocks.
      expect(mermaid.match(/\{$/gm)?.length ?? 0).toBe(mermaid.match(/^\s*\}$/gm)?.length ?? 0);
    }
  });
});
