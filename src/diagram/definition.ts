import type { AnyStateMachine } from 'xstate';
import { callMachine } from '../../machines/call.machine';
import { registrationMachine } from '../../machines/registration.machine';
import { transportMachine } from '../../machines/transport.machine';
import { userAgentMachine } from '../../machines/user-agent.machine';

/**
 * A machine's definition as plain data, read off XState's StateNode tree (`machine.root`): what the diagrams, the
 * statechart view and `sipstate diagram --format json` are all drawn from, so none of them is drawn by hand.
 *
 * @example
 * ```ts
 * import { describeMachine, MACHINES } from './definition';
 * const definition = describeMachine(MACHINES.registration);
 * definition.root.states.map((state) => state.key); // ['link', 'binding']
 * ```
 */
export interface MachineDefinition {
  /** The machine's id (`transport`, `registration`, `userAgent`, `call`). */
  id: string;
  root: StateDefinition;
}

/** One state node. */
export interface StateDefinition {
  /** XState's id: the machine id and the path, dot-separated (`registration.binding.active`). */
  id: string;
  /** The key under its parent (`active`); the machine id for the root. */
  key: string;
  /** Keys from the root down, the root excluded (`['binding', 'active']`). */
  path: string[];
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  /** Key of the initial child, for compound states. */
  initial?: string;
  tags: string[];
  /** Actors invoked while in this state. */
  invokes: InvokeDefinition[];
  entry: string[];
  exit: string[];
  /** Transitions defined on this node, in definition order. */
  transitions: TransitionDefinition[];
  states: StateDefinition[];
}

/** An actor invoked by a state. */
export interface InvokeDefinition {
  id: string;
  /** The actor's name in `setup({ actors })`. */
  src: string;
}

/** One transition. */
export interface TransitionDefinition {
  /**
   * - `event`: on an event sent to the machine (`event` holds its type);
   * - `after`: a named delay (`delay`);
   * - `done` / `error`: an invoked actor finished or failed (`actor` holds its src);
   * - `always`: eventless, taken as soon as its guard holds;
   * - `snapshot`: an invoked actor's snapshot changed (`onSnapshot`; `actor` holds its src).
   */
  kind: 'event' | 'after' | 'always' | 'done' | 'error' | 'snapshot';
  /** XState's event type (`CONNECT`, `xstate.after.connectTimeout.transport.connecting`, ...); '' for `always`. */
  event: string;
  /** Short human label: `CONNECT`, `after connectTimeout`, `done connectTransport`, `always`. */
  label: string;
  delay?: string;
  actor?: string;
  /** The guard, by name (`linkUp`, `halted and restartRequested`). */
  guard?: string;
  /** Ids of the target states; empty for a transition that only runs actions. */
  targets: string[];
  actions: string[];
  reenter: boolean;
}

/** The lifecycle machines by id, as `sipstate/machines` exports them. */
export const MACHINES = {
  userAgent: userAgentMachine,
  transport: transportMachine,
  registration: registrationMachine,
} as const satisfies Record<string, AnyStateMachine>;

/** A machine name accepted by {@link describeMachine}'s callers: `userAgent`, `transport`, `registration`. */
export type MachineName = keyof typeof MACHINES;

/** The machine names, parents first. */
export const MACHINE_NAMES: readonly MachineName[] = ['userAgent', 'transport', 'registration'];

/**
 * Every machine that can be drawn: the three lifecycle machines of the client's tree, and the call machine (one actor
 * per call, not part of that tree, so not in {@link MACHINES}).
 *
 * @example
 * ```ts
 * const definition = describeMachine(DIAGRAM_MACHINES.call);
 * definition.id; // 'call'
 * ```
 */
export const DIAGRAM_MACHINES = {
  ...MACHINES,
  call: callMachine,
} as const satisfies Record<string, AnyStateMachine>;

/** A machine that can be drawn: {@link MachineName} or `call`. */
export type DiagramName = keyof typeof DIAGRAM_MACHINES;

/** The drawable machine names: the lifecycle machines, parents first, then the call machine. */
export const DIAGRAM_NAMES: readonly DiagramName[] = [...MACHINE_NAMES, 'call'];

// The structural parts of xstate's StateNode this walker reads (its public fields, typed loosely enough to walk).
interface NodeLike {
  id: string;
  key: string;
  path: string[];
  type: StateDefinition['type'];
  config: { initial?: unknown };
  tags: string[];
  invoke: { id: string; src: unknown }[];
  entry: unknown[];
  exit: unknown[];
  states: Record<string, NodeLike>;
  transitions: Map<string, TransitionLike[]>;
  always?: TransitionLike[];
}

interface TransitionLike {
  eventType: string;
  target?: readonly { id: string }[];
  guard?: unknown;
  actions: readonly unknown[];
  reenter: boolean;
  delay?: unknown;
}

/** Name of an action or guard: a string, `{ type }`, or one of XState's built-ins (which carry a `type`). */
function nameOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'function') {
    const built = value as { type?: string; guards?: unknown[]; stateValue?: unknown };
    // and()/or()/not() carry their operands in `guards`; stateIn() its target in `stateValue`.
    if (Array.isArray(built.guards)) {
      const parts = built.guards.map(nameOf);
      if (value.name === 'not') return `not ${parts[0]}`;
      return parts.join(value.name === 'or' ? ' or ' : ' and ');
    }
    if (built.stateValue !== undefined) return `in ${String(built.stateValue)}`;
    if (typeof built.type === 'string') return built.type.replace(/^xstate\./, '');
    return value.name || 'inline';
  }
  if (value && typeof value === 'object' && typeof (value as { type?: unknown }).type === 'string') {
    return (value as { type: string }).type;
  }
  return 'inline';
}

function describeTransition(node: NodeLike, transition: TransitionLike, always = false): TransitionDefinition {
  const event = always ? '' : transition.eventType;
  const base = {
    event,
    targets: (transition.target ?? []).map((target) => target.id),
    actions: transition.actions.map(nameOf),
    reenter: transition.reenter,
    ...(transition.guard !== undefined && { guard: nameOf(transition.guard) }),
  };
  if (always) return { kind: 'always', label: 'always', ...base };
  if (transition.delay !== undefined || event.startsWith('xstate.after.')) {
    const delay =
      typeof transition.delay === 'string' || typeof transition.delay === 'number'
        ? String(transition.delay)
        : event.slice('xstate.after.'.length).split('.')[0]!;
    return { kind: 'after', label: `after ${delay}`, delay, ...base };
  }
  for (const kind of ['done', 'error'] as const) {
    const prefix = `xstate.${kind}.actor.`;
    if (event.startsWith(prefix)) {
      const invokeId = event.slice(prefix.length);
      const invoked = node.invoke.find((invoke) => invoke.id === invokeId);
      const actor = invoked ? nameOf(invoked.src) : invokeId;
      return { kind, label: `${kind} ${actor}`, actor, ...base };
    }
  }
  if (event.startsWith('xstate.snapshot.')) {
    const invokeId = event.slice('xstate.snapshot.'.length);
    const invoked = node.invoke.find((invoke) => invoke.id === invokeId);
    const actor = invoked ? nameOf(invoked.src) : invokeId;
    return { kind: 'snapshot', label: `snapshot ${actor}`, actor, ...base };
  }
  if (event.startsWith('xstate.done.state.')) return { kind: 'done', label: 'done', ...base };
  return { kind: 'event', label: event, ...base };
}

/** False for the raise/cancel actions XState adds itself to schedule and cancel `after` delays. */
function isUserAction(action: unknown): boolean {
  const built = action as { type?: string; delay?: unknown };
  if (typeof action !== 'function') return true;
  if (built.type === 'xstate.raise' && built.delay !== undefined) return false;
  return built.type !== 'xstate.cancel';
}

function describeState(node: NodeLike): StateDefinition {
  const transitions: TransitionDefinition[] = [];
  for (const list of node.transitions.values()) {
    for (const transition of list) transitions.push(describeTransition(node, transition));
  }
  for (const transition of node.always ?? []) transitions.push(describeTransition(node, transition, true));
  const initial = node.config.initial;
  return {
    id: node.id,
    key: node.key,
    path: [...node.path],
    type: node.type,
    ...(typeof initial === 'string' && { initial }),
    tags: [...node.tags],
    invokes: node.invoke.map((invoke) => ({ id: invoke.id, src: nameOf(invoke.src) })),
    entry: node.entry.filter(isUserAction).map(nameOf),
    exit: node.exit.filter(isUserAction).map(nameOf),
    transitions,
    states: Object.values(node.states).map(describeState),
  };
}

/**
 * Reads a machine's definition off its StateNode tree.
 *
 * @example
 * ```ts
 * describeMachine(transportMachine).root.states.find((s) => s.key === 'connecting')?.invokes; // [{ src: 'connectTransport', ... }]
 * ```
 */
export function describeMachine(machine: AnyStateMachine): MachineDefinition {
  const root = machine.root as unknown as NodeLike;
  return { id: machine.id, root: describeState(root) };
}

/**
 * Every state node of a definition, depth first, root included.
 *
 * @example
 * ```ts
 * allStates(describeMachine(transportMachine)).map((s) => s.id);
 * ```
 */
export function allStates(definition: MachineDefinition): StateDefinition[] {
  const out: StateDefinition[] = [];
  const visit = (state: StateDefinition): void => {
    out.push(state);
    state.states.forEach(visit);
  };
  visit(definition.root);
  return out;
}

/**
 * Ids of the state nodes active in an XState state value (`{ binding: { active: 'registering' }, link: 'up' }`),
 * ancestors included.
 *
 * @example
 * ```ts
 * activeStateIds('transport', { connected: 'idle' }); // ['transport', 'transport.connected', 'transport.connected.idle']
 * ```
 */
export function activeStateIds(machineId: string, value: unknown): string[] {
  const ids = [machineId];
  const walk = (prefix: string, v: unknown): void => {
    if (typeof v === 'string') {
      ids.push(`${prefix}.${v}`);
      return;
    }
    if (v && typeof v === 'object') {
      for (const [key, child] of Object.entries(v as Record<string, unknown>)) {
        ids.push(`${prefix}.${key}`);
        walk(`${prefix}.${key}`, child);
      }
    }
  };
  walk(machineId, value);
  return ids;
}
