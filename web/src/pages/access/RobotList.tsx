// Robot accounts of a project, or the system robots: the list (paged, sorted and filtered by the
// server), create and edit with the shared form, new secrets, disable and enable, delete.
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { Button, Label, Truncate } from '@patternfly/react-core'
import { ActionsColumn } from '@patternfly/react-table'
import { api, ok, page } from '../../api/client'
import { ConfirmDialog } from '../../components/ConfirmDialog'
import { ErrorAlert } from '../../components/ErrorAlert'
import { ServerTable, type Column } from '../../components/ServerTable'
import { pagingQuery } from '../../components/list-params'
import { useToast } from '../../components/Toasts'
import { useFormat } from '../../lib/format'
import { RefreshSecretModal } from './RefreshSecretModal'
import { RobotForm } from './RobotForm'
import { NEVER, type Robot, type RobotCreate } from './robot-permissions'

export interface RobotListProps {
  level: 'project' | 'system'
  /** A project's robots; the system robots without it. */
  project?: { id: number; name: string }
  canCreate: boolean
  canUpdate: boolean
  canDelete: boolean
}

/** The `q` of the list: the level (and project), and a substring of the name. */
export function robotQ(level: 'project' | 'system', projectId: number | undefined, filter: string): string {
  const terms = [`Level=${level}`, ...(projectId !== undefined ? [`ProjectID=${projectId}`] : [])]
  const name = filter.replace(/[,={}[\]~]/g, '').trim()
  if (name !== '') terms.push(`name=~${name}`)
  return terms.join(',')
}

export function RobotList({ level, project, canCreate, canUpdate, canDelete }: RobotListProps) {
  const { t } = useTranslation()
  const f = useFormat()
  const client = useQueryClient()
  const toast = useToast()
  const list = ['robots', level, project?.id ?? 0] as const
  const [form, setForm] = useState<{ robot?: Robot } | null>(null)
  const [refreshing, setRefreshing] = useState<Robot | null>(null)
  const [deleting, setDeleting] = useState<Robot | null>(null)
  const refresh = () => client.invalidateQueries({ queryKey: list })
  // Only those who may create or change robots need the pairs (the server refuses the others).
  const grantable = useQuery({
    queryKey: ['permissions', 'grantable'],
    queryFn: async () => ok(await api.GET('/api/v2.0/permissions')),
    enabled: canCreate || canUpdate,
    staleTime: 5 * 60_000,
  })

  const setDisabled = async (r: Robot, disable: boolean) => {
    try {
      ok(await api.PUT('/api/v2.0/robots/{robot_id}', { params: { path: { robot_id: String(r.id) } }, body: { disable } }))
      toast('success', disable ? t('access.robots.disabled', { name: r.name }) : t('access.robots.enabled', { name: r.name }))
      await refresh()
    } catch (e) {
      toast('danger', (e as Error).message)
    }
  }

  const save = async (body: RobotCreate, robot?: Robot): Promise<{ name: string; secret: string } | void> => {
    if (robot !== undefined) {
      ok(await api.PUT('/api/v2.0/robots/{robot_id}', { params: { path: { robot_id: String(robot.id) } }, body: { description: body.description ?? '', duration: body.duration, permissions: body.permissions } }))
      toast('success', t('access.robots.saved', { name: robot.name }))
      await refresh()
      return
    }
    const made = ok(await api.POST('/api/v2.0/robots', { body }))
    await refresh()
    return { name: made.name, secret: made.secret }
  }

  const expiry = (r: Robot) => {
    if (r.expires_at === NEVER) return t('access.robots.never')
    const at = new Date(r.expires_at * 1000)
    return at.getTime() < Date.now() ? <Label color="red">{t('access.robots.expired')}</Label> : f.dateTime(at.toISOString())
  }

  const columns: Column<Robot>[] = [
    { key: 'name', title: t('access.robots.col.name'), sort: 'name', render: (r) => r.name },
    {
      key: 'status',
      title: t('access.robots.col.status'),
      render: (r) => (r.disable ? <Label color="grey">{t('access.robots.statusDisabled')}</Label> : <Label color="green">{t('access.robots.statusEnabled')}</Label>),
    },
    {
      key: 'permissions',
      title: t('access.robots.col.permissions'),
      render: (r) =>
        level === 'project'
          ? t('access.robots.pairCount', { count: r.permissions.reduce((n, p) => n + p.access.length, 0) })
          : t('access.robots.scopeCount', { system: r.permissions.filter((p) => p.kind === 'system').reduce((n, p) => n + p.access.length, 0), projects: r.permissions.filter((p) => p.kind === 'project').length }),
    },
    { key: 'expires', title: t('access.robots.col.expires'), sort: 'expires_at', render: expiry },
    { key: 'description', title: t('access.robots.col.description'), render: (r) => (r.description === '' ? '—' : <Truncate content={r.description} />) },
    { key: 'created', title: t('access.robots.col.created'), sort: 'creation_time', render: (r) => f.dateTime(r.creation_time) },
  ]

  return (
    <>
      {grantable.error !== null && <ErrorAlert error={grantable.error} />}
      <ServerTable<Robot>
        label={level === 'project' ? t('access.robots.projectTitle') : t('access.robots.systemTitle')}
        columns={columns}
        queryKey={list}
        rowKey={(r) => r.id}
        filterLabel={t('access.robots.filter')}
        defaultSort="name"
        emptyText={t('access.robots.empty')}
        fetchPage={async (params) => page(await api.GET('/api/v2.0/robots', { params: { query: { ...pagingQuery(params), q: robotQ(level, project?.id, params.filter) } } }))}
        actions={
          canCreate ? (
            <Button variant="primary" onClick={() => setForm({})} isDisabled={grantable.data === undefined}>
              {t('access.robots.create')}
            </Button>
          ) : undefined
        }
        rowActions={(r) => {
          const items = [
            ...(canUpdate
              ? [
                  { title: t('access.robots.edit'), onClick: () => setForm({ robot: r }), isDisabled: grantable.data === undefined },
                  { title: t('access.robots.refreshSecret'), onClick: () => setRefreshing(r) },
                  { title: r.disable ? t('access.robots.enable') : t('access.robots.disable'), onClick: () => void setDisabled(r, !r.disable) },
                ]
              : []),
            ...(canDelete ? [{ title: t('common.delete'), onClick: () => setDeleting(r) }] : []),
          ]
          return items.length === 0 ? null : (
            <ActionsColumn
              items={items}
              actionsToggle={({ toggleRef, onToggle, isOpen }) => (
                <Button ref={toggleRef} variant="plain" onClick={onToggle} aria-expanded={isOpen} aria-label={t('access.robots.actionsFor', { name: r.name })}>
                  ⋮
                </Button>
              )}
            />
          )
        }}
      />
      {form !== null && grantable.data !== undefined && (
        <RobotForm
          level={level}
          {...(project !== undefined ? { projectName: project.name } : {})}
          {...(form.robot !== undefined ? { robot: form.robot } : {})}
          grantable={grantable.data}
          save={(body) => save(body, form.robot)}
          onClose={() => setForm(null)}
        />
      )}
      {refreshing !== null && <RefreshSecretModal robot={refreshing} onClose={() => setRefreshing(null)} />}
      {deleting !== null && (
        <ConfirmDialog
          title={t('access.robots.delete.title')}
          confirmLabel={t('common.delete')}
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            ok(await api.DELETE('/api/v2.0/robots/{robot_id}', { params: { path: { robot_id: String(deleting.id) } } }))
            toast('success', t('access.robots.delete.done', { name: deleting.name }))
            await refresh()
          }}
        >
          {t('access.robots.delete.body', { name: deleting.name })}
        </ConfirmDialog>
      )}
    </>
  )
}
