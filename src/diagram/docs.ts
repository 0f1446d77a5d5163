import type { AnyStateMachine } from 'xstate';
import {
  describeMachine,
  DIAGRAM_MACHINES,
  DIAGRAM_NAMES,
  type DiagramName,
  type MachineDefinition,
} from './definition';
import { internalLabel, toMermaid } from './mermaid';
import { toSvg } from './svg';

/** Title, source file and SVG file of each machine in the docs. */
export const MACHINE_DOCS: Readonly<Record<DiagramName, { title: string; source: string; svg: string }>> = {
  userAgent: { title: 'User agent', source: 'machines/user-agent.machine.ts', svg: 'user-agent.svg' },
  transport: { title: 'Transport', source: 'machines/transport.machine.ts', svg: 'transport.svg' },
  registration: { title: 'Registration', source: 'machines/registration.machine.ts', svg: 'registration.svg' },
  call: { title: 'Call', source: 'machines/call.machine.ts', svg: 'call.svg' },
};

const LEGEND = `Each diagram is generated from the machine's definition (\`machine.root\`, XState's StateNode tree) by
\`npm run diagrams\` ([scripts/diagrams.ts](../scripts/diagrams.ts)); a test fails when this file or an SVG is stale.
Do not edit by hand.

Legend:

- Edge labels: \`EVENT\` is an event sent to the machine; \`after <delay>\` a named delay (XState cancels it when the
  state is left); \`done <actor>\` / \`error <actor>\` an invoked actor finished or failed; \`always\` an eventless
  transition taken as soon as its guard holds; \`[guard]\` the named guard; \`(re-enter)\` the state is left and entered
  again.
- State lines: \`tag <status>\` is the public status the state reports (\`client.transport$\` etc.); \`invoke <actor>\`
  an actor running while in the state; \`EVENT / action\` an event handled without leaving the state; \`(ignored)\`
  an event accepted and deliberately dropped.
- Composite states nest; parallel regions are separated by a dashed line (in the registration machine, \`link\` and
  \`binding\` run side by side).
- The SVGs show the same definitions as nested boxes (no Mermaid needed to view them); the live view
  (\`sipstate/view\`) draws the same boxes and highlights the states whose tag is the client's current status.`;

function rootNotes(definition: MachineDefinition): string[] {
  const notes: string[] = [];
  const { root } = definition;
  if (root.invokes.length) {
    notes.push(
      `- Invoked for the machine's whole life: ${root.invokes.map((invoke) => `\`${invoke.src}\``).join(', ')}.`,
    );
  }
  const handled = root.transitions.filter((transition) => transition.targets.length === 0);
  if (handled.length) {
    notes.push(
      `- Handled in every state: ${handled.map((transition) => `\`${internalLabel(transition)}\``).join('; ')}.`,
    );
  }
  return notes;
}

/**
 * Every generated documentation file, path (relative to the repository root) to content: `docs/machines.md` and one
 * SVG per machine. `npm run diagrams` writes them; the staleness test compares them with the files on disk.
 *
 * @example
 * ```ts
 * for (const [path, content] of renderDiagramFiles()) writeFileSync(path, content);
 * ```
 */
export function renderDiagramFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const sections: string[] = ['# The lifecycle machines', '', LEGEND];
  // The three lifecycle machines, then the machine each call runs (one actor per call, not part of the client's tree).
  const documented: { machine: AnyStateMachine; title: string; source: string; svg: string }[] = DIAGRAM_NAMES.map(
    (name) => ({ machine: DIAGRAM_MACHINES[name] as AnyStateMachine, ...MACHINE_DOCS[name] }),
  );
  for (const { machine, ...doc } of documented) {
    const definition = describeMachine(machine);
    sections.push(
      '',
      `## ${doc.title} (\`${definition.id}\`)`,
      '',
      `Source: [${doc.source}](../${doc.source}) · SVG: [${doc.svg}](${doc.svg})`,
      '',
      '```mermaid',
      toMermaid(definition).trimEnd(),
      '```',
    );
    const notes = rootNotes(definition);
    if (notes.length) sections.push('', ...notes);
    files.set(`docs/${doc.svg}`, toSvg(definition));
  }
  files.set('docs/machines.md', `${sections.join('\n')}\n`);
  return files;
}
