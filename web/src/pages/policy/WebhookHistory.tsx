// The delivery history of a webhook policy: its runs (one per event, newest first, polled while one
// is going), a run's deliveries (one per target) and a delivery's log (every attempt).
import { useState } from 'react'
import { useSearchParams } from 'react-router'
import { useTranslation } from 'react-i18next'
import { Button, Flex, Title } from '@patternfly/react-core'
import { api, ok, page, type Page } from '../../api/client'
import { ServerTable, type Column } from '../../components/ServerTable'
import { pagingQuery } from '../../components/list-params'
import { useFormat } from '../../lib/format'
import type { paths } from '../../api/schema'
import { LogModal } from './LogModal'
import { isActive, LIVE_MS, StatusLabel } from './status'
import { EVENT_TYPE_KEYS, type WebhookPolicy } from './webhook-form'

type Run = paths['/api/v2.0/projects/{project}/webhook/policies/{webhook_policy_id}/executions']['get']['responses'][200]['content']['application/json'][number]
type Delivery = paths['/api/v2.0/projects/{project}/webhook/policies/{webhook_policy_id}/executions/{execution_id}/tasks']['get']['responses'][200]['content']['application/json'][number]

const eventOf = (attrs: Record<string, unknown>) => String(attrs.event_type ?? '')

export function WebhookHistory({ projectRef, policy, onClose }: { projectRef: string; policy: WebhookPolicy; onClose(): void }) {
  const { t } = useTranslation()
  const f = useFormat()
  const [search, setSearch] = useSearchParams()
  const [live, setLive] = useState(false)
  const [liveTasks, setLiveTasks] = useState(false)
  const [log, setLog] = useState<Delivery | null>(null)
  const selected = search.get('webhook_run')
  const select = (id: number | null) =>
    setSearch((prev) => {
      const next = new URLSearchParams(prev)
      if (id === null) next.delete('webhook_run')
      else next.set('webhook_run', String(id))
      return next
    })
  const path = { project: projectRef, webhook_policy_id: String(policy.id) }
  const eventName = (type: string) => t(EVENT_TYPE_KEYS[type] ?? type)

  const columns: Column<Run>[] = [
    { key: 'id', title: t('policy.runs.col.id'), render: (r) => f.number(r.id), width: 10 },
    { key: 'event', title: t('policy.webhooks.col.event'), render: (r) => eventName(eventOf(r.extra_attrs)) },
    { key: 'status', title: t('policy.runs.col.status'), render: (r) => <StatusLabel status={r.status} /> },
    { key: 'tasks', title: t('policy.webhooks.col.delivered'), render: (r) => t('policy.webhooks.deliveredOf', { done: f.number(r.metrics.success_task_count), total: f.number(r.metrics.task_count) }), width: 15 },
    { key: 'start', title: t('policy.runs.col.started'), render: (r) => f.dateTime(r.start_time) },
    { key: 'end', title: t('policy.runs.col.ended'), render: (r) => f.dateTime(r.end_time) },
  ]
  const taskColumns: Column<Delivery>[] = [
    { key: 'id', title: t('policy.runs.col.id'), render: (x) => f.number(x.id), width: 10 },
    { key: 'status', title: t('policy.runs.col.status'), render: (x) => <StatusLabel status={x.status} /> },
    { key: 'http', title: t('policy.webhooks.col.httpStatus'), render: (x) => (typeof x.extra_attrs.http_status === 'number' ? f.number(x.extra_attrs.http_status) : '—'), width: 15 },
    { key: 'attempts', title: t('policy.webhooks.col.attempts'), render: (x) => f.number(x.run_count) },
    { key: 'start', title: t('policy.runs.col.started'), render: (x) => f.dateTime(x.start_time) },
    { key: 'end', title: t('policy.runs.col.ended'), render: (x) => f.dateTime(x.end_time) },
  ]

  return (
    <>
      <Flex justifyContent={{ default: 'justifyContentSpaceBetween' }} alignItems={{ default: 'alignItemsCenter' }} className="berth-tab-body">
        <Title headingLevel="h3">{t('policy.webhooks.historyTitle', { name: policy.name })}</Title>
        <Button variant="link" onClick={onClose}>
          {t('policy.close')}
        </Button>
      </Flex>
      <ServerTable<Run>
        label={t('policy.webhooks.historyTitle', { name: policy.name })}
        prefix="run_"
        columns={columns}
        queryKey={['webhooks', 'runs', projectRef, policy.id]}
        rowKey={(r) => r.id}
        emptyText={t('policy.webhooks.noDeliveries')}
        refetchInterval={live ? LIVE_MS : undefined}
        fetchPage={async (params): Promise<Page<Run>> => {
          const p = page(await api.GET('/api/v2.0/projects/{project}/webhook/policies/{webhook_policy_id}/executions', { params: { path, query: pagingQuery(params) } }))
          setLive(p.items.some((r) => isActive(r.status)))
          return p
        }}
        rowActions={(r) => (
          <Button variant="link" isInline onClick={() => select(r.id)} aria-label={t('policy.webhooks.deliveriesOf', { id: r.id })}>
            {t('policy.webhooks.deliveries')}
          </Button>
        )}
      />
      {selected !== null && (
        <>
          <Flex justifyContent={{ default: 'justifyContentSpaceBetween' }} alignItems={{ default: 'alignItemsCenter' }} className="berth-tab-body">
            <Title headingLevel="h4">{t('policy.webhooks.deliveriesTitle', { id: selected })}</Title>
            <Button variant="link" onClick={() => select(null)}>
              {t('policy.close')}
            </Button>
          </Flex>
          <ServerTable<Delivery>
            label={t('policy.webhooks.deliveriesTitle', { id: selected })}
            prefix="task_"
            columns={taskColumns}
            queryKey={['webhooks', 'runs', projectRef, policy.id, 'tasks', selected]}
            rowKey={(x) => x.id}
            emptyText={t('policy.runs.noTasks')}
            refetchInterval={liveTasks ? LIVE_MS : undefined}
            fetchPage={async (params) => {
              const p = page(await api.GET('/api/v2.0/projects/{project}/webhook/policies/{webhook_policy_id}/executions/{execution_id}/tasks', { params: { path: { ...path, execution_id: selected }, query: pagingQuery(params) } }))
              setLiveTasks(p.items.some((x) => isActive(x.status)))
              return p
            }}
            rowActions={(x) => (
              <Button variant="link" isInline onClick={() => setLog(x)} aria-label={t('policy.webhooks.logOf', { id: x.id })}>
                {t('policy.runs.log')}
              </Button>
            )}
          />
        </>
      )}
      {log !== null && (
        <LogModal
          title={t('policy.webhooks.logTitle', { id: log.id })}
          queryKey={['webhooks', 'log', projectRef, policy.id, log.execution_id, log.id]}
          load={async () => ok(await api.GET('/api/v2.0/projects/{project}/webhook/policies/{webhook_policy_id}/executions/{execution_id}/tasks/{task_id}/log', { params: { path: { ...path, execution_id: String(log.execution_id), task_id: String(log.id) } }, parseAs: 'text' })) ?? ''}
          onClose={() => setLog(null)}
        />
      )}
    </>
  )
}
