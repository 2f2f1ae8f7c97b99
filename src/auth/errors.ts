// Errors from reading password and ACL files: a stable code for programs and tests, and a message that
// starts with `FILE:LINE:` so an operator can jump straight to the bad line.

export type AuthFileErrorCode =
  | 'FILE_UNREADABLE'
  | 'PASSWORD_LINE_INVALID'
  | 'PASSWORD_HASH_UNSUPPORTED'
  | 'PASSWORD_HASH_INVALID'
  | 'PASSWORD_USER_DUPLICATE'
  | 'ACL_LINE_INVALID'
  | 'ACL_ACCESS_INVALID'
  | 'ACL_TOPIC_INVALID'
  | 'ACL_USER_MISSING';

export class AuthFileError extends Error {
  override readonly name = 'AuthFileError';
  constructor(
    readonly code: AuthFileErrorCode,
    readonly file: string,
    /** 1-based line number; 0 when the problem is the file as a whole (missing, unreadable). */
    readonly line: number,
    detail: string,
  ) {
    super(`${file}:${line}: ${detail}`);
  }
}
