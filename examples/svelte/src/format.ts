import type { SipError } from 'sipstate';

export const seconds = (ms: number): string => `${(Math.max(0, ms) / 1000).toFixed(1)} s`;
export const clock = (epochMs: number): string => new Date(epochMs).toLocaleTimeString();
export const describeError = (error: SipError): string =>
  `${error.kind}${error.code ? ` ${error.code}` : ''}: ${error.message}`;
