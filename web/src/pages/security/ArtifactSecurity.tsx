// An artifact page's security tabs: its vulnerabilities (the vulnerabilities addition, filtered by
// severity and text, allowlisted CVEs marked) and its SBOM (the generation's state and a link to
// the SBOM accessory).
import { useMemo, useState } from 'react'
import { Link } from 'react-router'
import { useTranslation } from 'react-i18next'
import { useQuery } from '@tanstack/react-query'
import { Content, DescriptionList, DescriptionListDescription, DescriptionListGroup, DescriptionListTerm, FormSelect, FormSelectOption, Label, Pagination, SearchInput, Spinner, Toolbar, ToolbarContent, ToolbarItem } from '@patternfly/react-core'
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table'
import { api, ok } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'
import { useFormat } from '../../lib/format'
import type { Project } from '../projects/project-context'
import { repoParams, repoUrl, shortDigest } from '../repositories/artifacts'
import { CveLink } from './CveLink'
import { SeverityLabel } from './ScanCells'
import { SEVERITIES, SEVERITY_KEYS, type Severity } from './severity'
import { filterRows, vulnerabilityRows } from './vulnerability-list'
import './security.css'

const PER_PAGE = 25

/** The CVE ids the project's pull check ignores now (its own list, or the system's), when unexpired. */
function useAllowlist(project: Project): Set<string> {
  const reuse = project.metadata?.reuse_sys_cve_allowlist !== 'false'
  const system = useQuery({ queryKey: ['system', 'cve-allowlist'], queryFn: async () => ok(await api.GET('/api/v2.0/system/CVEAllowlist')), enabled: reuse, staleTime: 60_000 })
  const list = reuse ? system.data : project.cve_allowlist
  return useMemo(() => {
    if (list === undefined || (list.expires_at !== undefined && list.expires_at > 0 && list.expires_at * 1000 < Date.now())) return new Set<string>()
    return new Set(list.items.map((i) => i.cve_id))
  }, [list])
}

export function VulnerabilitiesTab({ project, repo, digest }: { project: Project; repo: string; digest: string }) {
  const { t } = useTranslation()
  const f = useFormat()
  const [severity, setSeverity] = useState<Severity | ''>('')
  const [text, setText] = useState('')
  const [pageNo, setPageNo] = useState(1)
  const allowed = useAllowlist(project)
  const q = useQuery({
    queryKey: ['addition', project.name, repo, digest, 'vulnerabilities'],
    queryFn: async () => ok(await api.GET('/api/v2.0/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}/additions/vulnerabilities', { params: { path: { ...repoParams(project.name, repo), reference: digest } } })),
  })
  const rows = useMemo(() => vulnerabilityRows(q.data), [q.data])
  const shown = filterRows(rows, severity, text)
  const pageRows = shown.slice((pageNo - 1) * PER_PAGE, pageNo * PER_PAGE)
  if (q.error !== null) return <ErrorAlert error={q.error} />
  if (q.isLoading) return <Spinner aria-valuetext={t('common.loading')} aria-label={t('common.loading')} />
  if (rows.length === 0) return <Content component="p">{Object.keys(q.data ?? {}).length === 0 ? t('security.vulns.noReport') : t('security.scan.clean')}</Content>
  return (
    <>
      <Toolbar>
        <ToolbarContent>
          <ToolbarItem>
            <SearchInput aria-label={t('security.vulns.filter')} placeholder={t('security.vulns.filter')} resetButtonLabel={t('common.clearSearch')} value={text} onChange={(_e, v) => (setText(v), setPageNo(1))} onClear={() => (setText(''), setPageNo(1))} />
          </ToolbarItem>
          <ToolbarItem>
            <FormSelect aria-label={t('security.col.severity')} value={severity} onChange={(_e, v) => (setSeverity(v as Severity | ''), setPageNo(1))}>
              <FormSelectOption value="" label={t('security.hub.anySeverity')} />
              {SEVERITIES.map((s) => (
                <FormSelectOption key={s} value={s} label={t(SEVERITY_KEYS[s])} />
              ))}
            </FormSelect>
          </ToolbarItem>
          <ToolbarItem variant="pagination">
            <Pagination itemCount={shown.length} page={pageNo} perPage={PER_PAGE} perPageOptions={[]} onSetPage={(_e, p) => setPageNo(p)} isCompact titles={{ ofWord: t('common.pagination.of'), toNextPageAriaLabel: t('common.pagination.next'), toPreviousPageAriaLabel: t('common.pagination.previous'), paginationAriaLabel: t('common.pagination.label'), currPageAriaLabel: t('common.pagination.current') }} />
          </ToolbarItem>
        </ToolbarContent>
      </Toolbar>
      <Table aria-label={t('security.vulns.title')} variant="compact">
        <Thead>
          <Tr>
            <Th>{t('security.col.cve')}</Th>
            <Th>{t('security.col.severity')}</Th>
            <Th>{t('security.col.cvss')}</Th>
            <Th>{t('security.col.package')}</Th>
            <Th>{t('security.vulns.version')}</Th>
            <Th>{t('security.col.fixedIn')}</Th>
            <Th>{t('security.vulns.description')}</Th>
          </Tr>
        </Thead>
        <Tbody>
          {pageRows.map((r) => (
            <Tr key={`${r.id} ${r.package} ${r.version}`}>
              <Td dataLabel={t('security.col.cve')}>
                <CveLink id={r.id} /> {allowed.has(r.id) && <Label isCompact>{t('security.vulns.allowlisted')}</Label>}
              </Td>
              <Td dataLabel={t('security.col.severity')}>
                <SeverityLabel severity={r.severity} />
              </Td>
              <Td dataLabel={t('security.col.cvss')}>{r.cvss !== null ? f.number(r.cvss) : '—'}</Td>
              <Td dataLabel={t('security.col.package')}>{r.package}</Td>
              <Td dataLabel={t('security.vulns.version')}>{r.version}</Td>
              <Td dataLabel={t('security.col.fixedIn')}>{r.fixVersion || '—'}</Td>
              <Td dataLabel={t('security.vulns.description')} className="berth-cve-description">
                {r.description || '—'}
              </Td>
            </Tr>
          ))}
        </Tbody>
      </Table>
      {shown.length === 0 && <Content component="p">{t('security.hub.noFindings')}</Content>}
    </>
  )
}

interface SbomOverview {
  scan_status?: string
  sbom_digest?: string
  end_time?: string
}

export function SbomTab({ projectId, repo, overview }: { projectId: number; repo: string; overview: SbomOverview | undefined }) {
  const { t } = useTranslation()
  const f = useFormat()
  if (overview === undefined || overview.scan_status === undefined) return <Content component="p">{t('security.sbom.none')}</Content>
  return (
    <DescriptionList isHorizontal>
      <DescriptionListGroup>
        <DescriptionListTerm>{t('security.sbom.status')}</DescriptionListTerm>
        <DescriptionListDescription>{overview.scan_status}</DescriptionListDescription>
      </DescriptionListGroup>
      {overview.end_time !== undefined && !overview.end_time.startsWith('0001') && (
        <DescriptionListGroup>
          <DescriptionListTerm>{t('security.sbom.generated')}</DescriptionListTerm>
          <DescriptionListDescription>{f.dateTime(overview.end_time)}</DescriptionListDescription>
        </DescriptionListGroup>
      )}
      {overview.sbom_digest !== undefined && overview.sbom_digest !== '' && (
        <DescriptionListGroup>
          <DescriptionListTerm>{t('security.sbom.accessory')}</DescriptionListTerm>
          <DescriptionListDescription>
            <Link to={repoUrl(projectId, repo, overview.sbom_digest)} className="berth-mono">
              {shortDigest(overview.sbom_digest)}
            </Link>
          </DescriptionListDescription>
        </DescriptionListGroup>
      )}
    </DescriptionList>
  )
}
