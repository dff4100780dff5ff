// Labels, global (administration) or a project's: each shown as it appears on artifacts; create,
// edit and delete for those allowed to.
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { useQueryClient } from '@tanstack/react-query'
import { Button, Label } from '@patternfly/react-core'
import { ActionsColumn } from '@patternfly/react-table'
import { api, ok, page } from '../../api/client'
import type { paths } from '../../api/schema'
import { ConfirmDialog } from '../../components/ConfirmDialog'
import { ServerTable, type Column } from '../../components/ServerTable'
import { pagingQuery } from '../../components/list-params'
import { useToast } from '../../components/Toasts'
import { useFormat } from '../../lib/format'
import { paletteColor } from './label-colors'
import { LabelForm } from './LabelForm'

type LabelRow = paths['/api/v2.0/labels']['get']['responses'][200]['content']['application/json'][number]

export interface LabelListProps {
  /** A project's labels; the global ones without it. */
  projectId?: number
  title: string
  canCreate: boolean
  canUpdate: boolean
  canDelete: boolean
}

export function LabelList({ projectId, title, canCreate, canUpdate, canDelete }: LabelListProps) {
  const { t } = useTranslation()
  const f = useFormat()
  const client = useQueryClient()
  const toast = useToast()
  const list = ['labels', projectId ?? 'global'] as const
  const refresh = () => client.invalidateQueries({ queryKey: list })
  const [form, setForm] = useState<{ label?: LabelRow } | null>(null)
  const [deleting, setDeleting] = useState<LabelRow | null>(null)
  const scope = projectId === undefined ? ({ scope: 'g' } as const) : ({ scope: 'p', project_id: projectId } as const)

  const columns: Column<LabelRow>[] = [
    { key: 'name', title: t('access.labels.col.name'), sort: 'name', render: (l) => <Label color={paletteColor(l.color).color}>{l.name}</Label> },
    { key: 'description', title: t('access.labels.col.description'), render: (l) => (l.description === '' ? '—' : l.description) },
    { key: 'created', title: t('access.labels.col.created'), sort: 'creation_time', render: (l) => f.dateTime(l.creation_time) },
  ]

  return (
    <>
      <ServerTable<LabelRow>
        label={title}
        columns={columns}
        queryKey={list}
        rowKey={(l) => l.id}
        filterLabel={t('access.labels.filter')}
        defaultSort="name"
        emptyText={t('access.labels.empty')}
        fetchPage={async (params) => page(await api.GET('/api/v2.0/labels', { params: { query: { ...pagingQuery(params), ...scope, ...(params.filter !== '' ? { name: params.filter } : {}) } } }))}
        actions={
          canCreate ? (
            <Button variant="primary" onClick={() => setForm({})}>
              {t('access.labels.create')}
            </Button>
          ) : undefined
        }
        rowActions={(l) =>
          canUpdate || canDelete ? (
            <ActionsColumn
              items={[...(canUpdate ? [{ title: t('access.labels.edit'), onClick: () => setForm({ label: l }) }] : []), ...(canDelete ? [{ title: t('common.delete'), onClick: () => setDeleting(l) }] : [])]}
              actionsToggle={({ toggleRef, onToggle, isOpen }) => (
                <Button ref={toggleRef} variant="plain" onClick={onToggle} aria-expanded={isOpen} aria-label={t('access.labels.actionsFor', { name: l.name })}>
                  ⋮
                </Button>
              )}
            />
          ) : null
        }
      />
      {form !== null && (
        <LabelForm
          {...(form.label !== undefined ? { initial: { name: form.label.name, color: form.label.color, description: form.label.description } } : {})}
          onClose={() => setForm(null)}
          save={async (v) => {
            if (form.label !== undefined) {
              ok(await api.PUT('/api/v2.0/labels/{label_id}', { params: { path: { label_id: String(form.label.id) } }, body: v }))
              toast('success', t('access.labels.saved', { name: v.name }))
            } else {
              ok(await api.POST('/api/v2.0/labels', { body: { ...v, ...scope } }))
              toast('success', t('access.labels.created', { name: v.name }))
            }
            await refresh()
          }}
        />
      )}
      {deleting !== null && (
        <ConfirmDialog
          title={t('access.labels.delete.title')}
          confirmLabel={t('common.delete')}
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            ok(await api.DELETE('/api/v2.0/labels/{label_id}', { params: { path: { label_id: String(deleting.id) } } }))
            toast('success', t('access.labels.delete.done', { name: deleting.name }))
            await refresh()
          }}
        >
          {t('access.labels.delete.body', { name: deleting.name })}
        </ConfirmDialog>
      )}
    </>
  )
}
