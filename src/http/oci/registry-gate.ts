// Access to /v2/: who the caller is (bearer token, Basic credentials or nobody) and whether the
// route's action is allowed; a refusal carries the Bearer challenge clients follow to /service/token.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { BerthError } from '../../lib/errors.js'
import { projectOf, type RepoName } from '../../oci/names.js'
import { ANONYMOUS, type Caller } from '../../auth/identity.js'
import { tokenAllows, TOKEN_SERVICE, type VerifiedToken } from '../../auth/token-service.js'
import { robotPrincipal, robotProblem, userPrincipal } from '../../auth/authenticator.js'
import { isScanCredential } from '../../auth/scan-credential.js'
import type { RegistryAction } from '../../auth/permissions.js'
import type { CanRead } from '../../services/registry/registry-context.js'
import type { ReadScope } from '../../metadata/repository-store.js'
import { baseUrlOf, basicCaller, parseAuthorization, type Security } from '../security.js'

/** What a request needs; a blob mount (`?mount=&from=`) also names the repository it mounts from. */
export type Need = { kind: 'base' } | { kind: 'catalog' } | { kind: 'repository'; name: RepoName; action: RegistryAction; mountFrom?: RepoName }

/** What a request was allowed: who it is, and which other repositories it may read (for mounts and the catalog). */
export interface Grant {
  caller: Caller
  canRead: CanRead
  /** Whether the caller is one that replicates: only such callers are believed about a replication path. */
  replicates: () => Promise<boolean>
  /** Who the caller is now (a token's subject as it stands), resolved only when asked. */
  who: () => Promise<Caller>
}

/**
 * Robots (what replication endpoints are given) and system administrators (who may do anything
 * anyway) replicate; other people only push.
 */
function replicates(caller: Caller): boolean {
  return caller.kind === 'robot' || (caller.kind === 'user' && caller.sysadmin)
}

/**
 * The scope a token for `need` must carry. A mount asks pull on its source as a second,
 * space-separated scope, as distribution does: token clients request each, and the token they
 * get can mount (without it the mount falls back to an upload).
 */
function scopeOf(need: Need): string | undefined {
  if (need.kind === 'catalog') return 'registry:catalog:*'
  if (need.kind !== 'repository') return undefined
  const scope = `repository:${need.name}:${need.action === 'push' ? 'pull,push' : need.action}`
  return need.mountFrom !== undefined && need.mountFrom !== need.name ? `${scope} repository:${need.mountFrom}:pull` : scope
}

/** An RFC 9110 quoted-string: quotes and backslashes escaped, control characters (never valid in a header) dropped. */
export function quoted(value: string): string {
  return `"${value.replace(/[\x00-\x1f\x7f]/g, '').replace(/["\\]/g, '\\$&')}"`
}

function challenge(sec: Security, req: FastifyRequest, reply: FastifyReply, need: Need, error?: string): void {
  const scope = scopeOf(need)
  const parts = [`realm=${quoted(`${baseUrlOf(req, sec.externalUrl)}/service/token`)}`, `service=${quoted(TOKEN_SERVICE)}`]
  if (scope !== undefined) parts.push(`scope=${quoted(scope)}`)
  if (error !== undefined) parts.push(`error=${quoted(error)}`)
  reply.header('www-authenticate', `Bearer ${parts.join(',')}`)
}

const DENIED = 'requested access to the resource is denied'

export class RegistryGate {
  private readonly names = new WeakMap<FastifyRequest, string>()

  constructor(private readonly sec: Security) {}

  /** The name of whoever made the request, as far as it is known ('anonymous' otherwise). */
  nameOf(req: FastifyRequest): string {
    return this.names.get(req) ?? 'anonymous'
  }

  /** The projects whose repositories a granted caller may list (the catalog's filter). */
  readScope(grant: Grant): Promise<ReadScope> {
    return this.sec.access.readScope(grant.caller)
  }

  /** Allows the request or throws UNAUTHORIZED (with a challenge) or DENIED. */
  async authorize(req: FastifyRequest, reply: FastifyReply, need: Need): Promise<Grant> {
    let creds
    try {
      creds = parseAuthorization(req.headers.authorization)
      if (creds?.scheme === 'bearer') {
        const token = await this.sec.tokens.verify(creds.token)
        this.names.set(req, token.subject.name || 'anonymous')
        return await this.byToken(token, req, reply, need)
      }
      const caller = await basicCaller(this.sec, req, creds)
      if (caller.kind !== 'anonymous') this.names.set(req, caller.username)
      return await this.byCaller(caller, need)
    } catch (err) {
      // A token that does not verify is invalid_token (RFC 6750); byToken has set insufficient_scope itself.
      if (err instanceof BerthError && err.code === 'UNAUTHORIZED' && !reply.hasHeader('www-authenticate')) {
        challenge(this.sec, req, reply, need, creds?.scheme === 'bearer' ? 'invalid_token' : undefined)
      }
      throw err
    }
  }

  private async byToken(token: VerifiedToken, req: FastifyRequest, reply: FastifyReply, need: Need): Promise<Grant> {
    // A scan's token lives only as long as the robot made for the scan.
    if (token.subject.kind === 'robot' && isScanCredential(token.subject.name)) {
      const robot = await this.sec.stores.robots.get(token.subject.id)
      if (robot === null || robot.name !== token.subject.name || robotProblem(robot, Date.now()) !== null) throw new BerthError('UNAUTHORIZED', 'authentication required: the scan this token was made for has ended')
    }
    const canRead: CanRead = (repo) => tokenAllows(token, 'repository', repo, 'pull')
    // The token says who it was issued to; whether they replicate is asked of who they are now.
    const fromSubject = async () => replicates(await this.subjectOf(token))
    if (need.kind === 'repository' && !tokenAllows(token, 'repository', need.name, need.action)) {
      challenge(this.sec, req, reply, need, 'insufficient_scope')
      throw new BerthError('UNAUTHORIZED', 'authentication required: the token does not grant this access', [{ type: 'repository', name: need.name, action: need.action }])
    }
    const who = () => this.subjectOf(token)
    if (need.kind !== 'catalog') return { caller: ANONYMOUS, canRead, replicates: fromSubject, who }
    if (!tokenAllows(token, 'registry', 'catalog', '*')) {
      challenge(this.sec, req, reply, need, 'insufficient_scope')
      throw new BerthError('UNAUTHORIZED', 'authentication required: the token does not grant the catalog')
    }
    // The catalog is filtered for the person the token was issued to, as they are now.
    const caller = await this.subjectOf(token)
    return { caller, canRead: this.readerFor(caller), replicates: async () => replicates(caller), who: async () => caller }
  }

  private async subjectOf(token: VerifiedToken): Promise<Caller> {
    const { kind, id, groups } = token.subject
    if (kind === 'user') {
      const user = await this.sec.stores.users.getById(id)
      if (user !== null) return userPrincipal(user, groups)
    } else if (kind === 'robot') {
      const robot = await this.sec.stores.robots.get(id)
      if (robot !== null) return robotPrincipal(robot)
    }
    return ANONYMOUS
  }

  private async byCaller(caller: Caller, need: Need): Promise<Grant> {
    const grant = { caller, canRead: this.readerFor(caller), replicates: async () => replicates(caller), who: async () => caller }
    if (need.kind === 'base' || need.kind === 'catalog') {
      if (caller.kind === 'anonymous') throw new BerthError('UNAUTHORIZED', 'authentication required')
      return grant
    }
    const project = await this.sec.stores.projects.get(projectOf(need.name))
    const granted = await this.sec.access.registryActions(caller, project, [need.action])
    if (granted.length > 0) return grant
    // The same answer whether the project is private or missing: nothing to enumerate.
    if (caller.kind === 'anonymous') throw new BerthError('UNAUTHORIZED', 'authentication required', [{ type: 'repository', name: need.name, action: need.action }])
    throw new BerthError('DENIED', DENIED, [{ type: 'repository', name: need.name, action: need.action }])
  }

  /** Whether the caller may pull each repository asked about; one lookup per project, not per repository. */
  private readerFor(caller: Caller): CanRead {
    const byProject = new Map<string, Promise<boolean>>()
    return (repo) => {
      const name = projectOf(repo)
      let allowed = byProject.get(name)
      if (allowed === undefined) {
        allowed = this.sec.stores.projects.get(name).then(async (project) => (await this.sec.access.registryActions(caller, project, ['pull'])).length > 0)
        byProject.set(name, allowed)
      }
      return allowed
    }
  }
}
