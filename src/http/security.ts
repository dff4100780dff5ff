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
import type { AuditLog } from '../services/audit/audit-log.js'

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

/** host[:port]: a DNS name (underscores allowed, as container networks name hosts), an IPv4 address or a bracketed IPv6 address. */
const HOST = /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/

/**
 * Refuses a request whose Host (or, behind a trusted proxy, X-Forwarded-Host) is not a valid
 * host[:port] (RFC 9112 asks for 400): URLs handed out are built from it when external_url is
 * empty, and nothing a client sends may reach a header unchecked. A request without a Host
 * (HTTP/1.0) passes; only building a URL from it fails then.
 */
export function checkHost(req: FastifyRequest): void {
  const host = req.host as string | undefined
  if (host === undefined || host === '') return
  if (host.length > 260 || !HOST.test(host)) throw new BerthError('BAD_REQUEST', 'invalid Host header: expected host[:port]')
}

/** Where the server is reached, for URLs handed out: external_url, else the request's own origin (its Host checked). */
export function baseUrlOf(req: FastifyRequest, externalUrl: string): string {
  if (externalUrl !== '') return externalUrl
  checkHost(req)
  if (req.host === undefined || req.host === '') throw new BerthError('BAD_REQUEST', 'a Host header is required (or set external_url)')
  return `${req.protocol}://${req.host}`
}

/** The caller of a request with Basic credentials (or none). */
export async function basicCaller(sec: Security, req: FastifyRequest, creds: Credentials | null): Promise<Caller> {
  if (creds === null) return ANONYMOUS
  if (creds.scheme !== 'basic') throw new BerthError('UNAUTHORIZED', 'bearer tokens are accepted on /v2/ only')
  return sec.authenticator.login(creds.username, creds.password, req.ip)
}
