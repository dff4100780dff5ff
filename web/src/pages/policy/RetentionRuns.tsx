// The runs of a retention policy, newest first, polled while one is going; a run's tasks (one per
// repository: how many artifacts it kept of how many) and each task's log.
import { useState } from 'react'
import { useSearchParams } from 'react-router'
import { useTranslation } from 'react-i18next'
import { useQueryClient } from '@tanstack/react-query'
import { Button, Flex, Label, Title } from '@patternfly/react-core'
import { api, ok, page, type Page } from '../../api/client'
import { ServerTable, type Column } from '../../components/ServerTable'
import { pagingQuery } from '../../components/list-params'
import { useToast } from '../../components/Toasts'
import { useFormat } from '../../lib/format'
import type { paths } from '../../api/schema'
import { LogModal } from './LogModal'
import { isActive, LIVE_MS, StatusLabel } from './status'

type Run = paths['/api/v2.0/retentions/{id}/executions']['get']['responses'][200]['content']['application/json'][number]
type RunTask = paths['/api/v2.0/retentions/{id}/executions/{eid}/tasks']['get']['responses'][200]['content']['application/json'][number]

const TRIGGER_KEYS: Record<string, string> = { MANUAL: 'policy.trigger.manual', SCHEDULE: 'policy.trigger.schedule', EVENT: 'policy.trigger.event' }

export function RetentionRuns({ policyId, canStop }: { policyId: number; canStop: boolean }) {
  const { t } = useTranslation()
  const f = useFormat()
  const toast = useToast()
  const client = useQueryClient()
  const [search, setSearch] = useSearchParams()
  const [live, setLive] = useState(false)
  const [liveTasks, setLiveTasks] = useState(false)
  const [log, setLog] = useState<RunTask | null>(null)
  const selected = search.get('retention_run')
  const select = (id: number | null) =>
    setSearch((prev) => {
      const next = new URLSearchParams(prev)
      if (id === null) next.delete('retention_run')
      else next.set('retention_run', String(id))
      return next
    })
  const id = String(policyId)

  const stop = async (run: Run) => {
    try {
      ok(await api.PATCH('/api/v2.0/retentions/{id}/executions/{eid}', { params: { path: { id, eid: String(run.id) } }, body: { action: 'stop' } }))
      toast('success', t('policy.runs.stopped', { id: run.id }))
      await client.invalidateQueries({ queryKey: ['retention', 'runs'] })
    } catch (e) {
      toast('danger', (e as Error).message)
    }
  }

  const columns: Column<Run>[] = [
    { key: 'id', title: t('policy.runs.col.id'), render: (r) => f.number(r.id), width: 10 },
    { key: 'kind', title: t('policy.runs.col.kind'), render: (r) => (r.dry_run ? <Label color="blue">{t('policy.retention.dryRunLabel')}</Label> : <Label color="orange">{t('policy.retention.realRunLabel')}</Label>) },
    { key: 'trigger', title: t('policy.runs.col.trigger'), render: (r) => t(TRIGGER_KEYS[r.trigger] ?? r.trigger) },
    { key: 'status', title: t('policy.runs.col.status'), render: (r) => <StatusLabel status={r.status} /> },
    { key: 'start', title: t('policy.runs.col.started'), render: (r) => f.dateTime(r.start_time) },
    { key: 'end', title: t('policy.runs.col.ended'), render: (r) => f.dateTime(r.end_time) },
  ]
  const taskColumns: Column<RunTask>[] = [
    { key: 'repository', title: t('policy.runs.col.repository'), render: (x) => x.repository },
    { key: 'status', title: t('policy.runs.col.status'), render: (x) => <StatusLabel status={x.status} /> },
    { key: 'retained', title: t('policy.runs.col.retained'), render: (x) => t('policy.runs.retainedOf', { retained: f.number(x.retained), total: f.number(x.total) }) },
    { key: 'start', title: t('policy.runs.col.started'), render: (x) => f.dateTime(x.start_time) },
    { key: 'end', title: t('policy.runs.col.ended'), render: (x) => f.dateTime(x.end_time) },
  ]

  return (
    <>
      <ServerTable<Run>
        label={t('policy.retention.runs')}
        prefix="run_"
        columns={columns}
        queryKey={['retention', 'runs', id]}
        rowKey={(r) => r.id}
        emptyText={t('policy.runs.empty')}
        refetchInterval={live ? LIVE_MS : undefined}
        fetchPage={async (params): Promise<Page<Run>> => {
          const p = page(await api.GET('/api/v2.0/retentions/{id}/executions', { params: { path: { id }, query: pagingQuery(params) } }))
          setLive(p.items.some((r) => isActive(r.status)))
          return p
        }}
        rowActions={(r) => (
          <Flex flexWrap={{ default: 'nowrap' }}>
            <Button variant="link" isInline onClick={() => select(r.id)} aria-label={t('policy.runs.tasksOf', { id: r.id })}>
              {t('policy.runs.tasks')}
            </Button>
            {canStop && isActive(r.status) && (
              <Button variant="link" isInline isDanger onClick={() => void stop(r)}>
                {t('policy.runs.stop')}
              </Button>
            )}
          </Flex>
        )}
      />
      {selected !== null && (
        <>
          <Flex justifyContent={{ default: 'justifyContentSpaceBetween' }} alignItems={{ default: 'alignItemsCenter' }} className="berth-tab-body">
            <Title headingLevel="h4">{t('policy.runs.tasksTitle', { id: selected })}</Title>
            <Button variant="link" onClick={() => select(null)}>
              {t('policy.close')}
            </Button>
          </Flex>
          <ServerTable<RunTask>
            label={t('policy.runs.tasksTitle', { id: selected })}
            prefix="task_"
            columns={taskColumns}
            queryKey={['retention', 'runs', id, 'tasks', selected]}
            rowKey={(x) => x.id}
            emptyText={t('policy.runs.noTasks')}
            refetchInterval={liveTasks ? LIVE_MS : undefined}
            fetchPage={async (params) => {
              const p = page(await api.GET('/api/v2.0/retentions/{id}/executions/{eid}/tasks', { params: { path: { id, eid: selected }, query: pagingQuery(params) } }))
              setLiveTasks(p.items.some((x) => isActive(x.status)))
              return p
            }}
            rowActions={(x) => (
              <Button variant="link" isInline onClick={() => setLog(x)} aria-label={t('policy.runs.logOf', { name: x.repository })}>
                {t('policy.runs.log')}
              </Button>
            )}
          />
        </>
      )}
      {log !== null && (
        <LogModal
          title={t('policy.runs.logTitle', { name: log.repository })}
          queryKey={['retention', 'log', id, log.execution_id, log.id]}
          load={async () => ok(await api.GET('/api/v2.0/retentions/{id}/executions/{eid}/tasks/{tid}', { params: { path: { id, eid: String(log.execution_id), tid: String(log.id) } }, parseAs: 'text' })) ?? ''}
          onClose={() => setLog(null)}
        />
      )}
    </>
  )
}
