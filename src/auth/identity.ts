// Who is calling: principals, and the identity providers that turn credentials into them.
import type { RobotPermission } from '../metadata/robot-store.js'

/** A person known to Berth: a database user, or an LDAP user mirrored into the users table. */
export interface UserPrincipal {
  kind: 'user'
  userId: number
  username: string
  sysadmin: boolean
  /** DNs of the LDAP groups the user belongs to (empty in db_auth). */
  groups: string[]
  /** The client address of the request, for the audit log. */
  address?: string
  /** The stored key (a hash) of the console session the request came with, if any. */
  session?: string
}

/** A robot account; `system` comes from its stored level, never from its name. */
export interface RobotPrincipal {
  kind: 'robot'
  robotId: number
  /** The full name, `robot$...`. */
  username: string
  system: boolean
  permissions: RobotPermission[]
  address?: string
}

export interface Anonymous {
  kind: 'anonymous'
  address?: string
}

export type Principal = UserPrincipal | RobotPrincipal
export type Caller = Principal | Anonymous

export const ANONYMOUS: Anonymous = { kind: 'anonymous' }

/** What an external directory says about a user whose password it accepted. */
export interface ExternalIdentity {
  /** The login name (value of the uid attribute). */
  username: string
  dn: string
  email: string | null
  realname: string
  /** DNs of the groups the user is a member of. */
  groups: string[]
  /** Member of the configured admin group. */
  admin: boolean
}

/** An external directory: checks passwords and finds users and groups. */
export interface Directory {
  /** The user's identity if `password` is right; null for an unknown user or a wrong password. */
  authenticate(username: string, password: string): Promise<ExternalIdentity | null>
  /** A group by DN, with its name; null when there is none under the group base. */
  findGroup(dn: string): Promise<{ dn: string; name: string } | null>
  /** Checks that the directory answers (bind as search_dn); throws otherwise. */
  ping(): Promise<void>
}

/**
 * A DN in a comparable form: lower case, whitespace around RDN separators dropped. Escaped
 * characters (`\,`, `\ `) are kept as they are, so an escaped comma or trailing space survives.
 */
export function normaliseDn(dn: string): string {
  const rdns: string[] = []
  let current = ''
  // Length of `current` up to the end of the last escape pair: trimming must not eat into it.
  let escapedEnd = 0
  const flush = () => {
    // trimStart is safe: an escaped leading space starts with the backslash.
    rdns.push((current.slice(0, escapedEnd) + current.slice(escapedEnd).trimEnd()).trimStart())
    current = ''
    escapedEnd = 0
  }
  for (let i = 0; i < dn.length; i++) {
    const ch = dn[i]!
    if (ch === '\\' && i + 1 < dn.length) {
      current += ch + dn[i + 1]!
      i++
      escapedEnd = current.length
    } else if (ch === ',') {
      flush()
    } else {
      current += ch
    }
  }
  flush()
  return rdns.join(',').toLowerCase()
}
