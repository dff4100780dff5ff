// The one place that maps error codes to HTTP statuses and renders error bodies.
import type { IncomingMessage } from 'node:http'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { BerthError, type ErrorCode } from '../lib/errors.js'

interface Rendering {
  status: number
  /** The code on the wire, for codes that are internal refinements of an OCI code. */
  oci?: string
  /** The code in Harbor's API error body, where it differs from ours. */
  harbor?: string
}

const RENDER: Record<ErrorCode, Rendering> = {
  BLOB_UNKNOWN: { status: 404, harbor: 'NOT_FOUND' },
  BLOB_UPLOAD_INVALID: { status: 400 },
  BLOB_UPLOAD_UNKNOWN: { status: 404, harbor: 'NOT_FOUND' },
  DIGEST_INVALID: { status: 400 },
  MANIFEST_BLOB_UNKNOWN: { status: 400 },
  MANIFEST_INVALID: { status: 400 },
  MANIFEST_UNKNOWN: { status: 404, harbor: 'NOT_FOUND' },
  NAME_INVALID: { status: 400, harbor: 'BAD_REQUEST' },
  NAME_UNKNOWN: { status: 404, harbor: 'NOT_FOUND' },
  SIZE_INVALID: { status: 400 },
  UNAUTHORIZED: { status: 401 },
  DENIED: { status: 403, harbor: 'FORBIDDEN' },
  /** Harbor's readonly middleware answers DENIED on its API as on /v2/. */
  READ_ONLY: { status: 403, oci: 'DENIED', harbor: 'DENIED' },
  UNSUPPORTED: { status: 400 },
  /** A deletion the registry refuses (the content is still in use): 405, the status the spec gives for it. */
  DELETE_REFUSED: { status: 405, oci: 'UNSUPPORTED' },
  TOOMANYREQUESTS: { status: 429, harbor: 'TOO_MANY_REQUESTS' },
  CHUNK_OUT_OF_ORDER: { status: 416, oci: 'BLOB_UPLOAD_INVALID' },
  RANGE_NOT_SATISFIABLE: { status: 416, oci: 'SIZE_INVALID' },
  MANIFEST_TOO_LARGE: { status: 413, oci: 'MANIFEST_INVALID' },
  BODY_TOO_LARGE: { status: 413, oci: 'SIZE_INVALID' },
  BAD_REQUEST: { status: 400, oci: 'UNSUPPORTED' },
  NOT_FOUND: { status: 404, oci: 'UNSUPPORTED' },
  METHOD_NOT_ALLOWED: { status: 405, oci: 'UNSUPPORTED' },
  CONFLICT: { status: 409, oci: 'DENIED' },
  PRECONDITION: { status: 412, oci: 'DENIED' },
  /** Harbor's answer to a pull its project's policy refuses, on /v2/ as on its API. */
  POLICY_VIOLATION: { status: 412, oci: 'PROJECTPOLICYVIOLATION', harbor: 'PROJECTPOLICYVIOLATION' },
  CONFIG_INVALID: { status: 500, oci: 'UNKNOWN', harbor: 'INTERNAL_SERVER_ERROR' },
  INTERNAL: { status: 500, oci: 'UNKNOWN', harbor: 'INTERNAL_SERVER_ERROR' },
}

/** Harbor's code for a status, for codes (the OCI ones) that Harbor's API does not use. */
const HARBOR_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  412: 'PRECONDITION',
  413: 'BAD_REQUEST',
  416: 'BAD_REQUEST',
  429: 'TOO_MANY_REQUESTS',
  500: 'INTERNAL_SERVER_ERROR',
}

function statusOf(code: ErrorCode): number {
  return RENDER[code].status
}

/**
 * Requests refused before their body was read (no or wrong credentials): answered at once and
 * their connection closed, the body never read. Draining it would let anyone without an account
 * make the server read DRAIN_BYTES per request.
 */
const unread = new WeakSet<IncomingMessage>()

/** Marks a request whose refusal must not read its body (see `unread`). */
export function leaveBodyUnread(request: FastifyRequest): void {
  unread.add(request.raw)
}

/** Unread request bytes an error answer waits for, so that a client still sending can read it. */
const DRAIN_BYTES = 16 << 20
const DRAIN_MS = 5_000

/**
 * Reads and discards the rest of a request body, up to DRAIN_BYTES and DRAIN_MS. Answering
 * while the client still sends makes Node close the socket under it (a reset, not the answer).
 */
function drain(req: IncomingMessage): Promise<boolean> {
  if (req.complete || req.readableEnded) return Promise.resolve(true)
  return new Promise((resolve) => {
    let seen = 0
    const done = (drained: boolean) => {
      clearTimeout(timer)
      req.off('data', onData).off('end', onEnd).off('close', onClose)
      resolve(drained)
    }
    const onData = (chunk: Buffer) => {
      seen += chunk.length
      if (seen > DRAIN_BYTES) done(false)
    }
    const onEnd = () => done(true)
    const onClose = () => done(req.complete || req.readableEnded)
    const timer = setTimeout(() => done(false), DRAIN_MS)
    req.on('data', onData).once('end', onEnd).once('close', onClose)
    req.resume()
  })
}

/** Renders any error as the distribution spec's `{"errors":[...]}`. 5xx details are logged, not returned. */
export async function sendOciError(err: unknown, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const e = toBerthError(err, request)
  const r = RENDER[e.code]
  const body: { code: string; message: string; detail?: unknown } = { code: r.oci ?? e.code, message: e.message }
  if (r.status >= 500) body.message = 'internal server error'
  else if (e.detail !== undefined) body.detail = e.detail
  return finish(e, request, reply, body)
}

/** Renders any error as Harbor's `{"errors":[{"code","message"}]}`, for /api/v2.0 and the token service. */
export async function sendApiError(err: unknown, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const e = toBerthError(err, request)
  const r = RENDER[e.code]
  const body = { code: r.harbor ?? HARBOR_BY_STATUS[r.status] ?? e.code, message: r.status >= 500 ? 'internal server error' : e.message }
  return finish(e, request, reply, body)
}

async function finish(e: BerthError, request: FastifyRequest, reply: FastifyReply, body: object): Promise<FastifyReply> {
  const r = RENDER[e.code]
  const retry = (e.detail as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds
  if (e.code === 'TOOMANYREQUESTS' && typeof retry === 'number') reply.header('retry-after', String(retry))
  // A body left unread (refused before reading, or too large to drain) cannot be followed by
  // another request on this connection.
  if (unread.has(request.raw) || !(await drain(request.raw))) reply.header('connection', 'close')
  return reply.code(r.status).type('application/json').send({ errors: [body] })
}

/** Errors that are not BerthErrors are unexpected: logged with their stack, rendered as INTERNAL. */
function toBerthError(err: unknown, request: FastifyRequest): BerthError {
  if (err instanceof BerthError) {
    if (statusOf(err.code) >= 500) request.log.error({ err, cause: err.cause }, 'request failed')
    return err
  }
  const fe = err as { statusCode?: number; code?: string; message?: string; validation?: unknown }
  if (fe.validation !== undefined) return new BerthError('BAD_REQUEST', fe.message ?? 'invalid request')
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    if (fe.statusCode === 413) {
      // Reading on past the route's limit, if only to discard, is what the limit is there to prevent.
      leaveBodyUnread(request)
      return new BerthError('BODY_TOO_LARGE', `request body is larger than ${request.routeOptions.bodyLimit} bytes`, { limit: request.routeOptions.bodyLimit })
    }
    return new BerthError('BAD_REQUEST', fe.message ?? 'bad request')
  }
  if (isClientGone(err, request)) return new BerthError('BAD_REQUEST', 'request aborted by the client')
  request.log.error({ err }, 'request failed')
  return new BerthError('INTERNAL', 'internal server error')
}

/**
 * Whether the error comes from a client that went away: its connection closed, or its request
 * ended before the body was complete. A request whose body was read to the end is destroyed
 * too (autoDestroy), so `destroyed` alone says nothing about the client.
 */
function isClientGone(err: unknown, request: FastifyRequest): boolean {
  const raw = request.raw
  if (raw.socket?.destroyed === true || (raw.destroyed && !raw.complete)) return true
  const code = (err as NodeJS.ErrnoException)?.code
  return (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (err as Error)?.name === 'AbortError') && !raw.complete
}
