/**
 * `sipstate diagram`: a machine's diagram as Mermaid, JSON or SVG, generated from its definition.
 *
 * @example
 * ```ts
 * process.exitCode = await diagram(['transport', '--format', 'json']);
 * ```
 */
import { describeMachine, DIAGRAM_MACHINES, DIAGRAM_NAMES, type DiagramName } from '../diagram/definition';
import { toMermaid } from '../diagram/mermaid';
import { toSvg } from '../diagram/svg';
import { parse } from './args';
import { HELP } from './help';
import { EXIT_OK, out, UsageError } from './io';

const MACHINE_ALIASES: Record<string, DiagramName> = {
  useragent: 'userAgent',
  'user-agent': 'userAgent',
  ua: 'userAgent',
  transport: 'transport',
  registration: 'registration',
  call: 'call',
};

export async function diagram(args: string[]): Promise<number> {
  const { values, positionals } = parse('diagram', args, { format: { type: 'string', default: 'mermaid' } }, true);
  if (values.help) {
    out(HELP.diagram);
    return EXIT_OK;
  }
  if (positionals.length > 1) throw new UsageError(`expected at most one machine, got ${positionals.join(' ')}`);
  const format = values.format as string;
  if (!['mermaid', 'json', 'svg'].includes(format))
    throw new UsageError(`--format must be mermaid, json or svg, got ${JSON.stringify(format)}`);
  let names: DiagramName[] = [...DIAGRAM_NAMES];
  if (positionals[0] !== undefined) {
    const name = Object.hasOwn(MACHINE_ALIASES, positionals[0].toLowerCase())
      ? MACHINE_ALIASES[positionals[0].toLowerCase()]
      : undefined;
    if (!name)
      throw new UsageError(
        `unknown machine ${JSON.stringify(positionals[0])}: expected userAgent, transport, registration or call`,
      );
    names = [name];
  }
  if (format === 'svg' && names.length !== 1)
    throw new UsageError('--format svg draws one machine: name it (userAgent, transport, registration or call)');
  const definitions = names.map((name) => describeMachine(DIAGRAM_MACHINES[name]));
  if (format === 'json') out(JSON.stringify(definitions.length === 1 ? definitions[0] : definitions, null, 2));
  else if (format === 'svg') process.stdout.write(toSvg(definitions[0]!));
  else
    process.stdout.write(definitions.map((definition) => `%% ${definition.id}\n${toMermaid(definition)}`).join('\n'));
  return EXIT_OK;
}
