// The LDAP directory: checks passwords by binding as the user, and reads the user's groups.
import { readFile } from 'node:fs/promises'
import type { ConnectionOptions } from 'node:tls'
import { Client, Filter, InvalidCredentialsError, InvalidDNSyntaxError, NoSuchObjectError, type Entry } from 'ldapts'
import { BerthError } from '../lib/errors.js'
import type { Logger } from '../lib/logger.js'
import { normaliseDn } from './identity.js'
import type { Directory, ExternalIdentity } from './identity.js'

/** The directory's settings (berth.yml's auth.ldap). */
export interface LdapSettings {
  url: string
  search_dn: string
  search_password: string
  base_dn: string
  filter: string
  uid_attribute: string
  scope: 'base' | 'one' | 'sub'
  start_tls: boolean
  tls_verify: boolean
  ca_file: string
  timeout_seconds: number
  group_base_dn: string
  group_filter: string
  group_name_attribute: string
  group_admin_dn: string
}

/** Longest login name we send to the directory; anything longer is not a login name. */
const MAX_USERNAME_LENGTH = 256

/**
 * A login name we are willing to look up: non-empty, bounded, no control characters and no
 * surrounding whitespace. Filter metacharacters are allowed here because they are escaped later
 * (a directory may really have a uid like `eve*`).
 */
function isPlainLoginName(username: string): boolean {
  return (
    username.length > 0 &&
    username.length <= MAX_USERNAME_LENGTH &&
    username === username.trim() &&
    !/\p{Cc}/u.test(username)
  )
}

/** A configured filter as a parenthesised filter; operators may write it without the parentheses. */
function parenthesised(filter: string): string {
  const f = filter.trim()
  if (f === '') return ''
  return f.startsWith('(') ? f : `(${f})`
}

/** `(&extra term)`, or just `term` when there is no extra filter. */
function and(extra: string, term: string): string {
  const e = parenthesised(extra)
  return e === '' ? term : `(&${e}${term})`
}


/** Whether `dn` is `base` or lies below it (both normalised). */
function isUnder(dn: string, base: string): boolean {
  return dn === base || dn.endsWith(`,${base}`)
}

/** The string values of an attribute, matching its name case-insensitively (servers echo their own spelling). */
function values(entry: Entry, attribute: string): string[] {
  const wanted = attribute.toLowerCase()
  for (const [key, value] of Object.entries(entry)) {
    if (key === 'dn' || key.toLowerCase() !== wanted) continue
    const list = Array.isArray(value) ? value : [value]
    return list.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v))
  }
  return []
}

function first(entry: Entry, attribute: string): string | null {
  return values(entry, attribute).find((v) => v !== '') ?? null
}

/** The directory cannot be reached or refuses our search account: never to be mistaken for a wrong password. */
function unavailable(cause: unknown): BerthError {
  return new BerthError('INTERNAL', 'LDAP server unavailable', undefined, { cause })
}

function failed(what: string, cause: unknown): BerthError {
  return new BerthError('INTERNAL', `LDAP ${what} failed`, undefined, { cause })
}

/** Clients whose connection is up (after StartTLS or a first operation); a later reconnect is refused. */
const established = new WeakSet<Client>()

/** A {@link Directory} backed by an LDAP server (OpenLDAP, Active Directory, 389-ds...). */
export class LdapDirectory implements Directory {
  private ca: Promise<Buffer> | undefined

  constructor(
    private readonly settings: LdapSettings,
    private readonly log?: Logger,
  ) {}

  async authenticate(username: string, password: string): Promise<ExternalIdentity | null> {
    // An empty password would make the user bind an "unauthenticated bind", which many servers
    // (Active Directory among them) answer with success: it must never reach the server.
    if (password === '' || !isPlainLoginName(username)) return null
    const s = this.settings
    return await this.withSearchConnection(async (client) => {
      const uidTerm = `(${s.uid_attribute}=${Filter.escape(username)})`
      let entries: Entry[]
      try {
        // Two entries are enough to know the name is ambiguous.
        ;({ searchEntries: entries } = await this.guarded(client, () =>
          client.search(s.base_dn, {
            scope: s.scope,
            filter: and(s.filter, uidTerm),
            attributes: [s.uid_attribute, 'mail', 'cn', 'displayName', 'memberOf'],
            sizeLimit: 2,
            timeLimit: s.timeout_seconds,
          }),
        ))
      } catch (err) {
        throw failed('user search', err)
      }
      if (entries.length !== 1) {
        if (entries.length > 1) this.log?.warn({ username, matches: entries.length }, 'LDAP login name matches several entries')
        return null
      }
      const entry = entries[0]!
      if (!(await this.passwordMatches(entry.dn, password))) return null

      // The directory matches case-insensitively; report the name as the directory spells it.
      const uids = values(entry, s.uid_attribute)
      const uid = uids.find((u) => u.toLowerCase() === username.toLowerCase()) ?? uids[0] ?? username
      const groups = await this.groupsOf(client, entry, uid)
      const adminDn = s.group_admin_dn.trim() === '' ? null : normaliseDn(s.group_admin_dn)
      return {
        username: uid,
        dn: entry.dn,
        email: first(entry, 'mail'),
        realname: first(entry, 'displayName') ?? first(entry, 'cn') ?? uid,
        groups,
        admin: adminDn !== null && groups.includes(adminDn),
      }
    })
  }

  async findGroup(dn: string): Promise<{ dn: string; name: string } | null> {
    const s = this.settings
    if (s.group_base_dn.trim() === '' || dn.trim() === '') return null
    if (!isUnder(normaliseDn(dn), normaliseDn(s.group_base_dn))) return null
    return await this.withSearchConnection(async (client) => {
      let entries: Entry[]
      try {
        ;({ searchEntries: entries } = await this.guarded(client, () =>
          client.search(dn, {
            scope: 'base',
            // The entry must be a group, not just anything that happens to sit under the group base.
            filter: parenthesised(s.group_filter) || '(objectClass=*)',
            attributes: [s.group_name_attribute],
            timeLimit: s.timeout_seconds,
          }),
        ))
      } catch (err) {
        if (err instanceof NoSuchObjectError || err instanceof InvalidDNSyntaxError) return null
        throw failed('group search', err)
      }
      const entry = entries[0]
      if (entry === undefined) return null
      return { dn: normaliseDn(entry.dn), name: first(entry, s.group_name_attribute) ?? entry.dn }
    })
  }

  async ping(): Promise<void> {
    await this.withSearchConnection(async () => {})
  }

  /** Group DNs (normalised, deduplicated) of a user whose password was accepted; none without a group base. */
  private async groupsOf(client: Client, user: Entry, uid: string): Promise<string[]> {
    const s = this.settings
    if (s.group_base_dn.trim() === '') return []
    const base = normaliseDn(s.group_base_dn)
    const dn = Filter.escape(user.dn)
    const membership = `(|(member=${dn})(uniqueMember=${dn})(memberUid=${Filter.escape(uid)}))`
    let entries: Entry[]
    try {
      ;({ searchEntries: entries } = await this.guarded(client, () =>
        client.search(s.group_base_dn, {
          scope: 'sub',
          filter: and(s.group_filter, membership),
          attributes: ['1.1'], // DNs only
          timeLimit: s.timeout_seconds,
        }),
      ))
    } catch (err) {
      throw failed('group search', err)
    }
    const groups = new Set(entries.map((e) => normaliseDn(e.dn)))
    // memberOf (Active Directory, the OpenLDAP memberof overlay) may list groups outside the group
    // base; those are dropped so that every group reported here is one findGroup also knows.
    for (const g of values(user, 'memberOf')) {
      const n = normaliseDn(g)
      if (isUnder(n, base)) groups.add(n)
    }
    return [...groups].sort()
  }

  /** Binds as `dn` on a connection of its own, so the search connection keeps its identity. */
  private async passwordMatches(dn: string, password: string): Promise<boolean> {
    let client: Client
    try {
      client = await this.open()
    } catch (err) {
      this.log?.warn({ err, url: this.settings.url }, 'LDAP server unavailable')
      throw unavailable(err)
    }
    try {
      await this.guarded(client, () => client.bind(dn, password))
      return true
    } catch (err) {
      if (err instanceof InvalidCredentialsError) return false
      this.log?.warn({ err, url: this.settings.url }, 'LDAP user bind failed')
      throw unavailable(err)
    } finally {
      await close(client)
    }
  }

  /** Runs `fn` on a connection bound as search_dn (anonymous when it is empty), closed afterwards. */
  private async withSearchConnection<T>(fn: (client: Client) => Promise<T>): Promise<T> {
    const s = this.settings
    let client: Client | undefined
    try {
      client = await this.open()
      const c = client
      // An explicit anonymous bind when there is no search account, so an outage shows up here.
      await this.guarded(c, () => (s.search_dn === '' ? c.bind('', '') : c.bind(s.search_dn, s.search_password)))
    } catch (err) {
      if (client !== undefined) await close(client)
      this.log?.warn({ err, url: s.url }, 'LDAP server unavailable')
      throw unavailable(err)
    }
    try {
      return await fn(client)
    } finally {
      await close(client)
    }
  }

  /** A new client, connected and upgraded with StartTLS when configured. */
  private async open(): Promise<Client> {
    const s = this.settings
    const ms = s.timeout_seconds * 1000
    const ldaps = s.url.toLowerCase().startsWith('ldaps://')
    const tls = ldaps || s.start_tls ? await this.tlsOptions() : undefined
    const client = new Client({ url: s.url, timeout: ms, connectTimeout: ms, ...(ldaps ? { tlsOptions: tls } : {}) })
    // StartTLS over an ldaps:// connection would be TLS inside TLS: ldaps is already encrypted.
    if (s.start_tls && !ldaps) {
      try {
        // ldapts upgrades the bare socket, so Node would check the certificate against "localhost":
        // name the host from the URL.
        await client.startTLS({ ...tls, host: urlHost(s.url) })
      } catch (err) {
        await close(client)
        throw err
      }
      established.add(client)
    }
    return client
  }

  /**
   * Runs one operation, refusing when the connection has dropped since it was set up: ldapts would
   * silently reconnect in clear text and unauthenticated, losing StartTLS and the search bind.
   */
  private async guarded<T>(client: Client, op: () => Promise<T>): Promise<T> {
    if (established.has(client) && !client.isConnected) throw new Error('LDAP connection closed by the server')
    const result = await op()
    established.add(client)
    return result
  }

  private async tlsOptions(): Promise<ConnectionOptions> {
    const s = this.settings
    const options: ConnectionOptions = { rejectUnauthorized: s.tls_verify }
    if (s.ca_file !== '') {
      // Read once; a failed read is retried next time (the file may be fixed without a restart).
      this.ca ??= readFile(s.ca_file).catch((err: unknown) => {
        this.ca = undefined
        throw err
      })
      options.ca = await this.ca
    }
    return options
  }
}

/** The host of an ldap:// URL, without the brackets of an IPv6 literal. */
function urlHost(url: string): string {
  return new URL(url).hostname.replace(/^\[(.*)\]$/, '$1')
}

/** Unbinds and closes; errors are dropped because the connection is being thrown away anyway. */
async function close(client: Client): Promise<void> {
  try {
    await client.unbind()
  } catch {
    // already closed or broken
  }
}
