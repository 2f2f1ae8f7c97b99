// An error in a configuration file: a stable code for programs and tests, and a message that is exactly
// `FILE:LINE: what is wrong`, so an editor or a terminal can jump to the line.

export type ConfigErrorCode =
  | 'FILE_UNREADABLE'
  | 'UNKNOWN_DIRECTIVE'
  | 'UNSUPPORTED_DIRECTIVE'
  | 'MISSING_VALUE'
  | 'BAD_VALUE'
  | 'OUT_OF_RANGE'
  | 'DUPLICATE_DIRECTIVE'
  | 'DUPLICATE_LISTENER'
  | 'MISPLACED_DIRECTIVE'
  | 'INCONSISTENT_LISTENER';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly code: ConfigErrorCode,
    readonly file: string,
    /** 1-based line; 0 when the file as a whole is the problem (missing, unreadable). */
    readonly line: number,
    readonly detail: string,
  ) {
    super(`${file}:${line}: ${detail}`);
  }
}

/** Where a directive was read, for errors found after the line itself was accepted. */
export interface SourceLocation {
  file: string;
  line: number;
}
