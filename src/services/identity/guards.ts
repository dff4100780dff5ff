// Checks shared by the identity use cases: who must be signed in, who must be an administrator,
// and names that are safe to store.
import { BerthError } from '../../lib/errors.js'
import type { Caller, Principal, UserPrincipal } from '../../auth/identity.js'
import { hasSystemPermission, isSysadmin } from '../../auth/access.js'
import type { SystemPermission } from '../../auth/permissions.js'

/** Who did it and from where, for an audit entry. */
export function actorOf(caller: Caller): { username: string; clientIp: string } {
  return { username: caller.kind === 'anonymous' ? 'anonymous' : caller.username, clientIp: caller.address ?? '' }
}

export function requireSignedIn(caller: Caller): Principal {
  if (caller.kind === 'anonymous') throw new BerthError('UNAUTHORIZED', 'authentication required')
  return caller
}

export function requireUser(caller: Caller): UserPrincipal {
  const p = requireSignedIn(caller)
  if (p.kind !== 'user') throw new BerthError('DENIED', 'robot accounts cannot do this')
  return p
}

export function requireSysadmin(caller: Caller): UserPrincipal {
  const u = requireSignedIn(caller)
  if (!isSysadmin(u)) throw new BerthError('DENIED', 'only system administrators can do this')
  return u as UserPrincipal
}

/**
 * The caller, if it may use a system-level resource: a system administrator, or a system robot
 * granted `perm` (kind "system"). Every system route checks through here.
 */
export function requireSystemAccess(caller: Caller, perm: SystemPermission): Principal {
  const p = requireSignedIn(caller)
  if (!hasSystemPermission(p, perm)) throw new BerthError('DENIED', `${perm.replace(':', ' ')} needs a system administrator or a system robot granted it`)
  return p
}

/** Project and robot names: lower-case words joined by '.', '_' or '-' (Harbor's rule). */
const RESOURCE_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/

export function checkResourceName(what: string, name: string, max = 255): void {
  if (name.length === 0 || name.length > max || !RESOURCE_NAME.test(name)) {
    throw new BerthError('BAD_REQUEST', `${what} must be 1 to ${max} lower-case letters and digits, separated by '.', '_' or '-'`)
  }
}

/** User names: printable, no separators Harbor reserves ('$' marks robots, ',' '~' '#' '%' ':' '/' break URLs and lists). */
export function checkUsername(name: string): void {
  if (name.length === 0 || name.length > 255 || /[\s$,~#%:/\\"'<>]|[\u0000-\u001f\u007f]/.test(name)) {
    throw new BerthError('BAD_REQUEST', 'username must be 1 to 255 characters without spaces or any of $ , ~ # % : / \\ " \' < >')
  }
}
