// The one place that maps error codes to HTTP statuses and renders error bodies.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { BerthError, type ErrorCode } from '../lib/errors.js'

interface Rendering {
  status: number
  /** The code on the wire, for codes that are internal refinements of an OCI code. */
  oci?: string
}

const RENDER: Record<ErrorCode, Rendering> = {
  BLOB_UNKNOWN: { status: 404 },
  BLOB_UPLOAD_INVALID: { status: 400 },
  BLOB_UPLOAD_UNKNOWN: { status: 404 },
  DIGEST_INVALID: { status: 400 },
  MANIFEST_BLOB_UNKNOWN: { status: 400 },
  MANIFEST_INVALID: { status: 400 },
  MANIFEST_UNKNOWN: { status: 404 },
  NAME_INVALID: { status: 400 },
  NAME_UNKNOWN: { status: 404 },
  SIZE_INVALID: { status: 400 },
  UNAUTHORIZED: { status: 401 },
  DENIED: { status: 403 },
  UNSUPPORTED: { status: 400 },
  TOOMANYREQUESTS: { status: 429 },
  CHUNK_OUT_OF_ORDER: { status: 416, oci: 'BLOB_UPLOAD_INVALID' },
  RANGE_NOT_SATISFIABLE: { status: 416, oci: 'SIZE_INVALID' },
  MANIFEST_TOO_LARGE: { status: 413, oci: 'MANIFEST_INVALID' },
  BAD_REQUEST: { status: 400, oci: 'UNSUPPORTED' },
  NOT_FOUND: { status: 404, oci: 'UNSUPPORTED' },
  METHOD_NOT_ALLOWED: { status: 405, oci: 'UNSUPPORTED' },
  CONFLICT: { status: 409, oci: 'DENIED' },
  CONFIG_INVALID: { status: 500, oci: 'UNKNOWN' },
  INTERNAL: { status: 500, oci: 'UNKNOWN' },
}

function statusOf(code: ErrorCode): number {
  return RENDER[code].status
}

/** Renders any error as the distribution spec's `{"errors":[...]}`. 5xx details are logged, not returned. */
export function sendOciError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const e = toBerthError(err, request)
  const r = RENDER[e.code]
  const body: { code: string; message: string; detail?: unknown } = { code: r.oci ?? e.code, message: e.message }
  if (r.status >= 500) body.message = 'internal server error'
  else if (e.detail !== undefined) body.detail = e.detail
  // A request body left unread cannot be followed by another request on this connection.
  if (!request.raw.complete) reply.header('connection', 'close')
  return reply.code(r.status).type('application/json').send({ errors: [body] })
}

/** Errors that are not BerthErrors are unexpected: logged with their stack, rendered as INTERNAL. */
function toBerthError(err: unknown, request: FastifyRequest): BerthError {
  if (err instanceof BerthError) {
    if (statusOf(err.code) >= 500) request.log.error({ err, cause: err.cause }, 'request failed')
    return err
  }
  const fe = err as { statusCode?: number; code?: string; message?: string }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    if (fe.statusCode === 413) return new BerthError('MANIFEST_TOO_LARGE', fe.message ?? 'payload too large')
    return new BerthError('BAD_REQUEST', fe.message ?? 'bad request')
  }
  if (isClientGone(err, request)) return new BerthError('BAD_REQUEST', 'request aborted by the client')
  request.log.error({ err }, 'request failed')
  return new BerthError('INTERNAL', 'internal server error')
}

function isClientGone(err: unknown, request: FastifyRequest): boolean {
  const code = (err as NodeJS.ErrnoException)?.code
  return request.raw.destroyed || code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (err as Error)?.name === 'AbortError'
}
