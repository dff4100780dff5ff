import { describe, expect, it } from 'vitest'
import { anyRunning, countsOf, cvssValid, NO_FILTER, scanStateOf, severityOf, vulQuery } from './severity'

const MIME = 'application/vnd.security.vulnerability.report; version=1.1'

describe('severities', () => {
  it('reads any spelling, negligible as None, the rest as Unknown', () => {
    expect(severityOf('CRITICAL')).toBe('Critical')
    expect(severityOf('negligible')).toBe('None')
    expect(severityOf('bogus')).toBe('Unknown')
    expect(severityOf(undefined)).toBe('Unknown')
  })
  it('counts worst first, without zeros, adding spellings of one severity', () => {
    expect(countsOf({ Low: 3, Critical: 1, High: 0, medium: 2, Medium: 1, x: 'y' })).toEqual([
      { severity: 'Critical', count: 1 },
      { severity: 'Medium', count: 3 },
      { severity: 'Low', count: 3 },
    ])
    expect(countsOf(undefined)).toEqual([])
  })
})

describe('scanStateOf', () => {
  it('is none without an overview', () => {
    expect(scanStateOf(undefined)).toEqual({ kind: 'none' })
    expect(scanStateOf({})).toEqual({ kind: 'none' })
  })
  it('reads a running, failed and finished scan', () => {
    expect(scanStateOf({ [MIME]: { scan_status: 'Running', complete_percent: 40 } })).toEqual({ kind: 'running', percent: 40 })
    expect(scanStateOf({ [MIME]: { scan_status: 'Error', report_id: 'r1' } })).toEqual({ kind: 'error', reportId: 'r1' })
    expect(scanStateOf({ [MIME]: { scan_status: 'Success', severity: 'High', report_id: 'r2', end_time: 't', summary: { total: 4, fixable: 1, summary: { High: 1, Low: 3 } } } })).toEqual({
      kind: 'done',
      severity: 'High',
      total: 4,
      fixable: 1,
      counts: [
        { severity: 'High', count: 1 },
        { severity: 'Low', count: 3 },
      ],
      reportId: 'r2',
      endTime: 't',
    })
    expect(anyRunning([{}, { [MIME]: { scan_status: 'Pending' } }])).toBe(true)
    expect(anyRunning([{}, { [MIME]: { scan_status: 'Success' } }])).toBe(false)
  })
})

describe('vulQuery', () => {
  it('is empty without filters', () => {
    expect(vulQuery(NO_FILTER)).toBe('')
  })
  it("builds Harbor's q, dropping characters that would change it", () => {
    expect(vulQuery({ ...NO_FILTER, cveId: ' CVE-2024-1,x ', severity: 'High', cvssFrom: '7', repository: 'lib/app', package: 'ssl' })).toBe('cve_id=CVE-2024-1x,severity=High,cvss_score_v3=[7~10],repository_name=~lib/app,package=~ssl')
    expect(vulQuery({ ...NO_FILTER, cvssTo: '5', tag: 'v1', digest: 'sha256:ab' })).toBe('cvss_score_v3=[0~5],tag=v1,digest=sha256:ab')
  })
  it('checks CVSS bounds', () => {
    expect(cvssValid('')).toBe(true)
    expect(cvssValid('9.8')).toBe(true)
    expect(cvssValid('11')).toBe(false)
    expect(cvssValid('x')).toBe(false)
  })
})

describe('advisoryUrl', async () => {
  const { advisoryUrl } = await import('./CveLink')
  it('links CVE and GHSA ids, nothing else', () => {
    expect(advisoryUrl('cve-2024-12345')).toBe('https://nvd.nist.gov/vuln/detail/CVE-2024-12345')
    expect(advisoryUrl('GHSA-abcd-efgh-jkmp')).toBeNull()
    expect(advisoryUrl('GHSA-2345-6789-cfgh')).toBe('https://github.com/advisories/GHSA-2345-6789-cfgh')
    expect(advisoryUrl('javascript:alert(1)')).toBeNull()
  })
})
