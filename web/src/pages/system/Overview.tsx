// The administrators' overview (/admin/overview): the health of each component, project and
// repository counts, the projects that use the most storage, the job queues, the last garbage
// collection, the last replication runs and the latest failures of background work. Each card
// asks the server on its own, so a slow answer holds up only its card.
import type { ReactNode } from 'react'
import { Link } from 'react-router'
import { useTranslation } from 'react-i18next'
import { useQuery, type UseQueryResult } from '@tanstack/react-query'
import { Card, CardBody, CardFooter, CardHeader, CardTitle, DescriptionList, DescriptionListDescription, DescriptionListGroup, DescriptionListTerm, Flex, FlexItem, Grid, GridItem, Label, List, ListItem, PageSection, Spinner } from '@patternfly/react-core'
import { api, ok, page } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'
import { PageTitle } from '../../components/PageTitle'
import { useFormat } from '../../lib/format'
import { failureLink, failuresByKind, KIND_KEYS } from './failures'
import { QuotaUsage } from './QuotaUsage'
import { StatusLabel } from './StatusLabel'
import { parametersOf } from './schedule'
import { COMPONENT_KEYS, healthStatus, runStatus } from './status'
import './system.css'

/** Cards refresh this often while the page is open. */
const LIVE = 15_000

function OverviewCard<T>({ id, title, query, footer, badge, children }: { id: string; title: string; query: UseQueryResult<T>; footer?: ReactNode; badge?: ReactNode; children(data: T): ReactNode }) {
  const { t } = useTranslation()
  return (
    <Card isFullHeight id={id} aria-labelledby={`${id}-title`} component="section">
      <CardHeader {...(badge !== undefined ? { actions: { actions: badge, hasNoOffset: true } } : {})}>
        <CardTitle component="h2" id={`${id}-title`}>
          {title}
        </CardTitle>
      </CardHeader>
      <CardBody aria-busy={query.isFetching}>
        {query.isLoading && <Spinner size="md" aria-label={t('common.loading')} aria-valuetext={t('common.loading')} />}
        {query.error !== null && <ErrorAlert error={query.error} />}
        {query.data !== undefined && children(query.data)}
      </CardBody>
      {footer !== undefined && <CardFooter>{footer}</CardFooter>}
    </Card>
  )
}

function HealthCard() {
  const { t } = useTranslation()
  const q = useQuery({ queryKey: ['system', 'overview', 'health'], queryFn: async () => ok(await api.GET('/api/v2.0/health')), refetchInterval: LIVE })
  return (
    <OverviewCard id="overview-health" title={t('system.overview.health')} query={q} badge={q.data !== undefined ? <StatusLabel look={healthStatus(q.data.status)} raw={q.data.status} /> : undefined}>
      {(h) => (
        <DescriptionList isHorizontal isCompact>
          {h.components.map((c) => (
            <DescriptionListGroup key={c.name}>
              <DescriptionListTerm>{Object.hasOwn(COMPONENT_KEYS, c.name) ? t(COMPONENT_KEYS[c.name]!) : c.name}</DescriptionListTerm>
              <DescriptionListDescription>
                <StatusLabel look={healthStatus(c.status)} raw={c.status} />
                {c.error !== undefined && <div className="berth-small">{c.error}</div>}
              </DescriptionListDescription>
            </DescriptionListGroup>
          ))}
        </DescriptionList>
      )}
    </OverviewCard>
  )
}

function CountsCard() {
  const { t } = useTranslation()
  const f = useFormat()
  const q = useQuery({ queryKey: ['system', 'overview', 'statistics'], queryFn: async () => ok(await api.GET('/api/v2.0/statistics')), refetchInterval: LIVE })
  return (
    <OverviewCard id="overview-counts" title={t('system.overview.counts')} query={q} footer={<Link to="/projects">{t('system.overview.allProjects')}</Link>}>
      {(s) => (
        <DescriptionList isHorizontal isCompact>
          <DescriptionListGroup>
            <DescriptionListTerm>{t('system.overview.projects')}</DescriptionListTerm>
            <DescriptionListDescription>{t('system.overview.publicPrivate', { total: s.total_project_count, public: s.public_project_count, private: s.private_project_count })}</DescriptionListDescription>
          </DescriptionListGroup>
          <DescriptionListGroup>
            <DescriptionListTerm>{t('system.overview.repositories')}</DescriptionListTerm>
            <DescriptionListDescription>{t('system.overview.publicPrivate', { total: s.total_repo_count, public: s.public_repo_count, private: s.private_repo_count })}</DescriptionListDescription>
          </DescriptionListGroup>
          {s.total_storage_consumption !== undefined && (
            <DescriptionListGroup>
              <DescriptionListTerm>{t('system.overview.storage')}</DescriptionListTerm>
              <DescriptionListDescription>{f.bytes(s.total_storage_consumption)}</DescriptionListDescription>
            </DescriptionListGroup>
          )}
        </DescriptionList>
      )}
    </OverviewCard>
  )
}

function StorageCard() {
  const { t } = useTranslation()
  const q = useQuery({
    queryKey: ['system', 'overview', 'storage'],
    queryFn: async () => page(await api.GET('/api/v2.0/quotas', { params: { query: { reference: 'project', sort: '-used.storage', page: 1, page_size: 5 } } })),
    refetchInterval: LIVE,
  })
  return (
    <OverviewCard id="overview-storage" title={t('system.overview.topStorage')} query={q} footer={<Link to="/admin/quotas?sort=-used.storage">{t('system.overview.allQuotas')}</Link>}>
      {(p) =>
        p.items.length === 0 ? (
          t('system.overview.noProjects')
        ) : (
          <List isPlain>
            {p.items.map((quota) => (
              <ListItem key={quota.id}>
                <div>
                  <Link to={`/projects/${quota.ref.id}/summary`}>{quota.ref.name}</Link>
                </div>
                <QuotaUsage used={quota.used.storage ?? 0} hard={quota.hard.storage ?? -1} name={quota.ref.name} />
              </ListItem>
            ))}
          </List>
        )
      }
    </OverviewCard>
  )
}

function QueuesCard() {
  const { t } = useTranslation()
  const f = useFormat()
  const q = useQuery({ queryKey: ['system', 'overview', 'queues'], queryFn: async () => ok(await api.GET('/api/v2.0/jobservice/queues')), refetchInterval: LIVE })
  return (
    <OverviewCard id="overview-queues" title={t('system.overview.queues')} query={q} footer={<Link to="/admin/jobservice">{t('system.overview.toJobService')}</Link>}>
      {(queues) => {
        const shown = queues.filter((x) => x.count > 0 || x.paused).sort((a, b) => b.count - a.count)
        const pending = queues.reduce((n, x) => n + x.count, 0)
        return (
          <>
            <p>{t('system.overview.pendingTotal', { count: pending, queues: queues.length })}</p>
            {shown.length === 0 ? (
              <p>{t('system.overview.queuesIdle')}</p>
            ) : (
              <DescriptionList isHorizontal isCompact className="berth-gap-top">
                {shown.slice(0, 6).map((x) => (
                  <DescriptionListGroup key={x.job_type}>
                    <DescriptionListTerm>
                      <span className="berth-mono">{x.job_type}</span>
                    </DescriptionListTerm>
                    <DescriptionListDescription>
                      <Flex spaceItems={{ default: 'spaceItemsSm' }}>
                        <FlexItem>{t('system.overview.queueLine', { count: x.count, seconds: x.latency })}</FlexItem>
                        {x.paused && (
                          <FlexItem>
                            <Label isCompact status="warning">
                              {t('system.jobs.statePaused')}
                            </Label>
                          </FlexItem>
                        )}
                      </Flex>
                    </DescriptionListDescription>
                  </DescriptionListGroup>
                ))}
              </DescriptionList>
            )}
            {shown.length > 6 && <p>{t('system.overview.moreQueues', { count: shown.length - 6 })}</p>}
          </>
        )
      }}
    </OverviewCard>
  )
}

function GcCard() {
  const { t } = useTranslation()
  const f = useFormat()
  const q = useQuery({ queryKey: ['system', 'overview', 'gc'], queryFn: async () => ok(await api.GET('/api/v2.0/system/gc', { params: { query: { page: 1, page_size: 1 } } })), refetchInterval: LIVE })
  return (
    <OverviewCard id="overview-gc" title={t('system.overview.lastGc')} query={q} footer={<Link to="/admin/gc">{t('system.overview.toGc')}</Link>}>
      {(runs) => {
        const run = runs[0]
        if (run === undefined) return t('system.overview.neverGc')
        const p = parametersOf(run.job_parameters)
        return (
          <DescriptionList isHorizontal isCompact>
            <DescriptionListGroup>
              <DescriptionListTerm>{t('system.history.status')}</DescriptionListTerm>
              <DescriptionListDescription>
                <StatusLabel look={runStatus(run.job_status)} raw={run.job_status} /> {p.dry_run === true && <Label isCompact>{t('system.history.dryRun')}</Label>}
              </DescriptionListDescription>
            </DescriptionListGroup>
            <DescriptionListGroup>
              <DescriptionListTerm>{t('system.history.started')}</DescriptionListTerm>
              <DescriptionListDescription>{f.dateTime(run.creation_time)}</DescriptionListDescription>
            </DescriptionListGroup>
            {runStatus(run.job_status)?.active !== true && (
              <DescriptionListGroup>
                <DescriptionListTerm>{t('system.history.ended')}</DescriptionListTerm>
                <DescriptionListDescription>{f.dateTime(run.update_time)}</DescriptionListDescription>
              </DescriptionListGroup>
            )}
            {typeof p.freed_space === 'number' && (
              <DescriptionListGroup>
                <DescriptionListTerm>{t('system.gc.freedColumn')}</DescriptionListTerm>
                <DescriptionListDescription>{t(p.dry_run === true ? 'system.gc.wouldFree' : 'system.gc.freed', { size: f.bytes(p.freed_space), blobs: typeof p.purged_blobs === 'number' ? p.purged_blobs : 0 })}</DescriptionListDescription>
              </DescriptionListGroup>
            )}
          </DescriptionList>
        )
      }}
    </OverviewCard>
  )
}

function ReplicationCard() {
  const { t } = useTranslation()
  const f = useFormat()
  const q = useQuery({ queryKey: ['system', 'overview', 'replication'], queryFn: async () => ok(await api.GET('/api/v2.0/replication/executions', { params: { query: { page: 1, page_size: 5 } } })), refetchInterval: LIVE })
  return (
    <OverviewCard id="overview-replication" title={t('system.overview.replication')} query={q} footer={<Link to="/admin/replications">{t('system.overview.toReplication')}</Link>}>
      {(runs) =>
        runs.length === 0 ? (
          t('system.overview.noReplication')
        ) : (
          <DescriptionList isHorizontal isCompact>
            {runs.map((r) => (
              <DescriptionListGroup key={r.id}>
                <DescriptionListTerm>{t('system.overview.replicationRun', { policy: r.policy_id, id: r.id })}</DescriptionListTerm>
                <DescriptionListDescription>
                  <StatusLabel look={runStatus(r.status)} raw={r.status} /> {f.dateTime(r.start_time)}
                  {r.failed > 0 && <div className="berth-small">{t('system.overview.tasksFailed', { failed: r.failed, total: r.total })}</div>}
                </DescriptionListDescription>
              </DescriptionListGroup>
            ))}
          </DescriptionList>
        )
      }
    </OverviewCard>
  )
}

function FailuresCard() {
  const { t } = useTranslation()
  const f = useFormat()
  const q = useQuery({ queryKey: ['system', 'overview', 'failures'], queryFn: async () => page(await api.GET('/api/v2.0/berth/overview/failures', { params: { query: { page: 1, page_size: 20 } } })), refetchInterval: LIVE })
  const kind = (k: string) => (Object.hasOwn(KIND_KEYS, k) ? t(KIND_KEYS[k]!) : k)
  return (
    <OverviewCard id="overview-failures" title={t('system.overview.failures')} query={q} badge={q.data !== undefined && q.data.total > 0 ? <Label status="danger">{f.number(q.data.total)}</Label> : undefined}>
      {(p) =>
        p.items.length === 0 ? (
          t('system.overview.noFailures')
        ) : (
          <>
            <Flex spaceItems={{ default: 'spaceItemsSm' }} className="berth-gap-bottom">
              {failuresByKind(p.items).map((c) => (
                <FlexItem key={c.kind}>
                  <Label isCompact color="red">
                    {t('system.overview.kindCount', { kind: kind(c.kind), count: c.count })}
                  </Label>
                </FlexItem>
              ))}
            </Flex>
            <List isPlain isBordered>
              {p.items.slice(0, 8).map((x) => {
                const link = failureLink(x)
                const what = t('system.overview.failureTitle', { kind: kind(x.vendor_type), id: x.id })
                const owner = [x.project_name, x.policy_name].filter((v) => v !== undefined).join(' · ')
                return (
                  <ListItem key={x.id}>
                    <Flex spaceItems={{ default: 'spaceItemsSm' }}>
                      <FlexItem>{link === null ? what : <Link to={link}>{what}</Link>}</FlexItem>
                      {owner !== '' && <FlexItem>{owner}</FlexItem>}
                      <FlexItem className="berth-subtle">{f.dateTime(x.end_time ?? x.start_time)}</FlexItem>
                    </Flex>
                    {x.status_message !== '' && <div className="berth-small berth-mono">{x.status_message}</div>}
                  </ListItem>
                )
              })}
            </List>
          </>
        )
      }
    </OverviewCard>
  )
}

export default function Overview() {
  const { t } = useTranslation()
  return (
    <>
      <PageTitle title={t('app.nav.overview')} description={t('system.overview.intro')} />
      <PageSection>
        <Grid hasGutter>
          <GridItem md={6} xl={4}>
            <HealthCard />
          </GridItem>
          <GridItem md={6} xl={4}>
            <CountsCard />
          </GridItem>
          <GridItem md={6} xl={4}>
            <StorageCard />
          </GridItem>
          <GridItem md={6} xl={4}>
            <QueuesCard />
          </GridItem>
          <GridItem md={6} xl={4}>
            <GcCard />
          </GridItem>
          <GridItem md={6} xl={4}>
            <ReplicationCard />
          </GridItem>
          <GridItem md={12}>
            <FailuresCard />
          </GridItem>
        </Grid>
      </PageSection>
    </>
  )
}
