// A project's configuration as its form edits it, and the PUT /projects/{p} body of what
// changed: only the metadata keys whose value differs, and the CVE allowlist only when its ids
// or expiry differ, so that saving never rewrites what another admin set meanwhile.
import type { Project } from '../projects/project-context'
import { dayOf, momentOf } from './banner-form'

/** Harbor's severities (src/services/identity/project-metadata.ts), lowest first. */
export const SEVERITIES = ['none', 'low', 'medium', 'high', 'critical'] as const
export type Severity = (typeof SEVERITIES)[number]

/** The on/off metadata keys this form edits (the proxy-cache keys belong to proxy projects; retention_id to the retention policy). */
export const FLAGS = ['public', 'auto_scan', 'auto_sbom_generation', 'prevent_vul', 'enable_content_trust', 'enable_content_trust_cosign', 'reuse_sys_cve_allowlist'] as const
export type Flag = (typeof FLAGS)[number]

/** Harbor reads an absent reuse_sys_cve_allowlist as true, every other absent flag as false. */
const ABSENT_FLAG: Record<Flag, boolean> = {
  public: false,
  auto_scan: false,
  auto_sbom_generation: false,
  prevent_vul: false,
  enable_content_trust: false,
  enable_content_trust_cosign: false,
  reuse_sys_cve_allowlist: true,
}

export interface ProjectConfigForm {
  flags: Record<Flag, boolean>
  severity: Severity
  /** The project's own CVE allowlist, in its order. */
  cves: string[]
  /** Last day the allowlist applies (YYYY-MM-DD, local); empty for never expires. */
  expires: string
}

export function configFormOf(project: Project): ProjectConfigForm {
  const m = (project.metadata ?? {}) as Record<string, string | undefined>
  const flags = Object.fromEntries(FLAGS.map((k) => [k, m[k] === undefined ? ABSENT_FLAG[k] : m[k] === 'true'])) as Record<Flag, boolean>
  const severity = (SEVERITIES as readonly string[]).includes(m.severity ?? '') ? (m.severity as Severity) : 'low'
  const expiresAt = project.cve_allowlist?.expires_at
  return { flags, severity, cves: (project.cve_allowlist?.items ?? []).map((i) => i.cve_id), expires: expiresAt !== undefined ? dayOf(new Date(expiresAt * 1000).toISOString()) : '' }
}

/** As the server checks a CVE id: letters, digits and . _ : - , at most 64 characters. */
export const CVE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/

/** Ids typed or pasted in one go (separated by commas, spaces or new lines), trimmed. */
export function cveIdsOf(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '')
}

export interface ProjectUpdate {
  metadata?: Partial<Record<Flag, 'true' | 'false'>> & { severity?: Severity }
  cve_allowlist?: { items: { cve_id: string }[]; expires_at: number | null }
}

export const expiresAtOf = (day: string): number | null => (day === '' ? null : Math.floor(Date.parse(momentOf(day, true)) / 1000))

/** The body of PUT /projects/{p} for what differs between the loaded and the edited form; null when nothing does. */
export function projectUpdateOf(initial: ProjectConfigForm, current: ProjectConfigForm): ProjectUpdate | null {
  const metadata: NonNullable<ProjectUpdate['metadata']> = {}
  for (const k of FLAGS) if (initial.flags[k] !== current.flags[k]) metadata[k] = current.flags[k] ? 'true' : 'false'
  if (initial.severity !== current.severity) metadata.severity = current.severity
  const out: ProjectUpdate = {}
  if (Object.keys(metadata).length > 0) out.metadata = metadata
  if (initial.cves.join('\n') !== current.cves.join('\n') || expiresAtOf(initial.expires) !== expiresAtOf(current.expires)) {
    out.cve_allowlist = { items: current.cves.map((cve_id) => ({ cve_id })), expires_at: expiresAtOf(current.expires) }
  }
  return Object.keys(out).length > 0 ? out : null
}
