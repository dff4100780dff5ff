// A project's members (tab "Members"): users and LDAP groups with their roles; add, change role
// and remove, one at a time or several at once, for those allowed to.
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { useQueryClient } from '@tanstack/react-query'
import { Button, Label, PageSection, Title } from '@patternfly/react-core'
import { ActionsColumn } from '@patternfly/react-table'
import { api, ok, page } from '../../api/client'
import type { paths } from '../../api/schema'
import { ConfirmDialog } from '../../components/ConfirmDialog'
import { ServerTable, type Column } from '../../components/ServerTable'
import { pagingQuery } from '../../components/list-params'
import { useToast } from '../../components/Toasts'
import { ROLE_KEYS } from '../projects/ProjectList'
import { useProject } from '../projects/project-context'
import { AddMemberModal } from './AddMemberModal'
import { ChangeRoleModal } from './ChangeRoleModal'

type Member = paths['/api/v2.0/projects/{project}/members']['get']['responses'][200]['content']['application/json'][number]

export default function MemberList() {
  const { t } = useTranslation()
  const { project, can } = useProject()
  const client = useQueryClient()
  const toast = useToast()
  const list = ['members', project.project_id] as const
  const refresh = () => client.invalidateQueries({ queryKey: list })
  const path = { project: String(project.project_id) }
  const byId = { 'X-Is-Resource-Name': 'false' } as const
  const [adding, setAdding] = useState(false)
  const [changing, setChanging] = useState<{ members: Member[]; clear(): void } | null>(null)
  const [removing, setRemoving] = useState<{ members: Member[]; clear(): void } | null>(null)
  const canUpdate = can('member', 'update')
  const canDelete = can('member', 'delete')

  const columns: Column<Member>[] = [
    { key: 'name', title: t('access.members.col.name'), sort: 'entityname', render: (m) => m.entity_name },
    { key: 'type', title: t('access.members.col.type'), render: (m) => (m.entity_type === 'g' ? <Label color="purple">{t('access.members.group')}</Label> : <Label>{t('access.members.user')}</Label>) },
    { key: 'role', title: t('access.members.col.role'), sort: 'role_id', render: (m) => (ROLE_KEYS[m.role_id] !== undefined ? t(ROLE_KEYS[m.role_id]!) : m.role_name) },
  ]
  const none = () => {}

  return (
    <PageSection>
      <Title headingLevel="h2">{t('access.members.title')}</Title>
      <ServerTable<Member>
        label={t('access.members.title')}
        columns={columns}
        queryKey={list}
        rowKey={(m) => m.id}
        filterLabel={t('access.members.filter')}
        defaultSort="entityname"
        emptyText={t('access.members.empty')}
        fetchPage={async (params) =>
          page(await api.GET('/api/v2.0/projects/{project}/members', { params: { path, query: { ...pagingQuery(params), ...(params.filter !== '' ? { entityname: params.filter } : {}) } }, headers: byId }))
        }
        actions={
          can('member', 'create') ? (
            <Button variant="primary" onClick={() => setAdding(true)}>
              {t('access.members.add.open')}
            </Button>
          ) : undefined
        }
        {...(canUpdate || canDelete
          ? {
              bulkActions: (selected: Member[], clear: () => void) => (
                <>
                  {canUpdate && (
                    <Button variant="secondary" onClick={() => setChanging({ members: selected, clear })}>
                      {t('access.members.role.open', { count: selected.length })}
                    </Button>
                  )}
                  {canDelete && (
                    <Button variant="danger" onClick={() => setRemoving({ members: selected, clear })}>
                      {t('access.members.remove.open', { count: selected.length })}
                    </Button>
                  )}
                </>
              ),
            }
          : {})}
        rowActions={(m) =>
          canUpdate || canDelete ? (
            <ActionsColumn
              items={[
                ...(canUpdate ? [{ title: t('access.members.role.change'), onClick: () => setChanging({ members: [m], clear: none }) }] : []),
                ...(canDelete ? [{ title: t('access.members.remove.one'), onClick: () => setRemoving({ members: [m], clear: none }) }] : []),
              ]}
              actionsToggle={({ toggleRef, onToggle, isOpen }) => (
                <Button ref={toggleRef} variant="plain" onClick={onToggle} aria-expanded={isOpen} aria-label={t('access.members.actionsFor', { name: m.entity_name })}>
                  ⋮
                </Button>
              )}
            />
          ) : null
        }
      />
      {adding && (
        <AddMemberModal
          onClose={() => setAdding(false)}
          save={async (body) => {
            ok(await api.POST('/api/v2.0/projects/{project}/members', { params: { path }, headers: byId, body }))
            toast('success', t('access.members.add.done', { name: body.member_user?.username ?? body.member_group?.ldap_group_dn ?? '' }))
            await refresh()
          }}
        />
      )}
      {changing !== null && (
        <ChangeRoleModal
          names={changing.members.map((m) => m.entity_name)}
          {...(new Set(changing.members.map((m) => m.role_id)).size === 1 ? { currentRole: changing.members[0]!.role_id } : {})}
          onClose={() => setChanging(null)}
          save={async (body) => {
            try {
              for (const m of changing.members) ok(await api.PUT('/api/v2.0/projects/{project}/members/{mid}', { params: { path: { ...path, mid: String(m.id) } }, headers: byId, body }))
              toast('success', t('access.members.role.done', { count: changing.members.length }))
              changing.clear()
            } finally {
              await refresh()
            }
          }}
        />
      )}
      {removing !== null && (
        <ConfirmDialog
          title={t('access.members.remove.title', { count: removing.members.length })}
          confirmLabel={t('access.members.remove.confirm')}
          onClose={() => setRemoving(null)}
          onConfirm={async () => {
            try {
              for (const m of removing.members) ok(await api.DELETE('/api/v2.0/projects/{project}/members/{mid}', { params: { path: { ...path, mid: String(m.id) } }, headers: byId }))
              toast('success', t('access.members.remove.done', { count: removing.members.length }))
              removing.clear()
            } finally {
              await refresh()
            }
          }}
        >
          {removing.members.length === 1 ? t('access.members.remove.bodyOne', { name: removing.members[0]!.entity_name }) : t('access.members.remove.bodyMany', { count: removing.members.length })}
        </ConfirmDialog>
      )}
    </PageSection>
  )
}
