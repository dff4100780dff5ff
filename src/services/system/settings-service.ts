// System settings as Harbor's /configurations shows them: the ones that can change at run time
// (stored in the database, so every node sees them, and winning over berth.yml) and the ones
// that come from berth.yml only (shown read-only; the LDAP password is never shown).
import { BerthError } from '../../lib/errors.js'
import type { LdapSettings } from '../../auth/ldap-directory.js'
import type { Stores } from '../../metadata/stores.js'
import type { Caller } from '../../auth/identity.js'
import type { AuditLog } from '../audit/audit-log.js'
import type { Bus } from '../../cache/shared-state.js'
import { actorOf, requireSysadmin } from '../identity/guards.js'
import { parseSyslogEndpoint } from '../../lib/syslog.js'

export type CreationRestriction = 'everyone' | 'adminonly'

/** The settings that can change at run time, with their types and checks. */
export interface RuntimeSettings {
  self_registration: boolean
  project_creation_restriction: CreationRestriction
  /** Minutes a registry token lives (Harbor's name). */
  token_expiration: number
  banner_message: string
  /** Bytes a project created without storage_limit may hold (-1: no limit); Harbor's name. */
  storage_per_project: number
  /** Harbor's: writes through /v2/ and the API are refused, and content-changing jobs wait. */
  read_only: boolean
  /** Harbor's: where audit entries also go, as syslog (`host:port` or `tcp://host:port`, `udp://host:port`); '' for nowhere. */
  audit_log_forward_endpoint: string
  /** Harbor's: audit entries go to the endpoint only, not to the database (needs an endpoint). */
  skip_audit_log_database: boolean
}

type Check = (v: unknown) => string | null
const CHECKS: { [K in keyof RuntimeSettings]: Check } = {
  self_registration: (v) => (typeof v === 'boolean' ? null : 'must be true or false'),
  project_creation_restriction: (v) => (v === 'everyone' || v === 'adminonly' ? null : 'must be "everyone" or "adminonly"'),
  token_expiration: (v) => (Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 1440 ? null : 'must be whole minutes from 1 to 1440'),
  banner_message: (v) => (typeof v === 'string' && v.length <= 4096 ? null : 'must be a string of at most 4096 characters'),
  storage_per_project: (v) => (Number.isSafeInteger(v) && ((v as number) > 0 || v === -1) ? null : 'must be -1 (no limit) or a positive whole number of bytes'),
  read_only: (v) => (typeof v === 'boolean' ? null : 'must be true or false'),
  audit_log_forward_endpoint: (v) => {
    if (typeof v !== 'string') return 'must be a string'
    try {
      parseSyslogEndpoint(v)
      return null
    } catch (err) {
      return (err as Error).message
    }
  },
  skip_audit_log_database: (v) => (typeof v === 'boolean' ? null : 'must be true or false'),
}

/** Harbor's message when skip_audit_log_database would be on with no endpoint. */
export const SKIP_WITHOUT_ENDPOINT = 'audit log forward endpoint should be configured before enable skip audit log in database'

/** The fixed authentication settings (berth.yml's auth) this service shows and starts from. */
export interface AuthSettings {
  mode: string
  self_registration: boolean
  token_ttl_minutes: number
  session_ttl_minutes: number
  ldap: LdapSettings
}

export interface ConfigItem {
  value: string | number | boolean
  editable: boolean
}

/** How long a node trusts its copy of the stored settings. */
const CACHE_MS = 5_000

export class SettingsService {
  private cached: { at: number; value: RuntimeSettings } | undefined

  constructor(private readonly o: { stores: Stores; auth: AuthSettings; audit: AuditLog; bus?: Bus; now?: () => number }) {
    // Another node changed a setting: read it again now rather than when the cache expires.
    o.bus?.subscribe('settings-changed', () => {
      this.cached = undefined
    })
  }

  private get now(): number {
    return (this.o.now ?? Date.now)()
  }

  private defaults(): RuntimeSettings {
    const c = { auth: this.o.auth }
    return {
      self_registration: c.auth.self_registration,
      project_creation_restriction: 'everyone',
      token_expiration: c.auth.token_ttl_minutes,
      banner_message: '',
      storage_per_project: -1,
      read_only: false,
      audit_log_forward_endpoint: '',
      skip_audit_log_database: false,
    }
  }

  /** The effective run-time settings: stored values over berth.yml's. */
  async current(): Promise<RuntimeSettings> {
    if (this.cached !== undefined && this.now - this.cached.at < CACHE_MS) return this.cached.value
    const stored = await this.o.stores.settings.all()
    const value = { ...this.defaults() } as Record<string, unknown>
    for (const key of Object.keys(CHECKS)) if (key in stored && CHECKS[key as keyof RuntimeSettings](stored[key]) === null) value[key] = stored[key]
    this.cached = { at: this.now, value: value as unknown as RuntimeSettings }
    return this.cached.value
  }

  /** Whether the registry is read-only now (as this node last read it: at most CACHE_MS old, sooner after a bus message). */
  async readOnly(): Promise<boolean> {
    return (await this.current()).read_only
  }

  /** Every setting as Harbor shows it ({value, editable}); administrators only. */
  async list(caller: Caller): Promise<Record<string, ConfigItem>> {
    requireSysadmin(caller)
    const rt = await this.current()
    const c = { auth: this.o.auth }
    const ldap = c.auth.ldap
    const scope = { base: 0, one: 1, sub: 2 }[ldap.scope]
    const fixed: Record<string, string | number | boolean> = {
      auth_mode: c.auth.mode,
      primary_auth_mode: false,
      ldap_url: ldap.url,
      ldap_search_dn: ldap.search_dn,
      ldap_base_dn: ldap.base_dn,
      ldap_filter: ldap.filter,
      ldap_uid: ldap.uid_attribute,
      ldap_scope: scope,
      ldap_timeout: ldap.timeout_seconds,
      ldap_verify_cert: ldap.tls_verify,
      ldap_group_base_dn: ldap.group_base_dn,
      ldap_group_search_filter: ldap.group_filter,
      ldap_group_attribute_name: ldap.group_name_attribute,
      ldap_group_admin_dn: ldap.group_admin_dn,
      session_timeout: c.auth.session_ttl_minutes,
    }
    const out: Record<string, ConfigItem> = {}
    for (const [k, v] of Object.entries(fixed)) out[k] = { value: v, editable: false }
    for (const [k, v] of Object.entries(rt)) out[k] = { value: v as string | number | boolean, editable: true }
    return out
  }

  /** Changes run-time settings; a key that is not one of them is refused with what to do instead. */
  async update(caller: Caller, changes: Record<string, unknown>): Promise<void> {
    requireSysadmin(caller)
    const fixed = await this.list(caller)
    for (const [key, value] of Object.entries(changes)) {
      const check = Object.hasOwn(CHECKS, key) ? CHECKS[key as keyof RuntimeSettings] : undefined
      if (check === undefined) {
        throw new BerthError('BAD_REQUEST', key in fixed ? `${key} is set in berth.yml and cannot be changed through the API` : `unknown setting ${JSON.stringify(key)}`)
      }
      const problem = check(value)
      if (problem !== null) throw new BerthError('BAD_REQUEST', `${key} ${problem}`)
    }
    // Harbor's rule, checked on the settings as they would be after the change.
    if ('skip_audit_log_database' in changes || 'audit_log_forward_endpoint' in changes) {
      const rt = await this.current()
      const skip = (changes.skip_audit_log_database ?? rt.skip_audit_log_database) as boolean
      const endpoint = (changes.audit_log_forward_endpoint ?? rt.audit_log_forward_endpoint) as string
      if (skip && endpoint === '') throw new BerthError('BAD_REQUEST', SKIP_WITHOUT_ENDPOINT)
    }
    await this.o.stores.settings.put(changes)
    this.cached = undefined
    await this.o.bus?.publish('settings-changed', Object.keys(changes).join(','))
    for (const key of Object.keys(changes)) {
      // Turning the database off for audit entries is itself kept there.
      const keep = key === 'skip_audit_log_database' || key === 'audit_log_forward_endpoint'
      this.o.audit.record({ ...actorOf(caller), operation: 'update', resourceType: 'configuration', resource: key, result: 'success', ...(keep ? { keepInDatabase: true } : {}) })
    }
  }
}
