import { allStates, type MachineDefinition, type StateDefinition } from './definition';
import { internalLabel, edgeLabel } from './mermaid';

/**
 * Renders a machine definition as a standalone SVG of nested boxes: one box per state (children inside their parent,
 * parallel regions side by side with dashed borders), each listing its tag, the actors it invokes and its
 * transitions (`EVENT [guard] → target`). No browser and no network: the layout is computed here, with a monospace
 * font so text widths are known.
 *
 * Every state's group carries `data-state="<xstate id>"` and `data-tags`, which the live statechart view uses to
 * highlight the active states (class `active`).
 *
 * @example
 * ```ts
 * writeFileSync('transport.svg', toSvg(describeMachine(transportMachine)));
 * ```
 */
export function toSvg(definition: MachineDefinition): string {
  const byId = new Map(allStates(definition).map((state) => [state.id, state]));
  const box = layout(definition.root, byId, true);
  const width = Math.ceil(box.width + 2 * MARGIN);
  const height = Math.ceil(box.height + 2 * MARGIN);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="sipstate-statechart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" font-size="${FONT_SIZE}">`,
    `<style>${STYLE}</style>`,
    `<rect class="background" width="${width}" height="${height}"/>`,
    render(box, MARGIN, MARGIN),
    '</svg>',
    '',
  ].join('\n');
}

const FONT = 'DejaVu Sans Mono, Menlo, Consolas, monospace';
const FONT_SIZE = 12;
const CHAR_WIDTH = 7.3; // DejaVu Sans Mono at 12 px
const LINE = 16;
const PAD = 8;
const HEADER = 22;
const GAP = 12;
const MARGIN = 10;
const MAX_ROW_WIDTH = 900;

const STYLE = [
  '.background{fill:#ffffff}',
  '.box{fill:#f6f8fa;stroke:#57606a;stroke-width:1}',
  '.region>.box{fill:#ffffff;stroke-dasharray:5 3}',
  '.root>.box{fill:#ffffff}',
  '.title{font-weight:bold;fill:#1f2328}',
  '.tag{fill:#8250df}',
  '.line{fill:#424a53}',
  '.initial{fill:#1f2328}',
  '.active>.box{fill:#fff1c2;stroke:#bf8700;stroke-width:3}',
  '.active>.title{fill:#7d4e00}',
].join('');

interface Box {
  state: StateDefinition;
  kind: 'root' | 'region' | 'state';
  initial: boolean;
  title: string;
  tag?: string;
  lines: string[];
  width: number;
  height: number;
  children: { box: Box; x: number; y: number }[];
}

function textWidth(text: string): number {
  return text.length * CHAR_WIDTH;
}

function linesOf(state: StateDefinition, byId: Map<string, StateDefinition>): string[] {
  const lines: string[] = [];
  for (const invoke of state.invokes) lines.push(`invoke ${invoke.src}`);
  for (const entry of state.entry) lines.push(`entry / ${entry}`);
  for (const transition of state.transitions) {
    if (transition.kind === 'snapshot') continue;
    if (transition.targets.length === 0) {
      lines.push(internalLabel(transition));
      continue;
    }
    const targets = transition.targets.map((id) => byId.get(id)?.path.join('.') ?? id).join(', ');
    lines.push(`${edgeLabel(transition)} → ${targets}`);
  }
  return lines;
}

function layout(
  state: StateDefinition,
  byId: Map<string, StateDefinition>,
  isRoot: boolean,
  parent?: StateDefinition,
): Box {
  const kind: Box['kind'] = isRoot ? 'root' : parent?.type === 'parallel' ? 'region' : 'state';
  const title = isRoot ? `${state.key} machine` : state.key;
  const tag = state.tags.length ? `«${state.tags.join(', ')}»` : undefined;
  const lines = linesOf(state, byId);
  const children = state.states.map((child) => layout(child, byId, false, state));
  const headWidth = textWidth(title) + (tag ? textWidth(` ${tag}`) : 0) + 14;
  const textWidthMax = Math.max(headWidth, ...lines.map(textWidth));
  const placed: Box['children'] = [];
  let childrenWidth = 0;
  let childrenHeight = 0;
  if (children.length) {
    // Parallel regions in one row; other children flow left to right, wrapping at MAX_ROW_WIDTH.
    const wrap = state.type === 'parallel' ? Infinity : Math.max(MAX_ROW_WIDTH, textWidthMax);
    let x = 0;
    let y = 0;
    let rowHeight = 0;
    for (const child of children) {
      if (x > 0 && x + child.width > wrap) {
        x = 0;
        y += rowHeight + GAP;
        rowHeight = 0;
      }
      placed.push({ box: child, x, y });
      x += child.width + GAP;
      rowHeight = Math.max(rowHeight, child.height);
      childrenWidth = Math.max(childrenWidth, x - GAP);
    }
    childrenHeight = y + rowHeight;
  }
  const width = Math.max(textWidthMax, childrenWidth) + 2 * PAD;
  const height = HEADER + lines.length * LINE + (children.length ? childrenHeight + PAD : 0) + PAD;
  return {
    state,
    kind,
    initial: parent?.initial === state.key && parent.type !== 'parallel',
    title,
    ...(tag && { tag }),
    lines,
    width,
    height,
    children: placed,
  };
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function render(box: Box, x: number, y: number): string {
  const { state } = box;
  const out: string[] = [];
  const classes = ['state', box.kind === 'state' ? '' : box.kind, state.type === 'final' ? 'final' : ''].filter(
    Boolean,
  );
  out.push(
    `<g class="${classes.join(' ')}" data-state="${escapeXml(state.id)}" data-tags="${escapeXml(state.tags.join(' '))}" transform="translate(${round(x)},${round(y)})">`,
  );
  out.push(`<rect class="box" width="${round(box.width)}" height="${round(box.height)}" rx="6"/>`);
  if (state.type === 'final') {
    out.push(
      `<rect class="box" x="3" y="3" width="${round(box.width - 6)}" height="${round(box.height - 6)}" rx="4"/>`,
    );
  }
  let titleX = PAD;
  if (box.initial) {
    out.push(`<circle class="initial" cx="${PAD + 4}" cy="${HEADER / 2 + 1}" r="4"/>`);
    titleX += 13;
  }
  out.push(`<text class="title" x="${titleX}" y="${HEADER - 6}">${escapeXml(box.title)}</text>`);
  if (box.tag) {
    out.push(
      `<text class="tag" x="${round(titleX + textWidth(`${box.title} `))}" y="${HEADER - 6}">${escapeXml(box.tag)}</text>`,
    );
  }
  box.lines.forEach((line, index) => {
    out.push(`<text class="line" x="${PAD}" y="${HEADER + index * LINE + 11}">${escapeXml(line)}</text>`);
  });
  const top = HEADER + box.lines.length * LINE;
  for (const child of box.children) out.push(render(child.box, PAD + child.x, top + child.y));
  out.push('</g>');
  return out.join('\n');
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
