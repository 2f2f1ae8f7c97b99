// Errors of the client commands are values: a stable code (what tests assert), a one-line message and the exit code.

/** Exit codes shared with mosquitto_pub / mosquitto_sub / mosquitto_rr. A refused CONNECT exits with the CONNACK code. */
export const EXIT = {
  ok: 0,
  error: 1,
  /** mosquitto_sub / mosquitto_rr: -W expired before the work was done. */
  timeout: 27,
} as const;

export type CliErrorCode =
  | 'UNKNOWN_OPTION'
  | 'MISSING_ARGUMENT'
  | 'BAD_VALUE'
  | 'BAD_COMBINATION'
  | 'MISSING_OPTION'
  | 'BAD_PROPERTY'
  | 'BAD_URL'
  | 'FILE_UNREADABLE'
  | 'CONNECT_FAILED'
  | 'CONNECTION_REFUSED'
  | 'CONNECTION_LOST'
  | 'SUBSCRIBE_FAILED'
  | 'PUBLISH_FAILED';

/** Codes that are the user's input at fault: mosquitto prints the usage hint after these. */
const USAGE_CODES: ReadonlySet<CliErrorCode> = new Set([
  'UNKNOWN_OPTION', 'MISSING_ARGUMENT', 'BAD_VALUE', 'BAD_COMBINATION', 'MISSING_OPTION', 'BAD_PROPERTY', 'BAD_URL',
]);

export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    readonly code: CliErrorCode,
    message: string,
    readonly exitCode: number = EXIT.error,
  ) {
    super(message);
  }

  /** True when the mistake is in the command line (printed even with --quiet, like mosquitto). */
  get isUsage(): boolean {
    return USAGE_CODES.has(this.code);
  }
}
