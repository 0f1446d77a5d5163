/**
 * The page every browser test and benchmark loads: a script bundled by esbuild for the browser, served with a small
 * HTML page from a loopback HTTP server.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build, type StdinOptions } from 'esbuild';

/** What {@link servePage} bundles and serves. */
export interface PageOptions {
  /**
   * The script: a file to bundle (default test/browser/page-entry.ts, sipstate's sources as `globalThis.sipstate`),
   * or source text (e.g. importing the built `dist/`) with the folder its imports resolve from.
   */
  script?: string | StdinOptions;
  /** HTML before the script tag in the body (an `<audio>` element, say). */
  body?: string;
}

/** A served page: its URL, and the function that stops the server. */
export interface ServedPage {
  url: string;
  close(): Promise<void>;
}

/**
 * Bundles the page's script and serves it at `/sipstate.js`, with the page at every other path.
 *
 * @example
 * ```ts
 * const page = await servePage({ body: '<audio id="remote" autoplay></audio>' });
 * await browserPage.goto(page.url);
 * await page.close();
 * ```
 */
export async function servePage({ script, body = '' }: PageOptions = {}): Promise<ServedPage> {
  const source = script ?? fileURLToPath(new URL('../browser/page-entry.ts', import.meta.url));
  const bundle = await build({
    ...(typeof source === 'string' ? { entryPoints: [source] } : { stdin: source }),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const text = bundle.outputFiles[0]!.text;
  const html = `<!doctype html><html><body>${body}<script src="/sipstate.js"></script></body></html>`;
  const server = createServer((request, response) => {
    if (request.url === '/sipstate.js') response.writeHead(200, { 'content-type': 'text/javascript' }).end(text);
    else response.writeHead(200, { 'content-type': 'text/html' }).end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
