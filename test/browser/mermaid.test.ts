import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { chromiumOptions } from '../support/chromium';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyStateMachine } from 'xstate';
import { callMachine } from '../../machines/call.machine';
import { allStates, describeMachine, MACHINE_NAMES, MACHINES } from '../../src/diagram/definition';

// The Mermaid in docs/machines.md, rendered by the `mermaid` package (what GitHub uses) in Debian's Chromium, offline:
// it must parse, lay out, and show every state and every transition.

const ROOT = resolve(import.meta.dirname, '../..');
const MERMAID = createRequire(import.meta.url).resolve('mermaid/dist/mermaid.min.js');

let profile: string;
let browser: BrowserContext;
let page: Page;

beforeAll(async () => {
  profile = mkdtempSync(join(tmpdir(), 'sipstate-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    ...chromiumOptions(),
  });
  page = await browser.newPage();
  await page.setContent('<!doctype html><html><body><div id="out"></div></body></html>');
  await page.addScriptTag({ path: MERMAID });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe('docs/machines.md renders with Mermaid', () => {
  it('each diagram parses and shows every state and every transition', async () => {
    const markdown = readFileSync(resolve(ROOT, 'docs/machines.md'), 'utf8');
    const blocks = [...markdown.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((match) => match[1]!);
    // The lifecycle machines, then the call machine, in the order docs/machines.md lists them.
    const machines: [string, AnyStateMachine][] = [
      ...MACHINE_NAMES.map((name) => [name, MACHINES[name]] as [string, AnyStateMachine]),
      ['call', callMachine],
    ];
    expect(blocks).toHaveLength(machines.length);
    for (const [index, [name, machine]] of machines.entries()) {
      const rendered = await page.evaluate(
        async ([id, text]) => {
          const mermaid = (
            window as unknown as {
              mermaid: { initialize(o: object): void; render(id: string, text: string): Promise<{ svg: string }> };
            }
          ).mermaid;
          mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });
          try {
            const { svg } = await mermaid.render(id, text);
            const out = document.getElementById('out')!;
            out.innerHTML = svg;
            return {
              error: undefined,
              // The rendered text, as a reader sees it (innerText skips what CSS hides; textContent would not).
              // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what is checked
              text: out.innerText,
              edgeLabels: Array.from(out.querySelectorAll('g.edgeLabel'))
                .map((label) => (label.textContent ?? '').trim())
                .filter(Boolean),
            };
          } catch (error) {
            return { error: String(error), text: '', edgeLabels: [] as string[] };
          }
        },
        [`diagram-${name}`, blocks[index]!] as const,
      );
      expect(rendered.error, name).toBeUndefined();
      const definition = describeMachine(machine);
      const states = allStates(definition).filter((state) => state !== definition.root);
      const shown = new Set(rendered.text.split('\n').map((line) => line.trim()));
      for (const state of states) expect(shown.has(state.key), `${name}: state ${state.key}`).toBe(true);
      const transitions = states.flatMap((state) =>
        state.transitions.flatMap((transition) => transition.targets.map(() => transition.label)),
      );
      expect(rendered.edgeLabels.length, name).toBe(transitions.length);
      for (const label of new Set(transitions)) {
        expect(
          rendered.edgeLabels.some((shownLabel) => shownLabel.startsWith(label)),
          `${name}: ${label}`,
        ).toBe(true);
      }
    }
  }, 60_000);
});
