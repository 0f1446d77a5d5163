/**
 * Parse micro-benchmark shared by Node (bench/parser/run.ts) and Chromium (bundled by esbuild into a page): whole SIP
 * messages through sip.js's own Core.Parser, once with sip.js's `Grammar.parse` and once with the fast one, alternated,
 * messages per second. Imports nothing from Node.
 */
import { Core, Grammar } from 'sip.js';
import { fastGrammarParse } from '../../src/fast-parser';

type Parse = (input: string, rule: string) => unknown;

export interface ParseBenchResult {
  parser: 'fast' | 'sip.js';
  round: number;
  messages: number;
  ms: number;
  messagesPerSecond: number;
}

const silent = { error() {}, warn() {}, log() {}, debug() {} } as unknown as Core.Logger;

/**
 * Parses `messages` (and each header sip.js parses lazily: every header by name) for about `durationMs` per parser
 * and round, alternating parsers; leaves sip.js's own parser in place afterwards.
 */
export function runParseBench(messages: readonly string[], durationMs: number, rounds: number): ParseBenchResult[] {
  const sipJsParse = Grammar.parse as Parse;
  const grammar = Grammar as { parse: Parse };
  const results: ParseBenchResult[] = [];
  const parseAll = (): void => {
    for (const raw of messages) {
      const message = Core.Parser.parseMessage(raw, silent);
      if (!message) throw new Error('benchmark message does not parse');
    }
  };
  try {
    // Warm-up: both interpreters must be optimised by the JIT before anything is timed (the first second is slow).
    for (const parse of [sipJsParse, fastGrammarParse]) {
      grammar.parse = parse;
      const until = performance.now() + Math.max(500, durationMs);
      while (performance.now() < until) parseAll();
    }
    for (let round = 1; round <= rounds; round++) {
      const order: Array<[ParseBenchResult['parser'], Parse]> = [
        ['sip.js', sipJsParse],
        ['fast', fastGrammarParse],
      ];
      if (round % 2 === 0) order.reverse();
      for (const [parser, parse] of order) {
        grammar.parse = parse;
        let count = 0;
        const started = performance.now();
        let elapsed = 0;
        while (elapsed < durationMs) {
          parseAll();
          count += messages.length;
          elapsed = performance.now() - started;
        }
        results.push({
          parser,
          round,
          messages: count,
          ms: Math.round(elapsed),
          messagesPerSecond: Math.round((count * 1000) / elapsed),
        });
      }
    }
  } finally {
    grammar.parse = sipJsParse;
  }
  return results;
}

/** Median messages per second of each parser. */
export function summarise(results: readonly ParseBenchResult[]): Record<ParseBenchResult['parser'], number> {
  const median = (values: number[]): number => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? 0;
  };
  return {
    fast: median(results.filter((r) => r.parser === 'fast').map((r) => r.messagesPerSecond)),
    'sip.js': median(results.filter((r) => r.parser === 'sip.js').map((r) => r.messagesPerSecond)),
  };
}
