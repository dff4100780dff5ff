// Project quotas (/admin/quotas): every project's storage used against its limit, paged and
// sorted by the server (used or limit), and a project's limit changed.
import { useState } from 'react'
import { Link } from 'react-router'
import { useTranslation } from 'react-i18next'
import { useQueryClient } from '@tanstack/react-query'
import { Button, PageSection } from '@patternfly/react-core'
import { api, page } from '../../api/client'
import type { paths } from '../../api/schema'
import { PageTitle } from '../../components/PageTitle'
import { ServerTable, type Column } from '../../components/ServerTable'
import { pagingQuery } from '../../components/list-params'
import { useToast } from '../../components/Toasts'
import { useFormat } from '../../lib/format'
import { EditQuotaModal, type QuotaTarget } from './EditQuotaModal'
import { QuotaUsage } from './QuotaUsage'

type Quota = paths['/api/v2.0/quotas']['get']['responses'][200]['content']['application/json'][number]

export const QUOTAS = ['system', 'quotas'] as const

export default function QuotasPage() {
  const { t } = useTranslation()
  const f = useFormat()
  const client = useQueryClient()
  const toast = useToast()
  const [editing, setEditing] = useState<QuotaTarget | null>(null)
  const storage = (r: Record<string, number> | undefined, fallback: number) => r?.storage ?? fallback

  const columns: Column<Quota>[] = [
    { key: 'project', title: t('system.quota.project'), render: (q) => <Link to={`/projects/${q.ref.id}/summary`}>{q.ref.name}</Link> },
    { key: 'owner', title: t('system.quota.owner'), render: (q) => q.ref.owner_name || '—' },
    { key: 'used', title: t('system.quota.used'), sort: 'used.storage', render: (q) => f.bytes(storage(q.used, 0)) },
    { key: 'hard', title: t('system.quota.hard'), sort: 'hard.storage', render: (q) => (storage(q.hard, -1) < 0 ? t('system.quota.unlimited') : f.bytes(storage(q.hard, -1))) },
    { key: 'usage', title: t('system.quota.usage'), width: 30, render: (q) => <QuotaUsage used={storage(q.used, 0)} hard={storage(q.hard, -1)} name={q.ref.name} percent /> },
    { key: 'updated', title: t('system.quota.updated'), sort: 'update_time', render: (q) => f.dateTime(q.update_time) },
  ]

  return (
    <>
      <PageTitle title={t('app.nav.quotas')} description={t('system.quota.intro')} />
      <PageSection>
        <ServerTable<Quota>
          label={t('app.nav.quotas')}
          columns={columns}
          queryKey={QUOTAS}
          rowKey={(q) => q.id}
          defaultSort="-used.storage"
          emptyText={t('system.quota.empty')}
          fetchPage={async (params) => page(await api.GET('/api/v2.0/quotas', { params: { query: { ...pagingQuery(params), reference: 'project' } } }))}
          rowActions={(q) => (
            <Button variant="link" isInline onClick={() => setEditing({ id: q.id, name: q.ref.name, used: storage(q.used, 0), hard: storage(q.hard, -1) })} aria-label={t('system.quota.editOf', { name: q.ref.name })}>
              {t('system.quota.edit')}
            </Button>
          )}
        />
      </PageSection>
      {editing !== null && (
        <EditQuotaModal
          quota={editing}
          onClose={() => setEditing(null)}
          onSaved={async () => {
            toast('success', t('system.quota.saved', { name: editing.name }))
            await client.invalidateQueries({ queryKey: QUOTAS })
            await client.invalidateQueries({ queryKey: ['quota', editing.id] })
          }}
        />
      )}
    </>
  )
}
