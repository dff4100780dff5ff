// Harbor's project metadata keys and CVE allowlist: what each key accepts and how it is kept (as
// Harbor keeps it, a string). One table serves the request schemas, the metadata routes and the
// service, so a key is validated the same way whichever route sets it.
import { BerthError } from '../../lib/errors.js'

export type MetadataKind =
  | { type: 'flag' }
  | { type: 'choice'; values: readonly string[] }
  | { type: 'integer'; min: number }
  | { type: 'text'; maxLength: number }

/** Harbor's severities, lowest first (Harbor's ParseSeverityVersion3). */
export const SEVERITIES = ['none', 'low', 'medium', 'high', 'critical'] as const

/**
 * Every metadata key Harbor's ProjectMetadata model names. Only `public` acts today; the others
 * are stored and returned so that Harbor's clients keep their settings, and take effect with the
 * feature they belong to (scanning, content trust, retention, proxy cache).
 */
export const METADATA_KEYS: Record<string, MetadataKind> = {
  public: { type: 'flag' },
  auto_scan: { type: 'flag' },
  auto_sbom_generation: { type: 'flag' },
  enable_content_trust: { type: 'flag' },
  enable_content_trust_cosign: { type: 'flag' },
  prevent_vul: { type: 'flag' },
  severity: { type: 'choice', values: SEVERITIES },
  reuse_sys_cve_allowlist: { type: 'flag' },
  retention_id: { type: 'integer', min: 1 },
  proxy_speed_kb: { type: 'integer', min: -1 },
  max_upstream_conn: { type: 'integer', min: -1 },
  proxy_cache_local_on_not_found: { type: 'flag' },
  proxy_referrer_api: { type: 'flag' },
  proxy_cache_filter_pattern: { type: 'text', maxLength: 255 },
  proxy_cache_filter_kind: { type: 'choice', values: ['doublestar', 'regex'] },
}

/** At most this many CVE ids in one allowlist, each at most CVE_ID_MAX characters. */
export const CVE_ALLOWLIST_MAX = 1000
export const CVE_ID_MAX = 64
/** CVE-2024-1234, GHSA-xxxx-xxxx-xxxx, RHSA-2024:1234 and the like. */
export const CVE_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:-]*$'
const CVE_ID = new RegExp(CVE_ID_PATTERN)
const MAX_INTEGER = 2 ** 31 - 1

/** One value as Harbor stores it; BAD_REQUEST naming the key when it is not acceptable. */
export function metadataValue(key: string, value: unknown): string {
  const kind = Object.hasOwn(METADATA_KEYS, key) ? METADATA_KEYS[key]! : undefined
  if (kind === undefined) throw new BerthError('BAD_REQUEST', `metadata key ${JSON.stringify(key.slice(0, 64))} is not one of ${Object.keys(METADATA_KEYS).join(', ')}`)
  const bad = (what: string) => new BerthError('BAD_REQUEST', `metadata ${key} must be ${what}`)
  switch (kind.type) {
    case 'flag':
      if (value === true || value === 'true') return 'true'
      if (value === false || value === 'false') return 'false'
      throw bad('"true" or "false"')
    case 'choice': {
      const v = typeof value === 'string' ? value.toLowerCase() : undefined
      if (v === undefined || !kind.values.includes(v)) throw bad(`one of ${kind.values.join(', ')}`)
      return v
    }
    case 'integer': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d{1,10}$/.test(value) ? Number(value) : NaN
      if (!Number.isInteger(n) || n < kind.min || n > MAX_INTEGER) throw bad(`an integer from ${kind.min} to ${MAX_INTEGER}`)
      return String(n)
    }
    case 'text':
      if (typeof value !== 'string' || value.length > kind.maxLength || /[\u0000-\u001f]/.test(value)) throw bad(`text of at most ${kind.maxLength} characters`)
      return value
  }
}

/** Metadata from a request: every given key validated; null and absent keys are left out. */
export function metadataValues(input: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(input)) if (value !== null && value !== undefined) out[key] = metadataValue(key, value)
  return out
}

/** A CVE allowlist from a request: ids trimmed, checked and de-duplicated, in their order. */
export function cveAllowlistOf(input: { expires_at?: number | null; items?: { cve_id?: string }[] }): { expiresAt: number | null; items: string[] } {
  const items: string[] = []
  for (const item of input.items ?? []) {
    const id = (item.cve_id ?? '').trim()
    if (id === '' || id.length > CVE_ID_MAX || !CVE_ID.test(id)) throw new BerthError('BAD_REQUEST', `cve_allowlist: ${JSON.stringify(id.slice(0, CVE_ID_MAX))} is not a CVE id (letters, digits, '.', '_', ':', '-'; at most ${CVE_ID_MAX} characters)`)
    if (!items.includes(id)) items.push(id)
  }
  if (items.length > CVE_ALLOWLIST_MAX) throw new BerthError('BAD_REQUEST', `cve_allowlist holds at most ${CVE_ALLOWLIST_MAX} CVE ids`)
  const expiresAt = input.expires_at ?? null
  if (expiresAt !== null && (!Number.isInteger(expiresAt) || expiresAt < 0)) throw new BerthError('BAD_REQUEST', 'cve_allowlist.expires_at must be unix seconds')
  return { expiresAt, items }
}
