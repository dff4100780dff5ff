// What the HTTP layer needs to know who is calling and what they may do, and the parsing of
// credentials from headers and cookies, shared by /v2/, /service/token and /api/v2.0.
import type { FastifyRequest } from 'fastify'
import { BerthError } from '../lib/errors.js'
import type { Stores } from '../metadata/stores.js'
import type { Authenticator } from '../auth/authenticator.js'
import type { TokenService } from '../auth/token-service.js'
import type { Sessions } from '../auth/sessions.js'
import type { AccessController } from '../auth/access.js'
import { ANONYMOUS, type Caller } from '../auth/identity.js'
import type { AuditLog } from '../services/audit-log.js'

export interface Security {
  authenticator: Authenticator
  tokens: TokenService
  sessions: Sessions
  access: AccessController
  stores: Stores
  audit: AuditLog
  /** external_url, or '' to derive URLs from the request. */
  externalUrl: string
  /** Lifetime of new registry tokens (a run-time setting). */
  tokenTtlSeconds: () => Promise<number>
}

export const SESSION_COOKIE = 'sid'
export const CSRF_HEADER = 'x-harbor-csrf-token'

export type Credentials = { scheme: 'basic'; username: string; password: string } | { scheme: 'bearer'; token: string }

/** The credentials of an Authorization header; null when there is none; UNAUTHORIZED when it is malformed. */
export function parseAuthorization(header: string | undefined): Credentials | null {
  if (header === undefined || header === '') return null
  const m = /^(\S+)\s+(\S+)\s*$/.exec(header)
  const scheme = m?.[1]?.toLowerCase()
  if (m !== null && scheme === 'basic') {
    const decoded = Buffer.from(m[2]!, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon > 0) return { scheme: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
  }
  if (m !== null && scheme === 'bearer') return { scheme: 'bearer', token: m[2]! }
  throw new BerthError('UNAUTHORIZED', 'malformed Authorization header')
}

/** Where the server is reached, for URLs handed out: external_url, else the request's own origin. */
export function baseUrlOf(req: FastifyRequest, externalUrl: string): string {
  return externalUrl !== '' ? externalUrl : `${req.protocol}://${req.host}`
}

/** The caller of a request with Basic credentials (or none). */
export async function basicCaller(sec: Security, req: FastifyRequest, creds: Credentials | null): Promise<Caller> {
  if (creds === null) return ANONYMOUS
  if (creds.scheme !== 'basic') throw new BerthError('UNAUTHORIZED', 'bearer tokens are accepted on /v2/ only')
  return sec.authenticator.login(creds.username, creds.password, req.ip)
}
