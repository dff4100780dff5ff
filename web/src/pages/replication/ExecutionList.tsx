// A policy's executions, newest first, filtered by status and trigger: each with its progress,
// polled every 2 s while one on the page runs; stop a run, retry its failed tasks, run now.
import { useState } from 'react'
import { Link, useNavigate, useParams } from 'react-router'
import { useTranslation } from 'react-i18next'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { Breadcrumb, BreadcrumbItem, Button, PageBreadcrumb, PageSection, ToolbarItem } from '@patternfly/react-core'
import { api, ok, page } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'
import { PageTitle } from '../../components/PageTitle'
import { ServerTable, type Column } from '../../components/ServerTable'
import { pagingQuery } from '../../components/list-params'
import { useToast } from '../../components/Toasts'
import { useFormat } from '../../lib/format'
import type { Execution } from './api-types'
import { canRetry, canStop, POLL_MS, replicateNow, retryExecution } from './execution-actions'
import { ExecutionProgress } from './ExecutionProgress'
import { FilterSelect, useUrlFilter } from './FilterSelect'
import { RowActions } from './RowActions'
import { EXECUTION_STATUSES, isRunning, statusLook, TRIGGER } from './status'
import { StatusLabel } from './StatusLabel'
import { StopDialog } from './StopDialog'
import './replication.css'

export default function ExecutionList() {
  const { t } = useTranslation()
  const f = useFormat()
  const client = useQueryClient()
  const toast = useToast()
  const navigate = useNavigate()
  const policyId = Number(useParams().policyId)
  const status = useUrlFilter('status')
  const trigger = useUrlFilter('trigger')
  const [polling, setPolling] = useState(false)
  const [stopping, setStopping] = useState<Execution | null>(null)
  const list = ['replication', 'executions', policyId, status, trigger] as const
  const refresh = () => client.invalidateQueries({ queryKey: ['replication', 'executions', policyId] })

  const policy = useQuery({
    queryKey: ['replication', 'policy', policyId],
    queryFn: async () => ok(await api.GET('/api/v2.0/replication/policies/{id}', { params: { path: { id: String(policyId) } } })),
    enabled: Number.isInteger(policyId) && policyId > 0,
  })

  const run = async () => {
    try {
      await replicateNow(policyId)
      toast('success', t('replication.started', { name: policy.data?.name ?? '' }))
      await refresh()
    } catch (e) {
      toast('danger', (e as Error).message)
    }
  }
  const retry = async (e: Execution) => {
    try {
      const n = await retryExecution(e.id)
      toast(n > 0 ? 'success' : 'info', n > 0 ? t('replication.execution.retried', { count: n }) : t('replication.execution.nothingToRetry'))
      await refresh()
    } catch (err) {
      toast('danger', (err as Error).message)
    }
  }

  const columns: Column<Execution>[] = [
    { key: 'id', title: t('replication.execution.col.id'), render: (e) => <Link className="berth-replication-nowrap" to={`/admin/replications/executions/${e.id}`}>{t('replication.execution.name', { id: e.id })}</Link> },
    { key: 'status', title: t('replication.execution.col.status'), render: (e) => <StatusLabel status={e.status} /> },
    { key: 'trigger', title: t('replication.execution.col.trigger'), render: (e) => (TRIGGER[e.trigger] !== undefined ? t(TRIGGER[e.trigger]!) : e.trigger) },
    { key: 'start', title: t('replication.execution.col.start'), render: (e) => <span className="berth-replication-nowrap">{f.dateTime(e.start_time)}</span> },
    { key: 'progress', title: t('replication.execution.col.progress'), width: 20, render: (e) => <ExecutionProgress execution={e} id={`execution-progress-${e.id}`} /> },
    {
      key: 'counts',
      title: t('replication.execution.col.tasks'),
      render: (e) => t('replication.execution.counts', { succeed: f.number(e.succeed), failed: f.number(e.failed), inProgress: f.number(e.in_progress) }),
    },
  ]

  const title = policy.data !== undefined ? t('replication.execution.titleOf', { name: policy.data.name }) : t('replication.execution.title')
  return (
    <>
      <PageBreadcrumb>
        <Breadcrumb aria-label={t('common.breadcrumb')}>
          <BreadcrumbItem render={({ className }) => <Link className={className} to="/admin/replications">{t('replication.policy.title')}</Link>} />
          <BreadcrumbItem isActive>{policy.data?.name ?? String(policyId)}</BreadcrumbItem>
        </Breadcrumb>
      </PageBreadcrumb>
      <PageTitle title={title} />
      <PageSection>
        {policy.error !== null && <ErrorAlert error={policy.error} />}
        <ServerTable<Execution>
          label={title}
          columns={columns}
          queryKey={list}
          rowKey={(e) => e.id}
          emptyText={t('replication.execution.empty')}
          fetchPage={async (params) => {
            const p = page(
              await api.GET('/api/v2.0/replication/executions', {
                params: { query: { ...pagingQuery(params), policy_id: policyId, ...(status !== '' ? { status } : {}), ...(trigger !== '' ? { trigger } : {}) } },
              }),
            )
            setPolling(p.items.some((e) => isRunning(e.status)))
            return p
          }}
          {...(polling ? { refetchInterval: POLL_MS } : {})}
          actions={
            <>
              <ToolbarItem>
                <FilterSelect
                  name="status"
                  label={t('replication.filter.status')}
                  all={t('replication.filter.allStatuses')}
                  options={EXECUTION_STATUSES.map((s) => [s, t(statusLook(s).key!)])}
                />
              </ToolbarItem>
              <ToolbarItem>
                <FilterSelect name="trigger" label={t('replication.filter.trigger')} all={t('replication.filter.allTriggers')} options={Object.entries(TRIGGER).map(([k, key]) => [k, t(key)])} />
              </ToolbarItem>
              <ToolbarItem>
                <Button variant="primary" onClick={() => void run()} isDisabled={policy.data?.enabled === false}>
                  {t('replication.replicateNow')}
                </Button>
              </ToolbarItem>
            </>
          }
          rowActions={(e) =>
            canStop(e) || canRetry(e) ? (
              <RowActions
                label={t('replication.execution.actionsFor', { id: e.id })}
                items={[
                  ...(canStop(e) ? [{ title: t('replication.execution.stop'), onClick: () => setStopping(e) }] : []),
                  ...(canRetry(e) ? [{ title: t('replication.execution.retry'), onClick: () => void retry(e) }] : []),
                  { title: t('replication.execution.tasks'), onClick: () => navigate(`/admin/replications/executions/${e.id}`) },
                ]}
              />
            ) : null
          }
        />
      </PageSection>
      {stopping !== null && <StopDialog execution={stopping} onClose={() => setStopping(null)} onStopped={refresh} />}
    </>
  )
}
