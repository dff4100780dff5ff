// Registry endpoints: the remote registries replication pushes to and pulls from, with whether
// each answers now; add, change, test, delete.
import { useState } from 'react'
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
import type { Registry } from './api-types'
import { RegistryModal } from './RegistryModal'
import { RowActions } from './RowActions'
import './replication.css'
import { REGISTRY_TYPE } from './status'

const LIST = ['replication', 'registries'] as const

export default function RegistryList() {
  const { t } = useTranslation()
  const f = useFormat()
  const client = useQueryClient()
  const toast = useToast()
  const [editing, setEditing] = useState<Registry | 'new' | null>(null)
  const [deleting, setDeleting] = useState<Registry | null>(null)
  const refresh = () => client.invalidateQueries({ queryKey: LIST })

  const columns: Column<Registry>[] = [
    { key: 'name', title: t('replication.registry.col.name'), render: (r) => r.name },
    {
      key: 'status',
      title: t('replication.registry.col.status'),
      render: (r) => (r.status === 'healthy' ? <Label color="green">{t('replication.registry.healthy')}</Label> : <Label color="red">{t('replication.registry.unhealthy')}</Label>),
    },
    { key: 'url', title: t('replication.registry.col.url'), render: (r) => r.url },
    { key: 'type', title: t('replication.registry.col.type'), render: (r) => (REGISTRY_TYPE[r.type] !== undefined ? t(REGISTRY_TYPE[r.type]!) : r.type) },
    { key: 'verify', title: t('replication.registry.col.verify'), render: (r) => (r.insecure ? t('replication.no') : t('replication.yes')) },
    { key: 'description', title: t('replication.registry.col.description'), render: (r) => r.description },
    { key: 'created', title: t('replication.registry.col.created'), render: (r) => <span className="berth-replication-nowrap">{f.dateTime(r.creation_time)}</span> },
  ]

  return (
    <>
      <PageTitle title={t('replication.registry.title')} description={t('replication.registry.intro')} />
      <PageSection>
        <ServerTable<Registry>
          label={t('replication.registry.title')}
          columns={columns}
          queryKey={LIST}
          rowKey={(r) => r.id}
          filterLabel={t('replication.registry.filter')}
          emptyText={t('replication.registry.empty')}
          fetchPage={async (params) => page(await api.GET('/api/v2.0/registries', { params: { query: { ...pagingQuery(params), ...(params.filter !== '' ? { name: params.filter } : {}) } } }))}
          actions={
            <Button variant="primary" onClick={() => setEditing('new')}>
              {t('replication.registry.new')}
            </Button>
          }
          rowActions={(r) => (
            <RowActions
              label={t('replication.actionsFor', { name: r.name })}
              items={[
                { title: t('replication.edit'), onClick: () => setEditing(r) },
                { title: t('common.delete'), onClick: () => setDeleting(r) },
              ]}
            />
          )}
        />
      </PageSection>
      {editing !== null && (
        <RegistryModal
          {...(editing !== 'new' ? { registry: editing } : {})}
          onClose={() => setEditing(null)}
          onSaved={async (name) => {
            toast('success', editing === 'new' ? t('replication.registry.created', { name }) : t('replication.registry.saved', { name }))
            await refresh()
          }}
        />
      )}
      {deleting !== null && (
        <ConfirmDialog
          title={t('replication.registry.deleteTitle')}
          confirmLabel={t('common.delete')}
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            ok(await api.DELETE('/api/v2.0/registries/{id}', { params: { path: { id: String(deleting.id) } } }))
            toast('success', t('replication.registry.deleted', { name: deleting.name }))
            await refresh()
          }}
        >
          {t('replication.registry.deleteBody', { name: deleting.name })}
        </ConfirmDialog>
      )}
    </>
  )
}
