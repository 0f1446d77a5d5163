#!/usr/bin/env node
/**
 * `sipstate`: watch a SIP WebSocket registration live, draw the lifecycle machines, and check a server.
 *
 * ```sh
 * SIPSTATE_PASSWORD=... sipstate watch --server wss://sip.example.com --uri sip:alice@example.com
 * sipstate diagram transport --format mermaid
 * sipstate doctor --server wss://sip.example.com --uri sip:alice@example.com
 * ```
 *
 * Passwords come from the environment variable SIPSTATE_PASSWORD or a hidden prompt, never from an argument.
 */
import { run } from './cli/main';

run(process.argv.slice(2));
