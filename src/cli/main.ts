/**
 * The `sipstate` program: picks the command, prints usage errors with the command's usage line, and sets the exit
 * code (0 ok, 1 a problem, 2 bad arguments).
 *
 * @example
 * ```ts
 * run(process.argv.slice(2)); // src/cli.ts
 * ```
 */
import { unexpectedErrorText, terminalText } from './format';
import { diagram } from './diagram';
import { doctor } from './doctor';
import { HELP } from './help';
import { err, EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, out, UsageError } from './io';
import { watch } from './watch';

/** Runs the command in `argv` (the arguments after the program) and resolves with its exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'watch':
        return await watch(rest);
      case 'diagram':
        return await diagram(rest);
      case 'doctor':
        return await doctor(rest);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        if (command === undefined) {
          err(HELP.main);
          return EXIT_USAGE;
        }
        out(HELP.main);
        return EXIT_OK;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}: expected watch, diagram or doctor`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      err(`sipstate: ${terminalText(error.message)}`);
      const help = command && command in HELP ? HELP[command as keyof typeof HELP] : HELP.main;
      err(
        `\n${help.split('\n')[0]}\nRun 'sipstate ${command && command in HELP ? `${command} ` : ''}--help' for details.`,
      );
      return EXIT_USAGE;
    }
    err(`sipstate: ${unexpectedErrorText(error)}`);
    return EXIT_PROBLEM;
  }
}

/** Runs `argv`, then exits with its code (without waiting for stray handles, such as stdin after a prompt). */
export function run(argv: string[]): void {
  main(argv).then(
    (code) => {
      process.exitCode = code;
      // Nothing of ours is left running; don't wait for stray handles (stdin after a prompt).
      setTimeout(() => process.exit(code), 50).unref();
    },
    (error: unknown) => {
      err(`sipstate: ${unexpectedErrorText(error)}`);
      process.exit(EXIT_PROBLEM);
    },
  );
}
