// Projects: searched, sorted and paged by the server; create, delete, make public or private;
// each project's storage used against its quota.
import { useState } from 'react'
import { Link } from 'react-router'
import { useTranslation } from 'react-i18next'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { Button, Label, PageSection } from '@patternfly/react-core'
import { ActionsColumn } from '@patternfly/react-table'
import { api, ok, page } from '../../api/client'
import { usePermissions, useUser } from '../../auth/session'
import { ConfirmDialog } from '../../components/ConfirmDialog'
import { PageTitle } from '../../components/PageTitle'
import { ServerTable, type Column } from '../../components/ServerTable'
import { fuzzyQ, pagingQuery } from '../../components/list-params'
import { useToast } from '../../components/Toasts'
import { useFormat } from '../../lib/format'
import type { Project } from './project-context'
import { CreateProjectModal } from './CreateProjectModal'
import { ProxyCacheLabel } from './ProxyCache'
import { ExportCvesModal } from '../security/ExportCvesModal'
import { mayExportCves } from '../security/cve-export'

const LIST = ['projects', 'list'] as const

/** The storage a project uses, and its limit when it has one. */
export function StorageCell({ projectId }: { projectId: number }) {
  const { t } = useTranslation()
  const f = useFormat()
  const q = useQuery({ queryKey: ['quota', projectId], queryFn: async () => ok(await api.GET('/api/v2.0/quotas/{id}', { params: { path: { id: String(projectId) } } })), retry: false, staleTime: 30_000 })
  if (q.data === undefined) return <>—</>
  const used = Number(q.data.used?.storage ?? 0)
  const hard = Number(q.data.hard?.storage ?? -1)
  return <>{hard < 0 ? f.bytes(used) : t('projects.storageOf', { used: f.bytes(used), limit: f.bytes(hard) })}</>
}

export default function ProjectList() {
  const { t } = useTranslation()
  const f = useFormat()
  const user = useUser()
  const client = useQueryClient()
  const toast = useToast()
  const system = usePermissions('/')
  const [creating, setCreating] = useState(false)
  const [deleting, setDeleting] = useState<Project | null>(null)
  const [exporting, setExporting] = useState<Project | null>(null)
  const refresh = () => client.invalidateQueries({ queryKey: LIST })

  const setPublic = async (p: Project, isPublic: boolean) => {
    try {
      ok(await api.PUT('/api/v2.0/projects/{project}', { params: { path: { project: String(p.project_id) } }, headers: { 'X-Is-Resource-Name': 'false' }, body: { metadata: { public: isPublic } } }))
      toast('success', isPublic ? t('projects.madePublic', { name: p.name }) : t('projects.madePrivate', { name: p.name }))
      await refresh()
    } catch (e) {
      toast('danger', (e as Error).message)
    }
  }

  const columns: Column<Project>[] = [
    { key: 'name', title: t('projects.col.name'), sort: 'name', render: (p) => <Link to={`/projects/${p.project_id}/repositories`}>{p.name}</Link> },
    {
      key: 'access',
      title: t('projects.col.access'),
      render: (p) => (p.metadata?.public === 'true' ? <Label color="green">{t('projects.public')}</Label> : <Label>{t('projects.private')}</Label>),
    },
    { key: 'type', title: t('projects.col.type'), render: (p) => (p.registry_id !== undefined && p.registry_id > 0 ? <ProxyCacheLabel registryId={p.registry_id} /> : t('projects.type.project')) },
    { key: 'role', title: t('projects.col.role'), render: (p) => (p.current_user_role_id > 0 ? t(ROLE_KEYS[p.current_user_role_id] ?? 'projects.role.none') : '—') },
    { key: 'repos', title: t('projects.col.repositories'), render: (p) => f.number(p.repo_count) },
    // The quota is readable by the project's members and by administrators only.
    { key: 'storage', title: t('projects.col.storage'), render: (p) => (user.sysadmin_flag || p.current_user_role_id > 0 ? <StorageCell projectId={p.project_id} /> : '—') },
    { key: 'created', title: t('projects.col.created'), sort: 'creation_time', render: (p) => f.dateTime(p.creation_time) },
  ]

  return (
    <>
      <PageTitle title={t('projects.title')} />
      <PageSection>
        <ServerTable<Project>
          label={t('projects.title')}
          columns={columns}
          queryKey={LIST}
          rowKey={(p) => p.project_id}
          filterLabel={t('projects.filter')}
          defaultSort="name"
          emptyText={t('projects.empty')}
          fetchPage={async (params) => page(await api.GET('/api/v2.0/projects', { params: { query: { ...pagingQuery(params), ...(params.filter !== '' ? { name: params.filter } : {}) } } }))}
          actions={
            system.can('project', 'create') || user.sysadmin_flag ? (
              <Button variant="primary" onClick={() => setCreating(true)}>
                {t('projects.create.open')}
              </Button>
            ) : undefined
          }
          rowActions={(p) => {
            const items = [
              ...(user.sysadmin_flag || p.current_user_role_id === 1
                ? [
                    { title: p.metadata?.public === 'true' ? t('projects.makePrivate') : t('projects.makePublic'), onClick: () => void setPublic(p, p.metadata?.public !== 'true') },
                    { title: t('common.delete'), onClick: () => setDeleting(p) },
                  ]
                : []),
              ...(user.sysadmin_flag || mayExportCves(p.current_user_role_id) ? [{ title: t('security.export.open'), onClick: () => setExporting(p) }] : []),
            ]
            return items.length > 0 ? (
              <ActionsColumn
                items={items}
                actionsToggle={({ toggleRef, onToggle, isOpen }) => (
                  <Button ref={toggleRef} variant="plain" onClick={onToggle} aria-expanded={isOpen} aria-label={t('projects.actionsFor', { name: p.name })}>
                    ⋮
                  </Button>
                )}
              />
            ) : null
          }}
        />
      </PageSection>
      {creating && (
        <CreateProjectModal
          onClose={() => setCreating(false)}
          onCreated={async (name) => {
            toast('success', t('projects.create.done', { name }))
            await refresh()
          }}
        />
      )}
      {exporting !== null && <ExportCvesModal project={exporting} onClose={() => setExporting(null)} onStarted={() => toast('success', t('security.export.started'))} />}
      {deleting !== null && (
        <ConfirmDialog
          title={t('projects.delete.title')}
          confirmLabel={t('common.delete')}
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            const check = ok(await api.GET('/api/v2.0/projects/{project}/_deletable', { params: { path: { project: String(deleting.project_id) } }, headers: { 'X-Is-Resource-Name': 'false' } }))
            if (check.deletable === false) throw new Error(check.message ?? t('projects.delete.notDeletable'))
            ok(await api.DELETE('/api/v2.0/projects/{project}', { params: { path: { project: String(deleting.project_id) } }, headers: { 'X-Is-Resource-Name': 'false' } }))
            toast('success', t('projects.delete.done', { name: deleting.name }))
            await refresh()
          }}
        >
          {t('projects.delete.body', { name: deleting.name })}
        </ConfirmDialog>
      )}
    </>
  )
}

/** Harbor's project role ids. */
export const ROLE_KEYS: Record<number, string> = {
  1: 'projects.role.admin',
  2: 'projects.role.developer',
  3: 'projects.role.guest',
  4: 'projects.role.maintainer',
  5: 'projects.role.limitedGuest',
}
