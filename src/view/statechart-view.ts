import { describeMachine, DIAGRAM_MACHINES, MACHINES, type DiagramName, type MachineName } from '../diagram/definition';
import { toSvg } from '../diagram/svg';
import type { SipClientState } from '../state';

/**
 * A live statechart: one of sipstate's machines drawn as nested boxes (the same drawing as `docs/*.svg`, from the
 * machine's definition), with the states that carry the client's current status highlighted. Framework-free: it
 * needs a DOM element and anything with a `state$` stream (a `SipClient`).
 *
 * The client's streams carry statuses, and every state of a machine carries its status as a tag, so the view
 * highlights exactly the states tagged with the current status (for the transport's `reconnecting`: `attemptFailed`,
 * `waitingToReconnect` and `reconnecting`). Highlighted groups get the class `active`; the container gets
 * `data-machine` and `data-status`.
 *
 * @example
 * ```ts
 * import { mountStatechart } from 'sipstate/view';
 *
 * const view = mountStatechart(document.getElementById('chart')!, client, { machine: 'transport' });
 * // later
 * view.dispose();
 * ```
 */
export function mountStatechart(
  element: Element,
  client: StatechartSource,
  options: StatechartViewOptions = {},
): StatechartView {
  const machine = options.machine ?? 'registration';
  if (!Object.hasOwn(MACHINES, machine)) {
    throw new TypeError(
      `sipstate/view: \`machine\` must be one of ${Object.keys(MACHINES).join(', ')}, got ${JSON.stringify(machine)}`,
    );
  }
  const previous = element.innerHTML;
  element.innerHTML = statechartSvg(machine);
  element.setAttribute('data-machine', machine);
  const groups = Array.from(element.querySelectorAll<SVGGElement>('g[data-state]'));

  const show = (state: SipClientState): void => {
    const status = statusOf(machine, state);
    element.setAttribute('data-status', status);
    for (const group of groups) {
      const tags = (group.getAttribute('data-tags') ?? '').split(' ');
      group.classList.toggle('active', tags.includes(status));
    }
  };

  let disposed = false;
  const subscription = client.state$.subscribe(show);
  return {
    machine,
    activeStates: () =>
      groups.filter((group) => group.classList.contains('active')).map((group) => group.getAttribute('data-state')!),
    dispose: () => {
      if (disposed) return;
      disposed = true;
      subscription.unsubscribe();
      element.innerHTML = previous;
      element.removeAttribute('data-machine');
      element.removeAttribute('data-status');
    },
  };
}

/**
 * Options of {@link mountStatechart}.
 *
 * @example
 * ```ts
 * const options: StatechartViewOptions = { machine: 'transport' };
 * ```
 */
export interface StatechartViewOptions {
  /**
   * Which of the client's machines to draw: `'userAgent'`, `'transport'` or `'registration'` (default). The call
   * machine follows a call, not the client: draw it with `statechartSvg('call')`.
   */
  machine?: MachineName;
}

/**
 * What {@link mountStatechart} needs from a client: its combined state stream (a `SipClient` fits).
 *
 * @example
 * ```ts
 * const source: StatechartSource = client; // createSipClient(...)
 * ```
 */
export interface StatechartSource {
  readonly state$: { subscribe(next: (state: SipClientState) => void): { unsubscribe(): void } };
}

/**
 * A mounted statechart view.
 *
 * @example
 * ```ts
 * const view: StatechartView = mountStatechart(element, client);
 * view.activeStates(); // ['registration.binding.active.registered']
 * view.dispose();
 * ```
 */
export interface StatechartView {
  readonly machine: MachineName;
  /** Ids of the highlighted states (`transport.waitingToReconnect`, ...), for tests and tooling. */
  activeStates(): string[];
  /** Stops listening to the client and restores the element's previous content. */
  dispose(): void;
}

export type { DiagramName, MachineName };

/**
 * The SVG markup the view draws for a machine (standalone, also usable without a client): one of the lifecycle
 * machines (`'userAgent'`, `'transport'`, `'registration'`) or the call machine (`'call'`).
 *
 * @example
 * ```ts
 * container.innerHTML = statechartSvg('transport');
 * callPanel.innerHTML = statechartSvg('call');
 * ```
 */
export function statechartSvg(machine: DiagramName): string {
  if (!Object.hasOwn(DIAGRAM_MACHINES, machine)) {
    throw new TypeError(
      `sipstate/view: machine must be one of ${Object.keys(DIAGRAM_MACHINES).join(', ')}, got ${JSON.stringify(machine)}`,
    );
  }
  return toSvg(describeMachine(DIAGRAM_MACHINES[machine]));
}

function statusOf(machine: MachineName, state: SipClientState): string {
  if (machine === 'userAgent') return state.userAgent.status;
  if (machine === 'transport') return state.transport.status;
  return state.registration.status;
}
