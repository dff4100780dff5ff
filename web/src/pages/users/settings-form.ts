// The system settings form: what GET /configurations says, as the form edits it, and back to
// the values PUT /configurations takes. Only the keys whose value the user changed are sent, so
// that saving one setting never writes back another administrator's change to a different one.
import { bannerJson, parseBannerJson, type BannerForm } from './banner-form'

export type ConfigItem = { value: string | number | boolean; editable: boolean }
export type Configurations = Record<string, ConfigItem>

export const STORAGE_UNITS = [
  ['MiB', 1024 ** 2],
  ['GiB', 1024 ** 3],
  ['TiB', 1024 ** 4],
] as const
export type StorageUnit = (typeof STORAGE_UNITS)[number][0]

export interface SettingsForm {
  selfRegistration: boolean
  creationRestriction: 'everyone' | 'adminonly'
  /** Minutes, as typed. */
  tokenExpiration: string
  /** The default storage limit of new projects, as typed; empty for no limit. */
  storageLimit: string
  storageUnit: StorageUnit
  banner: BannerForm
  /** Harbor's read_only: every change refused while reads go on. */
  readOnly: boolean
  /** Where audit entries also go (host:port, tcp://host:port or udp://host:port); empty: nowhere. */
  auditEndpoint: string
  /** Audit entries only forwarded, not written to the database (needs an endpoint). */
  skipAuditDb: boolean
}

/** The run-time settings PUT /configurations accepts. */
export interface RuntimeSettings {
  self_registration: boolean
  project_creation_restriction: 'everyone' | 'adminonly'
  token_expiration: number
  banner_message: string
  storage_per_project: number
  read_only: boolean
  audit_log_forward_endpoint: string
  skip_audit_log_database: boolean
}

export type SettingsProblem = 'tokenExpiration' | 'storageLimit' | 'bannerDates' | 'skipAuditDb'

const factorOf = (unit: StorageUnit) => STORAGE_UNITS.find(([u]) => u === unit)![1]

/** A byte count in the largest unit that shows it as a whole number (MiB otherwise: a power of two divides exactly). */
export function storageOf(bytes: number): { storageLimit: string; storageUnit: StorageUnit } {
  if (bytes < 0) return { storageLimit: '', storageUnit: 'GiB' }
  const whole = [...STORAGE_UNITS].reverse().find(([, f]) => bytes % f === 0 && bytes >= f)
  const [unit, factor] = whole ?? STORAGE_UNITS[0]
  return { storageLimit: String(bytes / factor), storageUnit: unit }
}

export function formOf(config: Configurations): SettingsForm {
  const value = (key: string) => config[key]?.value
  const bytes = Number(value('storage_per_project') ?? -1)
  return {
    selfRegistration: value('self_registration') === true,
    creationRestriction: value('project_creation_restriction') === 'adminonly' ? 'adminonly' : 'everyone',
    tokenExpiration: String(value('token_expiration') ?? ''),
    ...storageOf(Number.isFinite(bytes) ? bytes : -1),
    banner: parseBannerJson(String(value('banner_message') ?? '')),
    readOnly: value('read_only') === true,
    auditEndpoint: String(value('audit_log_forward_endpoint') ?? ''),
    skipAuditDb: value('skip_audit_log_database') === true,
  }
}

/** What in the form the server would refuse (or that makes no sense), by field. */
export function settingsProblems(form: SettingsForm): SettingsProblem[] {
  const problems: SettingsProblem[] = []
  const minutes = Number(form.tokenExpiration)
  if (!/^\d+$/.test(form.tokenExpiration.trim()) || minutes < 1 || minutes > 1440) problems.push('tokenExpiration')
  const limit = Number(form.storageLimit)
  if (form.storageLimit.trim() !== '' && !(Number.isFinite(limit) && limit > 0 && Math.round(limit * factorOf(form.storageUnit)) >= 1)) problems.push('storageLimit')
  if (form.banner.from !== '' && form.banner.to !== '' && form.banner.from > form.banner.to) problems.push('bannerDates')
  // The server's rule (Harbor's): entries kept out of the database must go somewhere.
  if (form.skipAuditDb && form.auditEndpoint.trim() === '') problems.push('skipAuditDb')
  return problems
}

export function settingsOf(form: SettingsForm): RuntimeSettings {
  return {
    self_registration: form.selfRegistration,
    project_creation_restriction: form.creationRestriction,
    token_expiration: Number(form.tokenExpiration),
    banner_message: bannerJson(form.banner),
    storage_per_project: form.storageLimit.trim() === '' ? -1 : Math.round(Number(form.storageLimit) * factorOf(form.storageUnit)),
    read_only: form.readOnly,
    audit_log_forward_endpoint: form.auditEndpoint.trim(),
    skip_audit_log_database: form.skipAuditDb,
  }
}

/**
 * The settings whose value differs between the form as loaded and as edited: both sides are
 * built the same way, so a banner that Harbor's portal wrote with its keys in another order is
 * not "changed" by merely opening the page.
 */
export function changedSettings(initial: SettingsForm, current: SettingsForm): Partial<RuntimeSettings> {
  const before = settingsOf(initial)
  const after = settingsOf(current)
  const out: Partial<Record<keyof RuntimeSettings, unknown>> = {}
  for (const key of Object.keys(after) as (keyof RuntimeSettings)[]) if (after[key] !== before[key]) out[key] = after[key]
  return out as Partial<RuntimeSettings>
}
