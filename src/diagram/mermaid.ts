import { allStates, type MachineDefinition, type StateDefinition, type TransitionDefinition } from './definition';

/**
 * Renders a machine definition as a Mermaid `stateDiagram-v2`: one node per state (composite states nest, parallel
 * regions are split with `--`), one edge per transition labelled with its event and guard (`after <delay>` for
 * delays, `done <actor>` / `error <actor>` for invoked actors, `always` for eventless ones). Each state lists its tag
 * (`tag registering`), the actors it invokes and the transitions that only run actions.
 *
 * @example
 * ```ts
 * toMermaid(describeMachine(transportMachine)); // 'stateDiagram-v2\n  ...'
 * ```
 */
export function toMermaid(definition: MachineDefinition): string {
  const states = allStates(definition).filter((state) => state !== definition.root);
  const byId = new Map(states.map((state) => [state.id, state]));
  const keyCount = new Map<string, number>();
  for (const state of states) keyCount.set(state.key, (keyCount.get(state.key) ?? 0) + 1);
  // Mermaid ids are global to the diagram: the key when it is unique in the machine, else the path.
  const nodeId = (state: StateDefinition): string => (keyCount.get(state.key) === 1 ? state.key : state.path.join('_'));
  const parentOf = (state: StateDefinition): string => state.id.slice(0, state.id.lastIndexOf('.'));

  const lines: string[] = ['stateDiagram-v2'];
  const crossEdges: string[] = [];

  const edgesOf = (state: StateDefinition, indent: string, out: string[]): void => {
    for (const transition of state.transitions) {
      for (const targetId of transition.targets) {
        const target = byId.get(targetId);
        if (!target) continue;
        const edge = `${nodeId(state)} --> ${nodeId(target)} : ${edgeLabel(transition)}`;
        // Edges between siblings go in their parent's block; the others at the top, once every state is declared.
        if (parentOf(target) === parentOf(state)) out.push(`${indent}${edge}`);
        else crossEdges.push(`  ${edge}`);
      }
    }
  };

  const notesOf = (state: StateDefinition): string[] => {
    const notes: string[] = [];
    if (state.tags.length) notes.push(`tag ${state.tags.join(', ')}`);
    for (const invoke of state.invokes) notes.push(`invoke ${invoke.src}`);
    for (const transition of state.transitions) {
      if (transition.targets.length === 0 && transition.kind !== 'snapshot') notes.push(internalLabel(transition));
    }
    return notes;
  };

  const emitChildren = (parent: StateDefinition, indent: string): void => {
    const regions = parent.type === 'parallel';
    parent.states.forEach((child, index) => {
      // Mermaid accepts the region separator only inside a composite state, not at the top level.
      if (regions && index > 0 && parent !== definition.root) lines.push(`${indent}--`);
      emitState(child, indent);
    });
    if (!regions && parent.initial) {
      const initial = parent.states.find((child) => child.key === parent.initial);
      if (initial) lines.push(`${indent}[*] --> ${nodeId(initial)}`);
    }
    for (const child of parent.states) edgesOf(child, indent, lines);
    for (const child of parent.states) if (child.type === 'final') lines.push(`${indent}${nodeId(child)} --> [*]`);
  };

  const emitState = (state: StateDefinition, indent: string): void => {
    const id = nodeId(state);
    const notes = notesOf(state);
    // Declared with its name first: otherwise Mermaid titles the box with its first description line.
    if (id !== state.key || state.states.length === 0) lines.push(`${indent}state "${state.key}" as ${id}`);
    if (state.states.length === 0) {
      for (const note of notes) lines.push(`${indent}${id} : ${note}`);
      return;
    }
    lines.push(`${indent}state ${id} {`);
    emitChildren(state, `${indent}  `);
    lines.push(`${indent}}`);
    // Composite states show no description lines in Mermaid: their tag and actors go in a note.
    if (notes.length)
      lines.push(`${indent}note right of ${id}`, ...notes.map((note) => `${indent}  ${note}`), `${indent}end note`);
  };

  emitChildren(definition.root, '  ');
  lines.push(...crossEdges);
  return `${lines.join('\n')}\n`;
}

/** Label of a transition edge: `EVENT [guard]`. */
export function edgeLabel(transition: TransitionDefinition): string {
  const label = transition.guard ? `${transition.label} [${transition.guard}]` : transition.label;
  return sanitize(transition.reenter ? `${label} (re-enter)` : label);
}

/** A transition with no target: `EVENT [guard] / actions`, or `EVENT (ignored)`. */
export function internalLabel(transition: TransitionDefinition): string {
  const head = transition.guard ? `${transition.label} [${transition.guard}]` : transition.label;
  return sanitize(transition.actions.length ? `${head} / ${transition.actions.join(', ')}` : `${head} (ignored)`);
}

// Mermaid reads `:` and `;` and `#` specially in labels; the machines' names never need them.
function sanitize(text: string): string {
  return text.replace(/[:;#]/g, ' ');
}
