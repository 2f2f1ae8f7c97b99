// Errors of the cluster layer, with stable codes.

export type ClusterErrorCode = 'REDIS_UNREACHABLE' | 'BAD_NODE_ID' | 'MISSING_URL';

export class ClusterError extends Error {
  override readonly name = 'ClusterError';
  constructor(
    readonly code: ClusterErrorCode,
    /** The Redis URL (password masked) the node tried. */
    readonly url: string,
    detail: string,
  ) {
    super(detail);
  }
}

/** The URL with any password replaced, for logs and error lines. */
export function maskUrl(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
}
