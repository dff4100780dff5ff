// Who calls the management API: Basic credentials, or a console session cookie. Session
// callers must echo the CSRF token on every state-changing request; Basic callers are not
// asked for it (a browser never adds Basic credentials to a forged request by itself).
import type { FastifyReply, FastifyRequest } from 'fastify'
import { BerthError } from '../../lib/errors.js'
import { ANONYMOUS, type Caller } from '../../auth/identity.js'
import { basicCaller, CSRF_HEADER, parseAuthorization, SESSION_COOKIE, type Security } from '../security.js'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** The caller of an API request, carrying the client address for the audit log. */
export async function apiCaller(sec: Security, req: FastifyRequest, reply: FastifyReply): Promise<Caller> {
  return { ...(await callerOf(sec, req, reply)), address: req.ip }
}

async function callerOf(sec: Security, req: FastifyRequest, reply: FastifyReply): Promise<Caller> {
  const creds = parseAuthorization(req.headers.authorization)
  if (creds !== null) return basicCaller(sec, req, creds)
  const sid = req.cookies[SESSION_COOKIE]
  if (sid === undefined || sid === '') return ANONYMOUS
  const user = await sec.sessions.resolve(sid)
  if (user === null) return ANONYMOUS
  if (!SAFE_METHODS.has(req.method) && !sec.sessions.csrfMatches(sid, req.headers[CSRF_HEADER] as string | undefined)) {
    throw new BerthError('DENIED', 'CSRF token is missing or invalid; send the X-Harbor-CSRF-Token header')
  }
  reply.header(CSRF_HEADER, sec.sessions.csrfToken(sid))
  return user
}

/** C0 control characters and DEL: part of no name, query value or other text a URL carries. */
const CONTROL = /[\x00-\x1f\x7f]/
/** Nesting a body walk follows; JSON bodies are bounded in size, this bounds the stack too. */
const MAX_DEPTH = 64

/**
 * Refuses input no query may see (400): control characters in path parameters and query values,
 * and NUL in any string of a JSON body (PostgreSQL cannot store it; SQLite would keep a string
 * no client can send back). Runs before the caller is resolved, for every /api/v2.0 route.
 */
export function checkInput(req: FastifyRequest): void {
  for (const [part, values] of [['path', req.params], ['query', req.query]] as const) {
    for (const [key, value] of Object.entries((values ?? {}) as Record<string, unknown>)) {
      for (const v of Array.isArray(value) ? value : [value]) {
        if (typeof v === 'string' && CONTROL.test(v)) throw new BerthError('BAD_REQUEST', `${part} parameter ${key} contains a control character`)
      }
    }
  }
  const stack: [unknown, number][] = [[req.body, 0]]
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!
    if (typeof v === 'string') {
      if (v.includes('\0')) throw new BerthError('BAD_REQUEST', 'the request body contains a NUL character')
    } else if (v !== null && typeof v === 'object') {
      if (depth >= MAX_DEPTH) throw new BerthError('BAD_REQUEST', `the request body is nested deeper than ${MAX_DEPTH} levels`)
      for (const [k, child] of Object.entries(v)) stack.push([k, depth + 1], [child, depth + 1])
    }
  }
}

/** A project reference from a path: a name, or an id when numeric (unless X-Is-Resource-Name says it is a name). */
export function projectRefOf(req: FastifyRequest, raw: string): { name: string } | { id: number } {
  if (req.headers['x-is-resource-name'] !== 'true' && /^\d{1,15}$/.test(raw)) return { id: Number(raw) }
  return { name: raw }
}

export function idOf(raw: string, what: string): number {
  if (!/^\d{1,15}$/.test(raw)) throw new BerthError('BAD_REQUEST', `${what} must be a positive integer`)
  return Number(raw)
}
