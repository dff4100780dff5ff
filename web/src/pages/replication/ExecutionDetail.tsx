// One execution: its status, counts and progress, and its tasks (filtered by status and
// resource type), each with its log. Polled every 2 s until the execution ends.
import { useEffect, useRef, useState } from 'react'
import { Link, useParams } from 'react-router'
import { useTranslation } from 'react-i18next'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { Breadcrumb, BreadcrumbItem, Button, DescriptionList, DescriptionListDescription, DescriptionListGroup, DescriptionListTerm, Flex, PageBreadcrumb, PageSection, Stack, Title, ToolbarItem } from '@patternfly/react-core'
import { api, ok, page } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'
import { PageTitle } from '../../components/PageTitle'
import { ServerTable, type Column } from '../../components/ServerTable'
import { pagingQuery } from '../../components/list-params'
import { useToast } from '../../components/Toasts'
import { useFormat } from '../../lib/format'
import type { Task } from './api-types'
import { canRetry, canStop, POLL_MS, retryExecution } from './execution-actions'
import { ExecutionProgress } from './ExecutionProgress'
import { FilterSelect, useUrlFilter } from './FilterSelect'
import { isRunning, OPERATION, RESOURCE_TYPE, statusLook, TASK_STATUSES, TRIGGER } from './status'
import { StatusLabel } from './StatusLabel'
import { StopDialog } from './StopDialog'
import { TaskLogModal } from './TaskLogModal'
import './replication.css'

export default function ExecutionDetail() {
  const { t } = useTranslation()
  const f = useFormat()
  const client = useQueryClient()
  const toast = useToast()
  const executionId = Number(useParams().executionId)
  const status = useUrlFilter('status')
  const resource = useUrlFilter('resource_type')
  const [log, setLog] = useState<Task | null>(null)
  const [stopping, setStopping] = useState(false)

  const execution = useQuery({
    queryKey: ['replication', 'execution', executionId],
    queryFn: async () => ok(await api.GET('/api/v2.0/replication/executions/{id}', { params: { path: { id: String(executionId) } } })),
    refetchInterval: (q) => (q.state.data === undefined || isRunning(q.state.data.status) ? POLL_MS : false),
  })
  const e = execution.data
  const running = e !== undefined && isRunning(e.status)
  const policy = useQuery({
    queryKey: ['replication', 'policy', e?.policy_id],
    queryFn: async () => ok(await api.GET('/api/v2.0/replication/policies/{id}', { params: { path: { id: String(e!.policy_id) } } })),
    enabled: e !== undefined,
  })
  const tasksKey = ['replication', 'tasks', executionId] as const
  const refresh = () => Promise.all([client.invalidateQueries({ queryKey: ['replication', 'execution', executionId] }), client.invalidateQueries({ queryKey: tasksKey })])

  // The tasks stop polling with the execution: read them once more when it ends, for their final states.
  const wasRunning = useRef(false)
  useEffect(() => {
    if (wasRunning.current && !running) void client.invalidateQueries({ queryKey: tasksKey })
    wasRunning.current = running
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [running, client])

  const retry = async () => {
    try {
      const n = await retryExecution(executionId)
      toast(n > 0 ? 'success' : 'info', n > 0 ? t('replication.execution.retried', { count: n }) : t('replication.execution.nothingToRetry'))
      await refresh()
    } catch (err) {
      toast('danger', (err as Error).message)
    }
  }

  const columns: Column<Task>[] = [
    { key: 'id', title: t('replication.task.col.id'), render: (x) => f.number(x.id) },
    { key: 'operation', title: t('replication.task.col.operation'), render: (x) => (OPERATION[x.operation] !== undefined ? t(OPERATION[x.operation]!) : x.operation) },
    { key: 'src', title: t('replication.task.col.source'), render: (x) => x.src_resource || '—' },
    { key: 'dst', title: t('replication.task.col.destination'), render: (x) => x.dst_resource || '—' },
    { key: 'status', title: t('replication.task.col.status'), render: (x) => <StatusLabel status={x.status} /> },
    { key: 'end', title: t('replication.task.col.end'), render: (x) => <span className="berth-replication-nowrap">{f.dateTime(x.end_time)}</span> },
    {
      key: 'log',
      title: t('replication.task.col.log'),
      render: (x) => (
        <Button variant="link" isInline className="berth-replication-nowrap" onClick={() => setLog(x)} aria-label={t('replication.task.logOf', { id: x.id })}>
          {t('replication.task.log')}
        </Button>
      ),
    },
  ]

  const title = t('replication.execution.name', { id: executionId })
  return (
    <>
      <PageBreadcrumb>
        <Breadcrumb aria-label={t('common.breadcrumb')}>
          <BreadcrumbItem render={({ className }) => <Link className={className} to="/admin/replications">{t('replication.policy.title')}</Link>} />
          {e !== undefined && (
            <BreadcrumbItem render={({ className }) => <Link className={className} to={`/admin/replications/${e.policy_id}`}>{policy.data?.name ?? String(e.policy_id)}</Link>} />
          )}
          <BreadcrumbItem isActive>{title}</BreadcrumbItem>
        </Breadcrumb>
      </PageBreadcrumb>
      <PageTitle title={title} />
      <PageSection>
        {execution.error !== null && <ErrorAlert error={execution.error} />}
        {e !== undefined && (
          <Stack hasGutter>
            <DescriptionList isHorizontal isCompact columnModifier={{ lg: '2Col' }}>
              <DescriptionListGroup>
                <DescriptionListTerm>{t('replication.execution.col.status')}</DescriptionListTerm>
                <DescriptionListDescription>
                  <StatusLabel status={e.status} />
                </DescriptionListDescription>
              </DescriptionListGroup>
              <DescriptionListGroup>
                <DescriptionListTerm>{t('replication.execution.col.trigger')}</DescriptionListTerm>
                <DescriptionListDescription>{TRIGGER[e.trigger] !== undefined ? t(TRIGGER[e.trigger]!) : e.trigger}</DescriptionListDescription>
              </DescriptionListGroup>
              <DescriptionListGroup>
                <DescriptionListTerm>{t('replication.execution.col.start')}</DescriptionListTerm>
                <DescriptionListDescription>{f.dateTime(e.start_time)}</DescriptionListDescription>
              </DescriptionListGroup>
              <DescriptionListGroup>
                <DescriptionListTerm>{t('replication.execution.col.end')}</DescriptionListTerm>
                <DescriptionListDescription>{f.dateTime(e.end_time)}</DescriptionListDescription>
              </DescriptionListGroup>
              <DescriptionListGroup>
                <DescriptionListTerm>{t('replication.execution.col.tasks')}</DescriptionListTerm>
                <DescriptionListDescription>
                  {t('replication.execution.countsAll', { total: f.number(e.total), succeed: f.number(e.succeed), failed: f.number(e.failed), inProgress: f.number(e.in_progress), stopped: f.number(e.stopped) })}
                </DescriptionListDescription>
              </DescriptionListGroup>
              <DescriptionListGroup>
                <DescriptionListTerm>{t('replication.execution.col.progress')}</DescriptionListTerm>
                <DescriptionListDescription>
                  <ExecutionProgress execution={e} id="execution-progress" />
                </DescriptionListDescription>
              </DescriptionListGroup>
              {e.status_text !== '' && (
                <DescriptionListGroup>
                  <DescriptionListTerm>{t('replication.execution.statusText')}</DescriptionListTerm>
                  <DescriptionListDescription>{e.status_text}</DescriptionListDescription>
                </DescriptionListGroup>
              )}
            </DescriptionList>
            {(canStop(e) || canRetry(e)) && (
            <Flex>
              {canStop(e) && (
                <Button variant="danger" onClick={() => setStopping(true)}>
                  {t('replication.execution.stop')}
                </Button>
              )}
              {canRetry(e) && (
                <Button variant="secondary" onClick={() => void retry()}>
                  {t('replication.execution.retry')}
                </Button>
              )}
            </Flex>
            )}
          </Stack>
        )}
      </PageSection>
      <PageSection>
        <Title headingLevel="h2">{t('replication.task.title')}</Title>
        <ServerTable<Task>
          label={t('replication.task.title')}
          columns={columns}
          queryKey={[...tasksKey, status, resource]}
          rowKey={(x) => x.id}
          emptyText={running ? t('replication.task.planning') : t('replication.task.empty')}
          fetchPage={async (params) =>
            page(
              await api.GET('/api/v2.0/replication/executions/{id}/tasks', {
                params: { path: { id: String(executionId) }, query: { ...pagingQuery(params), ...(status !== '' ? { status } : {}), ...(resource !== '' ? { resource_type: resource } : {}) } },
              }),
            )
          }
          {...(running ? { refetchInterval: POLL_MS } : {})}
          actions={
            <>
              <ToolbarItem>
                <FilterSelect name="status" label={t('replication.filter.status')} all={t('replication.filter.allStatuses')} options={TASK_STATUSES.map((s) => [s, t(statusLook(s).key!)])} />
              </ToolbarItem>
              <ToolbarItem>
                <FilterSelect name="resource_type" label={t('replication.filter.resourceType')} all={t('replication.filter.allResourceTypes')} options={Object.entries(RESOURCE_TYPE).map(([v, key]) => [v, t(key)])} />
              </ToolbarItem>
            </>
          }
        />
      </PageSection>
      {log !== null && <TaskLogModal task={log} onClose={() => setLog(null)} pollMs={POLL_MS} />}
      {stopping && e !== undefined && <StopDialog execution={e} onClose={() => setStopping(false)} onStopped={refresh} />}
    </>
  )
}
