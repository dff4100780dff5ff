// One error class with stable codes. Services throw it; only http/ maps codes to statuses.

/** Stable error codes. The OCI ones keep the distribution spec's names. */
export type ErrorCode =
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'SIZE_INVALID'
  | 'UNAUTHORIZED'
  | 'DENIED'
  /** The registry is in read-only mode: Harbor's DENIED with its own message. */
  | 'READ_ONLY'
  | 'UNSUPPORTED'
  | 'DELETE_REFUSED'
  | 'TOOMANYREQUESTS'
  | 'CHUNK_OUT_OF_ORDER'
  | 'RANGE_NOT_SATISFIABLE'
  | 'MANIFEST_TOO_LARGE'
  | 'BODY_TOO_LARGE'
  | 'BAD_REQUEST'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'CONFLICT'
  | 'PRECONDITION'
  /** A project's policy refuses the pull (content trust, vulnerabilities): Harbor's PROJECTPOLICYVIOLATION. */
  | 'POLICY_VIOLATION'
  | 'CONFIG_INVALID'
  | 'INTERNAL'

export class BerthError extends Error {
  override readonly name = 'BerthError'
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Safe to return to the client (the spec's free-form `detail`). */
    readonly detail?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

export function isBerthError(err: unknown, code?: ErrorCode): err is BerthError {
  return err instanceof BerthError && (code === undefined || err.code === code)
}

/** Harbor's words for a write refused in read-only mode. */
export const READ_ONLY_MESSAGE = 'The system is in read only mode. Any modification is prohibited.'

/** The error of a write refused while the registry is read-only (403 DENIED on /v2/ and the API alike). */
export function readOnlyError(): BerthError {
  return new BerthError('READ_ONLY', READ_ONLY_MESSAGE)
}
