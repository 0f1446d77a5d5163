/**
 * Page script for the Chromium parse benchmark: bundled with sip.js, its parser and the fast one by esbuild
 * (bench/parser/run.ts), loaded under a strict CSP (no 'unsafe-eval'). Exposes the benchmark on `window`, plus a
 * canary showing the CSP really forbids eval on this page.
 */
import { runParseBench, summarise } from './parse-bench';

declare global {
  interface Window {
    sipstateParseBench: (messages: string[], durationMs: number, rounds: number) => unknown;
    sipstateCspCanary: () => { blockedAtLoad: boolean; violations: string[] };
  }
}

const violations: string[] = [];
document.addEventListener('securitypolicyviolation', (event) => violations.push(event.violatedDirective));

window.sipstateParseBench = (messages, durationMs, rounds) => {
  const results = runParseBench(messages, durationMs, rounds);
  return { results, summary: summarise(results), userAgent: navigator.userAgent, cspViolations: [...violations] };
};

// Canary, run once at load: true when this page's CSP blocks the Function constructor (one violation expected from it;
// any further one during the benchmark would come from the parsers).
const blockedAtLoad = (() => {
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    new Function('return 1')();
    return false;
  } catch {
    return true;
  }
})();
window.sipstateCspCanary = () => ({ blockedAtLoad, violations: [...violations] });
