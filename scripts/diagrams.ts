/**
 * Writes docs/machines.md (Mermaid) and docs/<machine>.svg from the machine definitions. Run: `npm run diagrams`.
 * test/unit/diagrams.test.ts fails when the committed files differ from what this would write.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { renderDiagramFiles } from '../src/diagram/docs';

const root = resolve(import.meta.dirname, '..');
for (const [path, content] of renderDiagramFiles()) {
  const target = resolve(root, path);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, content);
  console.log(`wrote ${path}`);
}
