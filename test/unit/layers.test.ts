import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

// The layers, as the project's guide states them: machines/ is the pure specification (it imports only xstate and
// its own files); src/ binds sip.js and builds the facade on top of it. An import that crosses the wrong way fails here.

const root = resolve(import.meta.dirname, '../..');

/** Every .ts file under `dir`, relative to the repository root, with '/' separators. */
function tsFiles(dir: string): string[] {
  return readdirSync(resolve(root, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
}

/**
 * The module specifiers a file imports or re-exports: static `import`/`export ... from`, side-effect `import '...'`,
 * dynamic `import('...')` and `require('...')`. Comments are removed first, so a TSDoc `@example` that shows
 * `import { x } from 'sipstate/machines'` is not taken for an import.
 */
function importsOf(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const patterns = [
    /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  return patterns.flatMap((pattern) => [...code.matchAll(pattern)].map((match) => match[1]!));
}

/** What is wrong with one import of a machines/ file, or undefined when it is allowed. */
function machinesViolation(file: string, specifier: string): string | undefined {
  if (specifier === 'xstate') return undefined;
  if (!specifier.startsWith('.'))
    return `${file} imports the package ${JSON.stringify(specifier)}: machines/ may import only xstate`;
  const target = relative(root, resolve(root, dirname(file), specifier))
    .split(sep)
    .join('/');
  if (target === 'machines' || target.startsWith('machines/')) return undefined;
  return `${file} imports ${JSON.stringify(specifier)} (${target}), outside machines/`;
}

const machineFiles = tsFiles('machines');
const srcFiles = tsFiles('src');

describe('layers', () => {
  it('finds the files it checks', () => {
    expect(machineFiles).toEqual(
      expect.arrayContaining(['machines/index.ts', 'machines/errors.ts', 'machines/transport.machine.ts']),
    );
    expect(srcFiles).toEqual(expect.arrayContaining(['src/client.ts', 'src/errors.ts', 'src/diagram/definition.ts']));
  });

  it('the import scanner sees every form of import, and none in comments', () => {
    const sample = [
      "import { a } from 'xstate';",
      "import type { B } from '../src/b';",
      "export { c } from './c';",
      "export * from './d';",
      "import './e';",
      "const f = await import('../src/f');",
      "const g = require('sip.js');",
      "import {\n  h,\n  type H,\n} from './h';",
      "/** @example\n * import { x } from 'sipstate/machines';\n */",
      "// import { y } from '../src/y';",
    ].join('\n');
    expect(importsOf(sample).sort()).toEqual(
      ['../src/b', '../src/f', './c', './d', './e', './h', 'sip.js', 'xstate'].sort(),
    );
  });

  it('machines/ imports only xstate and its own files', () => {
    const violations = machineFiles.flatMap((file) =>
      importsOf(readFileSync(resolve(root, file), 'utf8')).flatMap(
        (specifier) => machinesViolation(file, specifier) ?? [],
      ),
    );
    expect(violations).toEqual([]);
  });

  it('no src/ file is imported by machines/ (the dependency goes one way: src/ -> machines/)', () => {
    const srcSet = new Set(srcFiles.map((file) => file.replace(/\.ts$/, '')));
    const crossings = machineFiles.flatMap((file) =>
      importsOf(readFileSync(resolve(root, file), 'utf8'))
        .filter((specifier) => specifier.startsWith('.'))
        .map((specifier) =>
          relative(root, resolve(root, dirname(file), specifier))
            .split(sep)
            .join('/')
            .replace(/\.ts$/, ''),
        )
        .filter(
          (target) =>
            srcSet.has(target) || srcSet.has(`${target}/index`) || target === 'src' || target.startsWith('src/'),
        )
        .map((target) => `${file} -> ${target}`),
    );
    expect(crossings).toEqual([]);
  });

  it('machines/index.ts names what it exports (no `export *`)', () => {
    const index = readFileSync(resolve(root, 'machines/index.ts'), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
    expect(index).not.toMatch(/\bexport\s*\*/);
    expect(index).not.toMatch(/\bexport\s+type\s*\*/);
  });

  it('the machines checked here are the ones src/ builds on (src/ does import machines/)', () => {
    const importers = srcFiles.filter((file) =>
      importsOf(readFileSync(resolve(root, file), 'utf8')).some((specifier) => specifier.includes('machines/')),
    );
    expect(importers).toEqual(expect.arrayContaining(['src/client-machine.ts', 'src/errors.ts']));
  });
});
