/** The help text of each command (`sipstate <command> --help`); the first line of each is its usage line. */
export const HELP: Record<'main' | 'watch' | 'diagram' | 'doctor', string> = {
  main: `Usage: sipstate <command> [options]

Commands:
  watch     register and print a live timeline of every state transition and SIP status code
  diagram   print a machine (user agent, transport, registration, call) as Mermaid, JSON or SVG
  doctor    check a SIP WebSocket server: TLS, subprotocol 'sip', keep-alive, auth, expiry, re-registration

Run 'sipstate <command> --help' for a command's options.
The password is read from the environment variable SIPSTATE_PASSWORD, or asked for without echo; never pass it as
an argument.`,
  watch: `Usage: sipstate watch --server <ws(s)://...> --uri <sip:user@domain> [options]

Registers and prints every transition of the user agent, transport and registration machines with a timestamp,
plus each SIP message: → sent by sipstate, ← received (responses with their status code). Text from the network is
printed with control characters escaped (\x1b, \x0d, ...). Ctrl-C unregisters and exits.

Options:
  --server <url>     SIP WebSocket server, ws:// or wss:// (repeat for failover)
  --uri <uri>        address of record, e.g. sip:alice@example.com
  --user <name>      digest user name (default: the user part of --uri)
  --expires <s>      seconds asked for in REGISTER (default 600)
  --no-sip           do not print SIP messages, only transitions
  -h, --help         this help

Password: SIPSTATE_PASSWORD, else a hidden prompt when stdin is a terminal, else none.`,
  diagram: `Usage: sipstate diagram [machine] [--format mermaid|json|svg]

Prints a machine's diagram, generated from its definition. machine: userAgent, transport, registration (the
client's lifecycle machines) or call (the machine each call runs). Default: all four; svg needs exactly one.

Options:
  --format <f>   mermaid (default): a Mermaid stateDiagram-v2
                 json: the definition (states, transitions, guards, delays, invoked actors, tags)
                 svg: a standalone SVG of nested boxes (drawn by sipstate itself; no browser needed)
  -h, --help     this help`,
  doctor: `Usage: sipstate doctor --server <ws(s)://...> --uri <sip:user@domain> [options]

Connects and reports, check by check, what works and what does not: TLS (wss://), the WebSocket subprotocol 'sip',
CRLF keep-alive (RFC 5626 ping/pong), digest authentication, the expiry granted, re-registration before the binding
lapses, and unregistration. Exit code 0 when every check passed, 1 when one failed, 2 for bad arguments.

Options:
  --server <url>     SIP WebSocket server, ws:// or wss://
  --uri <uri>        address of record, e.g. sip:alice@example.com
  --user <name>      digest user name (default: the user part of --uri)
  --expires <s>      seconds asked for in REGISTER (default 30: short, to see a refresh soon)
  --timeout <s>      how long each step may take (default 10)
  --max-wait <s>     longest wait for the refresh; longer granted expiries skip that check (default 120)
  -h, --help         this help

Password: SIPSTATE_PASSWORD, else a hidden prompt when stdin is a terminal, else none.`,
};
