// Users (administrators): searched, sorted and paged by the server; create database users,
// grant or revoke the administrator flag, set a password, delete one or several. Nobody sees
// these actions on their own row.
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { useQueryClient } from '@tanstack/react-query'
import { Button, Label, List, ListItem, PageSection } from '@patternfly/react-core'
import { ActionsColumn, type IAction } from '@patternfly/react-table'
import { api, ok, page } from '../../api/client'
import { useUser } from '../../auth/session'
import { ConfirmDialog } from '../../components/ConfirmDialog'
import { PageTitle } from '../../components/PageTitle'
import { ServerTable, type Column } from '../../components/ServerTable'
import { fuzzyQ, pagingQuery } from '../../components/list-params'
import { useToast } from '../../components/Toasts'
import { useFormat } from '../../lib/format'
import { CreateUserModal } from './CreateUserModal'
import { ResetPasswordModal } from './ResetPasswordModal'
import { useSystemInfo } from '../../api/system-info'
import { deletableUsers, userActions, type User, type UserAction } from './user-actions'

const LIST = ['users', 'list'] as const

type Pending = { kind: 'admin'; user: User; grant: boolean } | { kind: 'delete'; users: User[]; clear?: () => void } | { kind: 'password'; user: User }

export default function UserList() {
  const { t } = useTranslation()
  const f = useFormat()
  const me = useUser()
  const client = useQueryClient()
  const toast = useToast()
  const info = useSystemInfo()
  const [creating, setCreating] = useState(false)
  const [pending, setPending] = useState<Pending | null>(null)
  const refresh = () => client.invalidateQueries({ queryKey: LIST })
  // Users come from LDAP in ldap_auth mode: the server creates none here.
  const canCreate = info.data !== undefined && info.data.auth_mode !== 'ldap_auth'

  const columns: Column<User>[] = [
    { key: 'username', title: t('users.col.username'), sort: 'username', width: 20, render: (u) => u.username },
    {
      key: 'admin',
      title: t('users.col.admin'),
      sort: 'sysadmin_flag',
      render: (u) => (u.sysadmin_flag ? <Label color="blue">{t('users.admin.yes')}</Label> : t('users.admin.no')),
    },
    { key: 'realname', title: t('users.col.realname'), sort: 'realname', render: (u) => u.realname || '—' },
    { key: 'email', title: t('users.col.email'), sort: 'email', render: (u) => u.email || '—' },
    { key: 'created', title: t('users.col.created'), sort: 'creation_time', render: (u) => f.dateTime(u.creation_time) },
  ]

  const ACTION_TITLES: Record<UserAction, string> = {
    grantAdmin: t('users.action.grantAdmin'),
    revokeAdmin: t('users.action.revokeAdmin'),
    resetPassword: t('users.action.resetPassword'),
    delete: t('common.delete'),
  }
  const run = (action: UserAction, u: User) =>
    setPending(action === 'delete' ? { kind: 'delete', users: [u] } : action === 'resetPassword' ? { kind: 'password', user: u } : { kind: 'admin', user: u, grant: action === 'grantAdmin' })

  return (
    <>
      <PageTitle title={t('users.title')} />
      <PageSection>
        <ServerTable<User>
          label={t('users.title')}
          columns={columns}
          queryKey={LIST}
          rowKey={(u) => u.user_id}
          filterLabel={t('users.filter')}
          defaultSort="username"
          emptyText={t('users.empty')}
          fetchPage={async (params) => page(await api.GET('/api/v2.0/users', { params: { query: { ...pagingQuery(params), ...fuzzyQ('username', params.filter) } } }))}
          actions={
            canCreate ? (
              <Button variant="primary" onClick={() => setCreating(true)}>
                {t('users.create.open')}
              </Button>
            ) : undefined
          }
          bulkActions={(selected, clear) => {
            const users = deletableUsers(selected, me)
            return users.length === 0 ? null : (
              <Button variant="danger" onClick={() => setPending({ kind: 'delete', users, clear })}>
                {t('users.delete.selected', { count: users.length })}
              </Button>
            )
          }}
          rowActions={(u) => {
            const actions = userActions(u, me)
            if (actions.length === 0) return null
            const items: IAction[] = actions.map((a) => ({ title: ACTION_TITLES[a], onClick: () => run(a, u), ...(a === 'delete' ? { isDanger: true } : {}) }))
            return (
              <ActionsColumn
                items={items}
                actionsToggle={({ toggleRef, onToggle, isOpen }) => (
                  <Button ref={toggleRef} variant="plain" onClick={onToggle} aria-expanded={isOpen} aria-label={t('users.actionsFor', { name: u.username })}>
                    ⋮
                  </Button>
                )}
              />
            )
          }}
        />
      </PageSection>
      {creating && (
        <CreateUserModal
          onClose={() => setCreating(false)}
          onCreated={async (name) => {
            toast('success', t('users.create.done', { name }))
            await refresh()
          }}
        />
      )}
      {pending?.kind === 'password' && <ResetPasswordModal user={pending.user} onClose={() => setPending(null)} onDone={() => toast('success', t('users.reset.done', { name: pending.user.username }))} />}
      {pending?.kind === 'admin' && (
        <ConfirmDialog
          title={pending.grant ? t('users.action.grantAdmin') : t('users.action.revokeAdmin')}
          confirmLabel={pending.grant ? t('users.admin.grantConfirm') : t('users.admin.revokeConfirm')}
          danger={!pending.grant}
          onClose={() => setPending(null)}
          onConfirm={async () => {
            const { user, grant } = pending
            ok(await api.PUT('/api/v2.0/users/{user_id}/sysadmin', { params: { path: { user_id: String(user.user_id) } }, body: { sysadmin_flag: grant } }))
            toast('success', grant ? t('users.admin.granted', { name: user.username }) : t('users.admin.revoked', { name: user.username }))
            await refresh()
          }}
        >
          {pending.grant ? t('users.admin.grantBody', { name: pending.user.username }) : t('users.admin.revokeBody', { name: pending.user.username })}
        </ConfirmDialog>
      )}
      {pending?.kind === 'delete' && (
        <ConfirmDialog
          title={t('users.delete.title', { count: pending.users.length })}
          confirmLabel={t('common.delete')}
          onClose={() => setPending(null)}
          onConfirm={async () => {
            // One at a time, so that a refusal names its user and the others still go.
            const failed: { user: User; message: string }[] = []
            for (const user of pending.users) {
              try {
                ok(await api.DELETE('/api/v2.0/users/{user_id}', { params: { path: { user_id: String(user.user_id) } } }))
              } catch (e) {
                failed.push({ user, message: (e as Error).message })
              }
            }
            pending.clear?.()
            await refresh()
            const deleted = pending.users.length - failed.length
            if (deleted > 0) toast('success', t('users.delete.done', { count: deleted }))
            if (failed.length > 0) {
              // The dialog stays open on what is left, with the server's reasons.
              setPending({ kind: 'delete', users: failed.map((x) => x.user) })
              throw new Error(failed.map((x) => `${x.user.username}: ${x.message}`).join('; '))
            }
          }}
        >
          {t('users.delete.body', { count: pending.users.length })}
          <List>
            {pending.users.map((u) => (
              <ListItem key={u.user_id}>{u.username}</ListItem>
            ))}
          </List>
        </ConfirmDialog>
      )}
    </>
  )
}
