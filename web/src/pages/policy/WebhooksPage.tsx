// The project's webhooks: its policies (searched, sorted and paged by the server), each with its
// target, event types and when it last fired; create, edit, switch on and off, send a test event,
// delete; and a policy's delivery history below the list (the policy chosen in the URL).
import { useEffect, useState } from 'react'
import { useSearchParams } from 'react-router'
import { useTranslation } from 'react-i18next'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { Button, EmptyState, Label, LabelGroup, PageSection, Spinner, Title } from '@patternfly/react-core'
import { ActionsColumn } from '@patternfly/react-table'
import { api, ok, page } from '../../api/client'
import { ConfirmDialog } from '../../components/ConfirmDialog'
import { ServerTable, type Column } from '../../components/ServerTable'
import { fuzzyQ, pagingQuery } from '../../components/list-params'
import { useToast } from '../../components/Toasts'
import { useFormat } from '../../lib/format'
import { useProject } from '../projects/project-context'
import { WebhookHistory } from './WebhookHistory'
import { usePermissionsLoading } from './permissions'
import './policy.css'
import { WebhookPolicyModal } from './WebhookPolicyModal'
import { EVENT_TYPE_KEYS, toggledBody, type WebhookPolicy, type WebhookPolicyBody } from './webhook-form'

/** The latest time each policy fired, by policy name (GET lasttrigger answers per policy and event type). */
export function lastFiredByPolicy(entries: readonly { policy_name: string; last_trigger_time?: string }[]): Map<string, string> {
  const out = new Map<string, string>()
  for (const e of entries) {
    if (e.last_trigger_time === undefined) continue
    const seen = out.get(e.policy_name)
    if (seen === undefined || Date.parse(e.last_trigger_time) > Date.parse(seen)) out.set(e.policy_name, e.last_trigger_time)
  }
  return out
}

export default function WebhooksPage() {
  const { t } = useTranslation()
  const f = useFormat()
  const { project, can } = useProject()
  const client = useQueryClient()
  const toast = useToast()
  const [search, setSearch] = useSearchParams()
  const permissionsLoading = usePermissionsLoading()
  const [editing, setEditing] = useState<{ policy?: WebhookPolicy } | null>(null)
  const [deleting, setDeleting] = useState<WebhookPolicy | null>(null)
  const [history, setHistory] = useState<WebhookPolicy | null>(null)
  const projectRef = String(project.project_id)
  const path = { project: projectRef }
  const list = ['webhooks', 'list', projectRef] as const
  useEffect(() => {
    document.title = `${t('policy.webhooks.title')} · ${project.name} · Berth`
  }, [t, project.name])

  const mayList = can('notification-policy', 'list')
  const supported = useQuery({ queryKey: ['webhooks', 'events', projectRef], queryFn: async () => ok(await api.GET('/api/v2.0/projects/{project}/webhook/events', { params: { path } })), enabled: mayList, staleTime: Infinity })
  const mayRead = can('notification-policy', 'read')
  const lastTrigger = useQuery({ queryKey: ['webhooks', 'lasttrigger', projectRef], queryFn: async () => ok(await api.GET('/api/v2.0/projects/{project}/webhook/lasttrigger', { params: { path } })), enabled: mayRead })
  const lastFired = lastFiredByPolicy(lastTrigger.data ?? [])
  const refresh = async () => {
    await client.invalidateQueries({ queryKey: list })
    await client.invalidateQueries({ queryKey: ['webhooks', 'lasttrigger', projectRef] })
  }

  // The policy whose history is open is kept in the URL (?webhook=<id>), and read back after a reload.
  const historyId = search.get('webhook')
  const openHistory = (p: WebhookPolicy | null) => {
    setHistory(p)
    setSearch((prev) => {
      const next = new URLSearchParams(prev)
      for (const k of ['webhook', 'webhook_run', 'run_page', 'run_page_size', 'task_page', 'task_page_size']) next.delete(k)
      if (p !== null) next.set('webhook', String(p.id))
      return next
    })
  }
  const historyPolicy = useQuery({
    queryKey: ['webhooks', 'policy', projectRef, historyId],
    queryFn: async () => ok(await api.GET('/api/v2.0/projects/{project}/webhook/policies/{webhook_policy_id}', { params: { path: { ...path, webhook_policy_id: historyId! } } })),
    enabled: historyId !== null && history?.id !== Number(historyId) && mayRead,
  })
  const shownHistory = history !== null && String(history.id) === historyId ? history : historyId !== null ? historyPolicy.data : undefined

  if (permissionsLoading) return <Spinner size="lg" aria-label={t('common.loading')} aria-valuetext={t('common.loading')} />
  if (!mayList) {
    return (
      <PageSection>
        <Title headingLevel="h2">{t('policy.webhooks.title')}</Title>
        <EmptyState titleText={t('policy.webhooks.forbidden')} headingLevel="h3" />
      </PageSection>
    )
  }

  const send = async (body: WebhookPolicyBody, policyId?: number) => {
    const results = ok(await api.POST('/api/v2.0/projects/{project}/webhook/policies/test', { params: { path, query: policyId === undefined ? {} : { policy_id: String(policyId) } }, body }))
    for (const r of results) {
      const fine = r.status >= 200 && r.status < 300
      toast(fine ? 'success' : 'warning', t('policy.webhooks.testResult', { address: r.address, status: r.status }))
    }
  }
  const testStored = async (p: WebhookPolicy) => {
    try {
      await send(toggledBody(p, p.enabled), p.id)
    } catch (e) {
      toast('danger', (e as Error).message)
    }
  }
  const toggle = async (p: WebhookPolicy) => {
    try {
      ok(await api.PUT('/api/v2.0/projects/{project}/webhook/policies/{webhook_policy_id}', { params: { path: { ...path, webhook_policy_id: String(p.id) } }, body: toggledBody(p, !p.enabled) }))
      toast('success', p.enabled ? t('policy.webhooks.disabledDone', { name: p.name }) : t('policy.webhooks.enabledDone', { name: p.name }))
      await refresh()
    } catch (e) {
      toast('danger', (e as Error).message)
    }
  }

  const columns: Column<WebhookPolicy>[] = [
    { key: 'name', title: t('policy.webhooks.col.name'), sort: 'name', render: (p) => p.name, width: 15 },
    { key: 'enabled', title: t('policy.webhooks.col.state'), render: (p) => (p.enabled ? <Label color="green">{t('policy.rule.enabledLabel')}</Label> : <Label color="grey">{t('policy.rule.disabledLabel')}</Label>) },
    {
      key: 'target',
      title: t('policy.webhooks.col.target'),
      render: (p) => (
        <>
          {p.targets[0]?.type === 'slack' && (
            <Label isCompact color="purple">
              {t('policy.webhooks.notify.slack')}
            </Label>
          )}{' '}
          <span className="berth-address">{p.targets[0]?.address ?? '—'}</span>
        </>
      ),
      width: 25,
    },
    {
      key: 'events',
      title: t('policy.webhooks.col.events'),
      render: (p) => (
        <LabelGroup numLabels={2} collapsedText={t('policy.webhooks.moreEvents', { count: p.event_types.length - 2 })} expandedText={t('policy.webhooks.fewerEvents')}>
          {p.event_types.map((e) => (
            <Label key={e} isCompact>
              {t(EVENT_TYPE_KEYS[e] ?? e)}
            </Label>
          ))}
        </LabelGroup>
      ),
    },
    ...(mayRead ? [{ key: 'last', title: t('policy.webhooks.col.lastFired'), render: (p: WebhookPolicy) => f.dateTime(lastFired.get(p.name)) }] : []),
    { key: 'created', title: t('policy.webhooks.col.created'), sort: 'creation_time', render: (p) => f.dateTime(p.creation_time) },
  ]
  const eventTypes = supported.data?.event_type ?? Object.keys(EVENT_TYPE_KEYS)
  const notifyTypes = supported.data?.notify_type ?? ['http', 'slack']
  const formats = supported.data?.payload_formats.find((x) => x.notify_type === 'http')?.formats ?? ['Default', 'CloudEvents']

  return (
    <PageSection>
      <Title headingLevel="h2">
        {t('policy.webhooks.title')}
      </Title>
      <ServerTable<WebhookPolicy>
        label={t('policy.webhooks.title')}
        columns={columns}
        queryKey={list}
        rowKey={(p) => p.id}
        filterLabel={t('policy.webhooks.filter')}
        defaultSort="name"
        emptyText={t('policy.webhooks.empty')}
        fetchPage={async (params) => page(await api.GET('/api/v2.0/projects/{project}/webhook/policies', { params: { path, query: { ...pagingQuery(params), ...fuzzyQ('name', params.filter) } } }))}
        actions={
          can('notification-policy', 'create') ? (
            <Button variant="primary" onClick={() => setEditing({})}>
              {t('policy.webhooks.add')}
            </Button>
          ) : undefined
        }
        rowActions={(p) => {
          const items = [
            ...(mayRead ? [{ title: t('policy.webhooks.history'), onClick: () => openHistory(p) }] : []),
            ...(can('notification-policy', 'update')
              ? [
                  { title: t('policy.edit'), onClick: () => setEditing({ policy: p }) },
                  { title: p.enabled ? t('policy.rule.disable') : t('policy.rule.enable'), onClick: () => void toggle(p) },
                ]
              : []),
            ...(can('notification-policy', 'create') ? [{ title: t('policy.webhooks.test'), onClick: () => void testStored(p) }] : []),
            ...(can('notification-policy', 'delete') ? [{ title: t('common.delete'), onClick: () => setDeleting(p) }] : []),
          ]
          return items.length === 0 ? null : (
            <ActionsColumn
              items={items}
              actionsToggle={({ toggleRef, onToggle, isOpen }) => (
                <Button ref={toggleRef} variant="plain" onClick={onToggle} aria-expanded={isOpen} aria-label={t('policy.webhooks.actionsFor', { name: p.name })}>
                  ⋮
                </Button>
              )}
            />
          )
        }}
      />
      {shownHistory !== undefined && <WebhookHistory key={shownHistory.id} projectRef={projectRef} policy={shownHistory} onClose={() => openHistory(null)} />}
      {editing !== null && (
        <WebhookPolicyModal
          {...(editing.policy !== undefined ? { original: editing.policy } : {})}
          eventTypes={eventTypes}
          notifyTypes={notifyTypes}
          formats={formats}
          onClose={() => setEditing(null)}
          onTest={(body) => send(body, editing.policy?.id)}
          onSave={async (body) => {
            if (editing.policy === undefined) {
              ok(await api.POST('/api/v2.0/projects/{project}/webhook/policies', { params: { path }, body }))
              toast('success', t('policy.webhooks.added', { name: body.name ?? '' }))
            } else {
              ok(await api.PUT('/api/v2.0/projects/{project}/webhook/policies/{webhook_policy_id}', { params: { path: { ...path, webhook_policy_id: String(editing.policy.id) } }, body }))
              toast('success', t('policy.webhooks.saved', { name: body.name ?? '' }))
            }
            await refresh()
          }}
        />
      )}
      {deleting !== null && (
        <ConfirmDialog
          title={t('policy.webhooks.deleteTitle')}
          confirmLabel={t('common.delete')}
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            ok(await api.DELETE('/api/v2.0/projects/{project}/webhook/policies/{webhook_policy_id}', { params: { path: { ...path, webhook_policy_id: String(deleting.id) } } }))
            toast('success', t('policy.webhooks.deleted', { name: deleting.name }))
            if (historyId === String(deleting.id)) openHistory(null)
            await refresh()
          }}
        >
          {t('policy.webhooks.deleteBody', { name: deleting.name })}
        </ConfirmDialog>
      )}
    </PageSection>
  )
}
