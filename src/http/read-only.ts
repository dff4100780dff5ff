// Harbor's read-only mode at the edge: while the `read_only` setting is on, every request that
// could change something (any method but GET, HEAD and OPTIONS), on /v2/ as on the API, is
// refused before it is authenticated or its body read, with Harbor's answer: 403, code DENIED,
// "The system is in read only mode. Any modification is prohibited." A few writes stay open, as
// in Harbor: signing in to the console, and the PUT of /configurations that switches it off.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { readOnlyError } from '../lib/errors.js'
import { leaveBodyUnread, sendApiError, sendOciError } from './errors.js'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** Writes allowed while read-only (Harbor's readonlySkippers that exist in Berth). */
const ALLOWED: readonly { method: string; path: RegExp }[] = [
  { method: 'PUT', path: /^\/api\/v2\.0\/configurations\/?$/ },
  { method: 'POST', path: /^\/c\/login\/?$/ },
]

/** Whether a request is a write that read-only mode refuses. */
export function refusedWhenReadOnly(method: string, url: string): boolean {
  if (SAFE_METHODS.has(method)) return false
  const path = url.split('?', 1)[0]!
  return !ALLOWED.some((a) => a.method === method && a.path.test(path))
}

/** Refuses writes while `readOnly()` says so; `readOnly` is asked only for writes (it reads cached settings). */
export function readOnlyGuard(app: FastifyInstance, readOnly: () => Promise<boolean>): void {
  app.addHook('onRequest', async (req: FastifyRequest, reply) => {
    if (!refusedWhenReadOnly(req.method, req.url) || !(await readOnly())) return
    if (req.url.startsWith('/v2/') || req.url === '/v2') {
      // A blob upload is refused before its bytes are read: none are (the connection closes after).
      leaveBodyUnread(req)
      reply.header('docker-distribution-api-version', 'registry/2.0')
      return sendOciError(readOnlyError(), req, reply)
    }
    return sendApiError(readOnlyError(), req, reply)
  })
}
