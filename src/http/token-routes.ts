// The token service (/service/token): the Docker token protocol. Basic credentials (or none,
// for anonymous pulls) in, a short-lived JWT carrying the granted subset of each scope out.
import type { FastifyInstance } from 'fastify'
import { BerthError, isBerthError } from '../lib/errors.js'
import { parseRepoName, projectOf } from '../oci/names.js'
import type { Caller } from '../auth/identity.js'
import { TOKEN_SERVICE, type TokenAccess, type TokenSubject } from '../auth/token-service.js'
import { basicCaller, checkHost, parseAuthorization, type Security } from './security.js'
import { sendApiError } from './errors.js'

/** Scopes one token request may ask for; more is refused rather than computed. */
const MAX_SCOPES = 50

/** `type[(class)]:name:actions`; the name may itself contain ':' only in the registry form. */
export function parseScope(raw: string): { type: string; name: string; actions: string[] } | null {
  const first = raw.indexOf(':')
  const last = raw.lastIndexOf(':')
  if (first <= 0 || last === first) return null
  const type = raw.slice(0, first).replace(/\(.*\)$/, '')
  const name = raw.slice(first + 1, last)
  const actions = raw
    .slice(last + 1)
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '')
  return name === '' ? null : { type, name, actions }
}

function subjectOf(caller: Caller): TokenSubject {
  if (caller.kind === 'user') return { kind: 'user', id: caller.userId, name: caller.username, groups: caller.groups }
  if (caller.kind === 'robot') return { kind: 'robot', id: caller.robotId, name: caller.username, groups: [] }
  return { kind: 'anonymous', id: 0, name: '', groups: [] }
}

export async function tokenRoutes(app: FastifyInstance, sec: Security): Promise<void> {
  /** The access a caller gets for each scope asked for: the allowed subset, possibly empty. */
  async function grant(caller: Caller, scopes: string[]): Promise<TokenAccess[]> {
    const out: TokenAccess[] = []
    for (const raw of scopes.flatMap((s) => s.split(' ')).filter((s) => s !== '')) {
      const scope = parseScope(raw)
      if (scope === null) throw new BerthError('BAD_REQUEST', `invalid scope ${JSON.stringify(raw)}`)
      if (scope.type === 'registry' && scope.name === 'catalog') {
        out.push({ type: 'registry', name: 'catalog', actions: caller.kind === 'anonymous' ? [] : ['*'] })
        continue
      }
      if (scope.type !== 'repository') continue
      let name
      try {
        name = parseRepoName(scope.name)
      } catch {
        out.push({ type: 'repository', name: scope.name, actions: [] })
        continue
      }
      const project = await sec.stores.projects.get(projectOf(name))
      out.push({ type: 'repository', name, actions: await sec.access.registryActions(caller, project, scope.actions) })
    }
    return out
  }

  app.get('/service/token', async (req, reply) => {
    try {
      checkHost(req)
      const q = req.query as Record<string, string | string[] | undefined>
      if (q.service !== undefined && q.service !== TOKEN_SERVICE) throw new BerthError('BAD_REQUEST', `unknown service ${JSON.stringify(q.service)}; this registry is ${TOKEN_SERVICE}`)
      const scopes = q.scope === undefined ? [] : Array.isArray(q.scope) ? q.scope : [q.scope]
      if (scopes.length > MAX_SCOPES) throw new BerthError('BAD_REQUEST', `at most ${MAX_SCOPES} scopes per token`)
      const caller = await basicCaller(sec, req, parseAuthorization(req.headers.authorization))
      const access = await grant(caller, scopes)
      const issued = await sec.tokens.issue(subjectOf(caller), access, new Date(), await sec.tokenTtlSeconds())
      reply.header('cache-control', 'no-store')
      return reply.send({ token: issued.token, access_token: issued.token, expires_in: issued.expiresIn, issued_at: issued.issuedAt })
    } catch (err) {
      if (isBerthError(err, 'UNAUTHORIZED')) reply.header('www-authenticate', 'Basic realm="berth"')
      return sendApiError(err, req, reply)
    }
  })
}
