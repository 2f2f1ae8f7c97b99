// What pub, sub and rr share around their own work: parsing, --help/--version, printing errors, exit codes.
import { VERSION } from '../../version.js';
import { describeOptions, parseArgs, type OptionDef, type ParsedArgs } from './args.js';
import { CliError, EXIT } from './errors.js';
import { SHARED_OPTIONS } from './options.js';

export interface CommandSpec {
  name: 'pub' | 'sub' | 'rr';
  summary: string;
  usage: string;
  options: readonly OptionDef[];
}

export interface Output {
  out(data: string | Buffer): void;
  /** Runtime error lines (suppressed by --quiet). */
  error(line: string): void;
  /** -d output. */
  debug(text: string): void;
}

/**
 * Calls `stop` on Ctrl-C / SIGTERM instead of dying, so the command can send DISCONNECT (which also discards the
 * will, [MQTT-3.1.2-10]) as mosquitto_sub does. Returns the function that removes the handlers.
 */
export function onInterrupt(stop: () => void): () => void {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  for (const s of signals) process.once(s, stop);
  return () => {
    for (const s of signals) process.off(s, stop);
  };
}

/** A closed stdout (`glassmq sub | head -1`) ends the command quietly, like SIGPIPE ends mosquitto_sub. */
function exitOnClosedStdout(): void {
  process.stdout.once('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT.ok);
    throw err;
  });
}

export function helpText(spec: CommandSpec): string {
  return [
    `glassmq ${spec.name} ${VERSION}: ${spec.summary}`,
    '',
    `Usage: ${spec.usage}`,
    '',
    'Options:',
    describeOptions([...spec.options, ...SHARED_OPTIONS]),
    '',
    'Exit status: 0 on success, the CONNACK code when the broker refuses the connection, 27 when -W expires, 1 otherwise.',
  ].join('\n');
}

export async function runCommand(
  spec: CommandSpec,
  argv: readonly string[],
  body: (args: ParsedArgs, output: Output) => Promise<number>,
): Promise<number> {
  let quiet = false;
  const output: Output = {
    out: (data) => process.stdout.write(data),
    error: (line) => {
      if (!quiet) process.stderr.write(`${line}\n`);
    },
    debug: (text) => process.stderr.write(text),
  };
  exitOnClosedStdout();
  try {
    const args = parseArgs(argv, [...spec.options, ...SHARED_OPTIONS]);
    if (args.flags.has('help')) {
      output.out(`${helpText(spec)}\n`);
      return EXIT.ok;
    }
    if (args.flags.has('version')) {
      output.out(`${VERSION}\n`);
      return EXIT.ok;
    }
    quiet = args.flags.has('quiet');
    return await body(args, output);
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    if (err.isUsage) {
      // Input mistakes are printed even with --quiet, as mosquitto does.
      process.stderr.write(`${err.message}\nUse 'glassmq ${spec.name} --help' to see usage.\n`);
    } else {
      output.error(err.message);
    }
    return err.exitCode;
  }
}
