import { describe, expect, it } from 'vitest'
import { configFormOf, cveIdsOf, projectUpdateOf, CVE_ID } from './project-config'
import type { Project } from '../projects/project-context'

const project = (metadata: Record<string, string>, items: string[] = [], expires_at?: number): Project =>
  ({
    project_id: 7,
    name: 'p',
    metadata: { public: 'false', ...metadata },
    cve_allowlist: { id: 7, project_id: 7, items: items.map((cve_id) => ({ cve_id })), creation_time: '', update_time: '', ...(expires_at !== undefined ? { expires_at } : {}) },
  }) as unknown as Project

describe('configFormOf', () => {
  it("reads absent keys as Harbor does: the system allowlist reused, other flags off, severity low", () => {
    const f = configFormOf(project({}))
    expect(f.flags.reuse_sys_cve_allowlist).toBe(true)
    expect(f.flags.auto_scan).toBe(false)
    expect(f.severity).toBe('low')
    expect(f.expires).toBe('')
  })
})

describe('projectUpdateOf', () => {
  it('sends nothing when nothing changed', () => {
    const f = configFormOf(project({ auto_scan: 'true', severity: 'high' }, ['CVE-2024-1'], 1_900_000_000))
    expect(projectUpdateOf(f, { ...f })).toBeNull()
  })

  it('sends only the metadata keys that changed', () => {
    const f = configFormOf(project({ auto_scan: 'true' }))
    expect(projectUpdateOf(f, { ...f, flags: { ...f.flags, public: true } })).toEqual({ metadata: { public: 'true' } })
    expect(projectUpdateOf(f, { ...f, severity: 'critical', flags: { ...f.flags, auto_scan: false } })).toEqual({ metadata: { auto_scan: 'false', severity: 'critical' } })
  })

  it('sends the whole allowlist when its ids or expiry change', () => {
    const f = configFormOf(project({ reuse_sys_cve_allowlist: 'false' }, ['CVE-2024-1']))
    expect(projectUpdateOf(f, { ...f, cves: ['CVE-2024-1', 'CVE-2024-2'] })).toEqual({ cve_allowlist: { items: [{ cve_id: 'CVE-2024-1' }, { cve_id: 'CVE-2024-2' }], expires_at: null } })
    const expiring = projectUpdateOf(f, { ...f, expires: '2031-06-30' })
    expect(expiring?.cve_allowlist?.expires_at).toBe(Math.floor(new Date(2031, 5, 30, 23, 59, 59, 999).getTime() / 1000))
  })
})

describe('CVE ids', () => {
  it('splits what is pasted and checks each id as the server does', () => {
    expect(cveIdsOf(' CVE-2024-1, GHSA-abcd-efgh-ijkl\nRHSA-2024:1234 ')).toEqual(['CVE-2024-1', 'GHSA-abcd-efgh-ijkl', 'RHSA-2024:1234'])
    expect(CVE_ID.test('CVE-2024-1')).toBe(true)
    expect(CVE_ID.test('-bad')).toBe(false)
    expect(CVE_ID.test('x'.repeat(65))).toBe(false)
  })
})
