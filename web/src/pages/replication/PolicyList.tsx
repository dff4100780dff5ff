// Replication policies: which artifacts go where, and when; create, change, run now, delete.
// A policy's name leads to its executions.
import { useState } from 'react'
import { Link, useNavigate } from 'react-router'
import { useTranslation } from 'react-i18next'
import { useQueryClient } from '@tanstack/react-query'
import { Button, Label, PageSection } from '@patternfly/react-core'
import { api, ok, page } from '../../api/client'
import { ConfirmDialog } from '../../components/ConfirmDialog'
import { PageTitle } from '../../components/PageTitle'
import { ServerTable, type Column } from '../../components/ServerTable'
import { pagingQuery } from '../../components/list-params'
import { useToast } from '../../components/Toasts'
import { useFormat } from '../../lib/format'
import type { Policy } from './api-types'
import { replicateNow } from './execution-actions'
import { PolicyModal } from './PolicyModal'
import { RowActions } from './RowActions'
import './replication.css'
import { TRIGGER } from './status'

const LIST = ['replication', 'policies'] as const

export default function PolicyList() {
  const { t } = useTranslation()
  const f = useFormat()
  const client = useQueryClient()
  const toast = useToast()
  const navigate = useNavigate()
  const [editing, setEditing] = useState<Policy | 'new' | null>(null)
  const [deleting, setDeleting] = useState<Policy | null>(null)
  const [running, setRunning] = useState<Policy | null>(null)
  const refresh = () => client.invalidateQueries({ queryKey: LIST })

  const endpoint = (r: Policy['src_registry']) => (r.id === 0 ? t('replication.policy.local') : r.name)
  const columns: Column<Policy>[] = [
    { key: 'name', title: t('replication.policy.col.name'), render: (p) => <Link to={`/admin/replications/${p.id}`}>{p.name}</Link> },
    {
      key: 'enabled',
      title: t('replication.policy.col.status'),
      render: (p) => (p.enabled ? <Label color="green">{t('replication.policy.enabledLabel')}</Label> : <Label>{t('replication.policy.disabledLabel')}</Label>),
    },
    { key: 'mode', title: t('replication.policy.col.mode'), render: (p) => (p.src_registry.id === 0 ? t('replication.policy.push') : t('replication.policy.pull')) },
    { key: 'src', title: t('replication.policy.col.source'), render: (p) => endpoint(p.src_registry) },
    { key: 'dest', title: t('replication.policy.col.destination'), render: (p) => (p.dest_namespace !== '' ? `${endpoint(p.dest_registry)}: ${p.dest_namespace}` : endpoint(p.dest_registry)) },
    {
      key: 'trigger',
      title: t('replication.policy.col.trigger'),
      render: (p) => {
        const name = TRIGGER[p.trigger.type] !== undefined ? t(TRIGGER[p.trigger.type]!) : p.trigger.type
        return p.trigger.type === 'scheduled' ? `${name} (${p.trigger.trigger_settings.cron})` : name
      },
    },
    { key: 'description', title: t('replication.policy.col.description'), render: (p) => p.description },
    { key: 'updated', title: t('replication.policy.col.updated'), render: (p) => <span className="berth-replication-nowrap">{f.dateTime(p.update_time)}</span> },
  ]

  return (
    <>
      <PageTitle title={t('replication.policy.title')} description={t('replication.policy.intro')} />
      <PageSection>
        <ServerTable<Policy>
          label={t('replication.policy.title')}
          columns={columns}
          queryKey={LIST}
          rowKey={(p) => p.id}
          filterLabel={t('replication.policy.filter')}
          emptyText={t('replication.policy.empty')}
          fetchPage={async (params) => page(await api.GET('/api/v2.0/replication/policies', { params: { query: { ...pagingQuery(params), ...(params.filter !== '' ? { name: params.filter } : {}) } } }))}
          actions={
            <Button variant="primary" onClick={() => setEditing('new')}>
              {t('replication.policy.new')}
            </Button>
          }
          rowActions={(p) => (
            <RowActions
              label={t('replication.actionsFor', { name: p.name })}
              items={[
                { title: t('replication.replicateNow'), onClick: () => setRunning(p), isDisabled: !p.enabled },
                { title: t('replication.policy.executions'), onClick: () => navigate(`/admin/replications/${p.id}`) },
                { title: t('replication.edit'), onClick: () => setEditing(p) },
                { title: t('common.delete'), onClick: () => setDeleting(p) },
              ]}
            />
          )}
        />
      </PageSection>
      {editing !== null && (
        <PolicyModal
          {...(editing !== 'new' ? { policy: editing } : {})}
          onClose={() => setEditing(null)}
          onSaved={async (name) => {
            toast('success', editing === 'new' ? t('replication.policy.created', { name }) : t('replication.policy.saved', { name }))
            await refresh()
          }}
        />
      )}
      {running !== null && (
        <ConfirmDialog
          title={t('replication.replicateNow')}
          confirmLabel={t('replication.replicate')}
          danger={false}
          onClose={() => setRunning(null)}
          onConfirm={async () => {
            await replicateNow(running.id)
            toast('success', t('replication.started', { name: running.name }))
            navigate(`/admin/replications/${running.id}`)
          }}
        >
          {t('replication.replicateBody', { name: running.name })}
        </ConfirmDialog>
      )}
      {deleting !== null && (
        <ConfirmDialog
          title={t('replication.policy.deleteTitle')}
          confirmLabel={t('common.delete')}
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            ok(await api.DELETE('/api/v2.0/replication/policies/{id}', { params: { path: { id: String(deleting.id) } } }))
            toast('success', t('replication.policy.deleted', { name: deleting.name }))
            await refresh()
          }}
        >
          {t('replication.policy.deleteBody', { name: deleting.name })}
        </ConfirmDialog>
      )}
    </>
  )
}
