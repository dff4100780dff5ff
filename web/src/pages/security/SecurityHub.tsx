// The security hub (/admin/security-hub, Harbor's "Security Hub"): counts of scanned artifacts
// and of vulnerabilities by severity, the most dangerous CVEs and artifacts, the search over
// every finding (Harbor's filters, paged by the server), and Berth's CVE lookup.
import { useState, type FormEvent, type ReactNode } from 'react'
import { Link, useSearchParams } from 'react-router'
import { useTranslation } from 'react-i18next'
import { useQuery } from '@tanstack/react-query'
import {
  ActionGroup,
  Button,
  Card,
  CardBody,
  CardTitle,
  Content,
  Form,
  FormGroup,
  FormSelect,
  FormSelectOption,
  Gallery,
  Grid,
  GridItem,
  PageSection,
  TextInput,
  Title,
} from '@patternfly/react-core'
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table'
import { api, ok, page } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'
import { PageTitle } from '../../components/PageTitle'
import { ServerTable, type Column } from '../../components/ServerTable'
import { pagingQuery } from '../../components/list-params'
import { useFormat } from '../../lib/format'
import { Loading } from '../../app/App'
import { repoInProject, repoUrl, shortDigest } from '../repositories/artifacts'
import { CveLink } from './CveLink'
import { downloadable, exportsQuery } from './cve-export'
import { SeverityLabel } from './ScanCells'
import { NO_FILTER, SEVERITIES, SEVERITY_KEYS, cvssValid, severityOf, vulQuery, type Severity, type VulFilter } from './severity'
import './security.css'

type Finding = NonNullable<Awaited<ReturnType<typeof loadVul>>>['items'][number]
async function loadVul(q: string, p: Parameters<typeof pagingQuery>[0]) {
  return page(await api.GET('/api/v2.0/security/vul', { params: { query: { page: p.page, page_size: p.pageSize, tune_count: true, with_tag: true, ...(q !== '' ? { q } : {}) } } }))
}

/** The console's link to an artifact the hub names by its full repository name and digest. */
export function artifactLink(projectId: number, repository: string, digest: string): string {
  return repoUrl(projectId, repoInProject(repository, repository.split('/')[0] ?? ''), digest)
}

/** The caller's CVE exports: how many, how many wait to be downloaded, and the page that lists them. */
function ExportsCard() {
  const { t } = useTranslation()
  const q = useQuery(exportsQuery)
  const items = q.data ?? []
  return (
    <Card>
      <CardTitle component="h2">{t('security.exports.title')}</CardTitle>
      <CardBody>
        {q.error !== null && <ErrorAlert error={q.error} />}
        <Content component="p" data-testid="hub-exports">
          {t('security.exports.summary', { count: items.length, ready: items.filter(downloadable).length })}
        </Content>
        <Content component="p">
          <Link to="/cve-exports">{t('security.exports.open')}</Link>
        </Content>
      </CardBody>
    </Card>
  )
}

function Summary() {
  const { t } = useTranslation()
  const f = useFormat()
  const q = useQuery({ queryKey: ['security', 'summary'], queryFn: async () => ok(await api.GET('/api/v2.0/security/summary', { params: { query: { with_dangerous_cve: true, with_dangerous_artifact: true } } })) })
  if (q.error !== null) return <ErrorAlert error={q.error} />
  if (q.data === undefined) return <Loading />
  const s = q.data
  const bySeverity: [Severity, number][] = [
    ['Critical', s.critical_cnt],
    ['High', s.high_cnt],
    ['Medium', s.medium_cnt],
    ['Low', s.low_cnt],
    ['None', s.none_cnt],
    ['Unknown', s.unknown_cnt],
  ]
  return (
    <>
      <Gallery hasGutter minWidths={{ default: '14rem' }}>
        <Card>
          <CardTitle component="h2">{t('security.hub.scanned')}</CardTitle>
          <CardBody>
            <span className="berth-hub-number" data-testid="hub-scanned">{f.number(s.scanned_cnt)}</span> {t('security.hub.ofArtifacts', { total: s.total_artifact })}
          </CardBody>
        </Card>
        <Card>
          <CardTitle component="h2">{t('security.hub.total')}</CardTitle>
          <CardBody>
            <span className="berth-hub-number" data-testid="hub-total">{f.number(s.total_vuls)}</span>
          </CardBody>
        </Card>
        <Card>
          <CardTitle component="h2">{t('security.hub.fixable')}</CardTitle>
          <CardBody>
            <span className="berth-hub-number">{f.number(s.fixable_cnt)}</span>
          </CardBody>
        </Card>
        <Card>
          <CardTitle component="h2">{t('security.hub.bySeverity')}</CardTitle>
          <CardBody>
            <Table aria-label={t('security.hub.bySeverity')} variant="compact" borders={false}>
              <Tbody>
                {bySeverity.map(([sev, n]) => (
                  <Tr key={sev}>
                    <Td>
                      <SeverityLabel severity={sev} />
                    </Td>
                    <Td data-testid={`hub-${sev.toLowerCase()}`}>{f.number(n)}</Td>
                  </Tr>
                ))}
              </Tbody>
            </Table>
          </CardBody>
        </Card>
        <ExportsCard />
      </Gallery>
      <Grid hasGutter md={6} className="pf-v6-u-mt-md">
        <GridItem>
          <TopList
            title={t('security.hub.dangerousCves')}
            columns={[t('security.col.cve'), t('security.col.severity'), t('security.col.cvss'), t('security.col.package')]}
            rows={(s.dangerous_cves ?? []).map((c) => ({
              key: `${c.cve_id} ${c.package}`,
              cells: [
                <CveLink key="cve" id={c.cve_id} />,
                <SeverityLabel key="severity" severity={severityOf(c.severity)} />,
                c.cvss_score_v3 !== undefined ? f.number(c.cvss_score_v3) : '—',
                t('security.packageVersion', { package: c.package, version: c.version }),
              ],
            }))}
          />
        </GridItem>
        <GridItem>
          <TopList
            title={t('security.hub.dangerousArtifacts')}
            columns={[t('security.col.artifact'), t('security.severity.critical'), t('security.severity.high'), t('security.severity.medium')]}
            rows={(s.dangerous_artifacts ?? []).map((a) => ({
              key: `${a.repository_name}@${a.digest}`,
              cells: [
                <Link key="artifact" to={artifactLink(a.project_id, a.repository_name, a.digest)}>{`${a.repository_name}@${shortDigest(a.digest)}`}</Link>,
                f.number(a.critical_cnt),
                f.number(a.high_cnt),
                f.number(a.medium_cnt),
              ],
            }))}
          />
        </GridItem>
      </Grid>
    </>
  )
}

/** One of the hub's top-five cards: a compact table, or a line saying there is nothing. */
function TopList({ title, columns, rows }: { title: string; columns: string[]; rows: { key: string; cells: ReactNode[] }[] }) {
  const { t } = useTranslation()
  return (
    <Card>
      <CardTitle component="h2">{title}</CardTitle>
      <CardBody>
        {rows.length === 0 ? (
          <Content component="p">{t('security.hub.none')}</Content>
        ) : (
          <Table aria-label={title} variant="compact">
            <Thead>
              <Tr>
                {columns.map((c) => (
                  <Th key={c}>{c}</Th>
                ))}
              </Tr>
            </Thead>
            <Tbody>
              {rows.map((r) => (
                <Tr key={r.key}>
                  {r.cells.map((cell, i) => (
                    <Td key={i}>{cell}</Td>
                  ))}
                </Tr>
              ))}
            </Tbody>
          </Table>
        )}
      </CardBody>
    </Card>
  )
}

const FILTER_PARAMS: [keyof VulFilter, string][] = [
  ['cveId', 'vul_cve'],
  ['severity', 'vul_severity'],
  ['cvssFrom', 'vul_cvss_from'],
  ['cvssTo', 'vul_cvss_to'],
  ['repository', 'vul_repository'],
  ['package', 'vul_package'],
  ['tag', 'vul_tag'],
  ['digest', 'vul_digest'],
]

/** The search form's fields that are text boxes, with their catalogue keys. */
const TEXT_FIELDS: [keyof VulFilter, string][] = [
  ['cveId', 'security.col.cve'],
  ['repository', 'security.col.repository'],
  ['package', 'security.col.package'],
  ['tag', 'security.col.tag'],
  ['digest', 'security.col.digest'],
]

function VulnerabilitySearch() {
  const { t } = useTranslation()
  const f = useFormat()
  const [search, setSearch] = useSearchParams()
  const applied = Object.fromEntries(FILTER_PARAMS.map(([k, p]) => [k, search.get(p) ?? ''])) as unknown as VulFilter
  const [form, setForm] = useState<VulFilter>(applied)
  const q = vulQuery(applied)
  const cvssBad = !cvssValid(form.cvssFrom) || !cvssValid(form.cvssTo)
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (cvssBad) return
    setSearch((prev) => {
      const next = new URLSearchParams(prev)
      for (const [k, p] of FILTER_PARAMS) {
        if (form[k] === '') next.delete(p)
        else next.set(p, form[k])
      }
      // A new search starts at the first page (the list's own page parameter).
      next.delete('vulpage')
      return next
    })
  }
  const columns: Column<Finding>[] = [
    { key: 'cve', title: t('security.col.cve'), render: (v) => <CveLink id={v.cve_id} /> },
    { key: 'artifact', title: t('security.col.artifact'), render: (v) => <Link to={artifactLink(v.project_id, v.repository_name, v.digest)}>{`${v.repository_name}@${shortDigest(v.digest)}`}</Link> },
    { key: 'tags', title: t('security.col.tag'), render: (v) => (v.tags ?? []).join(', ') || '—' },
    { key: 'severity', title: t('security.col.severity'), render: (v) => <SeverityLabel severity={severityOf(v.severity)} /> },
    { key: 'cvss', title: t('security.col.cvss'), render: (v) => (v.cvss_v3_score !== undefined ? f.number(v.cvss_v3_score) : '—') },
    { key: 'package', title: t('security.col.package'), render: (v) => t('security.packageVersion', { package: v.package, version: v.version }) },
    { key: 'fixed', title: t('security.col.fixedIn'), render: (v) => v.fixed_version || '—' },
  ]
  return (
    <>
      <Form onSubmit={submit}>
        <Grid hasGutter md={3}>
          {TEXT_FIELDS.map(([k, label]) => (
            <GridItem key={k}>
              <FormGroup label={t(label)} fieldId={`vul-${k}`}>
                <TextInput id={`vul-${k}`} value={form[k]} onChange={(_e, v) => setForm((x) => ({ ...x, [k]: v }))} />
              </FormGroup>
            </GridItem>
          ))}
          <GridItem>
            <FormGroup label={t('security.col.severity')} fieldId="vul-severity">
              <FormSelect id="vul-severity" value={form.severity} onChange={(_e, v) => setForm((x) => ({ ...x, severity: v as Severity | '' }))}>
                <FormSelectOption value="" label={t('security.hub.anySeverity')} />
                {SEVERITIES.map((s) => (
                  <FormSelectOption key={s} value={s} label={t(SEVERITY_KEYS[s])} />
                ))}
              </FormSelect>
            </FormGroup>
          </GridItem>
          <GridItem>
            <FormGroup label={t('security.hub.cvssFrom')} fieldId="vul-cvss-from">
              <TextInput id="vul-cvss-from" type="number" min={0} max={10} step={0.1} value={form.cvssFrom} validated={cvssValid(form.cvssFrom) ? 'default' : 'error'} onChange={(_e, v) => setForm((x) => ({ ...x, cvssFrom: v }))} />
            </FormGroup>
          </GridItem>
          <GridItem>
            <FormGroup label={t('security.hub.cvssTo')} fieldId="vul-cvss-to">
              <TextInput id="vul-cvss-to" type="number" min={0} max={10} step={0.1} value={form.cvssTo} validated={cvssValid(form.cvssTo) ? 'default' : 'error'} onChange={(_e, v) => setForm((x) => ({ ...x, cvssTo: v }))} />
            </FormGroup>
          </GridItem>
        </Grid>
        <ActionGroup>
          <Button type="submit" isDisabled={cvssBad}>
            {t('security.hub.search')}
          </Button>
          <Button variant="link" onClick={() => setForm(NO_FILTER)}>
            {t('security.hub.clear')}
          </Button>
        </ActionGroup>
      </Form>
      <ServerTable<Finding>
        label={t('security.hub.vulnerabilities')}
        prefix="vul"
        columns={columns}
        queryKey={['security', 'vul', q]}
        rowKey={(v) => `${v.cve_id} ${v.repository_name} ${v.digest} ${v.package} ${v.version}`}
        emptyText={t('security.hub.noFindings')}
        fetchPage={(params) => loadVul(q, params)}
      />
    </>
  )
}

type CveArtifact = Awaited<ReturnType<typeof loadCve>>['items'][number]
async function loadCve(cve: string, p: Parameters<typeof pagingQuery>[0]) {
  return page(await api.GET('/api/v2.0/berth/cves/{cve_id}/artifacts', { params: { path: { cve_id: cve }, query: { page: p.page, page_size: p.pageSize } } }))
}

/** Berth's CVE lookup: the artifacts a CVE affects and, in the same repositories, those scanned without it. */
function CveLookup() {
  const { t } = useTranslation()
  const [search, setSearch] = useSearchParams()
  const cve = search.get('cve') ?? ''
  const [typed, setTyped] = useState(cve)
  const columns: Column<CveArtifact>[] = [
    { key: 'artifact', title: t('security.col.artifact'), render: (a) => <Link to={artifactLink(a.project_id, a.repository_name, a.digest)}>{`${a.repository_name}@${shortDigest(a.digest)}`}</Link> },
    { key: 'tags', title: t('security.col.tag'), render: (a) => a.tags.join(', ') || '—' },
    { key: 'affected', title: t('security.cve.status'), render: (a) => (a.affected ? <SeverityLabel severity={severityOf(a.severity)} /> : t('security.cve.notAffected')) },
    { key: 'package', title: t('security.col.package'), render: (a) => (a.package !== undefined ? t('security.packageVersion', { package: a.package, version: a.version ?? '' }) : '—') },
    { key: 'fixed', title: t('security.col.fixedIn'), render: (a) => a.fixed_version || '—' },
  ]
  return (
    <>
      <Form
        isHorizontal
        onSubmit={(e) => {
          e.preventDefault()
          setSearch((prev) => {
            const next = new URLSearchParams(prev)
            if (typed.trim() === '') next.delete('cve')
            else next.set('cve', typed.trim())
            next.delete('cvepage')
            return next
          })
        }}
      >
        <FormGroup label={t('security.cve.id')} fieldId="cve-lookup">
          <TextInput id="cve-lookup" value={typed} placeholder={t('security.cve.placeholder')} onChange={(_e, v) => setTyped(v)} />
        </FormGroup>
        <ActionGroup>
          <Button type="submit" isDisabled={typed.trim() === ''}>
            {t('security.cve.lookup')}
          </Button>
        </ActionGroup>
      </Form>
      {cve !== '' && (
        <ServerTable<CveArtifact>
          label={t('security.cve.results', { cve })}
          prefix="cve"
          columns={columns}
          queryKey={['security', 'cve', cve]}
          rowKey={(a) => `${a.repository_name}@${a.digest}`}
          emptyText={t('security.cve.noArtifacts', { cve })}
          fetchPage={(params) => loadCve(cve, params)}
        />
      )}
    </>
  )
}

export default function SecurityHub() {
  const { t } = useTranslation()
  return (
    <>
      <PageTitle title={t('security.hub.title')} description={t('security.hub.intro')} />
      <PageSection>
        <Summary />
      </PageSection>
      <PageSection>
        <Title headingLevel="h2">{t('security.hub.vulnerabilities')}</Title>
        <VulnerabilitySearch />
      </PageSection>
      <PageSection>
        <Title headingLevel="h2">{t('security.cve.title')}</Title>
        <Content component="p">{t('security.cve.intro')}</Content>
        <CveLookup />
      </PageSection>
    </>
  )
}
