/**
 * Summarises a V8 CPU profile (node --cpu-prof): self time per function and per file, top N.
 *
 *   tsx bench/parser/profile-summary.ts <file.cpuprofile> [topN] [inclusive,function,names]
 *
 * With a third argument: also the inclusive time (self time of everything below) of each named function.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  children?: number[];
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [topN]');
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, index) => {
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
});

const byFunction = new Map<string, number>();
const byFile = new Map<string, number>();
let total = 0;
for (const [id, us] of selfUs) {
  const node = byId.get(id);
  if (!node) continue;
  total += us;
  const url = node.callFrame.url.replace(/^file:\/\//, '').replace(/.*node_modules\//, '');
  const short = url.split('/').slice(-3).join('/') || '(native)';
  const fn = `${node.callFrame.functionName || '(anonymous)'} ${short}:${node.callFrame.lineNumber + 1}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  const pkg =
    url.startsWith('/') || url.startsWith('node:') || url === ''
      ? url || node.callFrame.functionName
      : url.split('/')[0]!;
  byFile.set(pkg, (byFile.get(pkg) ?? 0) + us);
}
const pct = (us: number): string => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
console.log(`total sampled ${(total / 1000).toFixed(0)} ms`);
console.log('\nself time by function:');
for (const [fn, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)}  ${fn}`);
console.log('\nself time by package / file:');
for (const [pkg, us] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`${pct(us)}  ${pkg}`);

const inclusiveNames = (process.argv[4] ?? '').split(',').filter(Boolean);
if (inclusiveNames.length > 0) {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  console.log('\ninclusive time (samples with the function on the stack):');
  for (const name of inclusiveNames) {
    let us = 0;
    for (const [id, self] of selfUs) {
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        if (byId.get(at)?.callFrame.functionName === name) {
          us += self;
          break;
        }
      }
    }
    console.log(`${pct(us)}  ${name}`);
  }
}
