// A project's tag immutability rules: tags they cover cannot be pushed over or deleted. Listed by
// the server a page at a time; added, edited, switched off and on, deleted.
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { useQueryClient } from '@tanstack/react-query'
import { Button, EmptyState, Label } from '@patternfly/react-core'
import { ActionsColumn } from '@patternfly/react-table'
import { api, ok, page } from '../../api/client'
import { ConfirmDialog } from '../../components/ConfirmDialog'
import { ServerTable, type Column } from '../../components/ServerTable'
import { pagingQuery } from '../../components/list-params'
import { useToast } from '../../components/Toasts'
import { useProject } from '../projects/project-context'
import { ImmutableRuleModal } from './ImmutableRuleModal'
import { describeScope, immutableRuleBody, immutableRuleForm, NEW_SELECTORS, type ImmutableRule, type SelectorForm } from './rules'

export function ImmutabilitySection() {
  const { t } = useTranslation()
  const { project, can } = useProject()
  const client = useQueryClient()
  const toast = useToast()
  const [editing, setEditing] = useState<{ rule: ImmutableRule | null } | null>(null)
  const [deleting, setDeleting] = useState<ImmutableRule | null>(null)
  const projectRef = String(project.project_id)
  const path = { project: projectRef }
  const list = ['immutable', projectRef] as const
  const refresh = () => client.invalidateQueries({ queryKey: list })

  if (!can('immutable-tag', 'list')) return <EmptyState titleText={t('policy.immutable.forbidden')} headingLevel="h3" />

  const save = async (rule: ImmutableRule | null, form: SelectorForm) => {
    if (rule === null) {
      ok(await api.POST('/api/v2.0/projects/{project}/immutabletagrules', { params: { path }, body: immutableRuleBody(form) }))
      toast('success', t('policy.immutable.added'))
    } else {
      ok(await api.PUT('/api/v2.0/projects/{project}/immutabletagrules/{immutable_rule_id}', { params: { path: { ...path, immutable_rule_id: String(rule.id) } }, body: { ...immutableRuleBody(form, rule.disabled), id: rule.id, priority: rule.priority } }))
      toast('success', t('policy.immutable.saved'))
    }
    await refresh()
  }
  const toggle = async (rule: ImmutableRule) => {
    try {
      ok(await api.PUT('/api/v2.0/projects/{project}/immutabletagrules/{immutable_rule_id}', { params: { path: { ...path, immutable_rule_id: String(rule.id) } }, body: { disabled: !rule.disabled } }))
      toast('success', rule.disabled ? t('policy.rule.enabledDone') : t('policy.rule.disabledDone'))
      await refresh()
    } catch (e) {
      toast('danger', (e as Error).message)
    }
  }

  const columns: Column<ImmutableRule>[] = [
    { key: 'repositories', title: t('policy.selector.repositories'), render: (r) => describeScope(t, r).repositories },
    { key: 'tags', title: t('policy.selector.tags'), render: (r) => describeScope(t, r).tags },
    { key: 'state', title: t('policy.rule.state'), render: (r) => (r.disabled ? <Label color="grey">{t('policy.rule.disabledLabel')}</Label> : <Label color="green">{t('policy.rule.enabledLabel')}</Label>) },
  ]
  const mayChange = can('immutable-tag', 'update') || can('immutable-tag', 'delete')

  return (
    <>
      <ServerTable<ImmutableRule>
        label={t('policy.immutable.title')}
        prefix="imm_"
        columns={columns}
        queryKey={list}
        rowKey={(r) => r.id}
        emptyText={t('policy.immutable.empty')}
        fetchPage={async (params) => page(await api.GET('/api/v2.0/projects/{project}/immutabletagrules', { params: { path, query: pagingQuery(params) } }))}
        actions={
          can('immutable-tag', 'create') ? (
            <Button variant="primary" onClick={() => setEditing({ rule: null })}>
              {t('policy.immutable.add')}
            </Button>
          ) : undefined
        }
        rowActions={
          mayChange
            ? (r) => (
                <ActionsColumn
                  items={[
                    ...(can('immutable-tag', 'update')
                      ? [
                          { title: t('policy.edit'), onClick: () => setEditing({ rule: r }) },
                          { title: r.disabled ? t('policy.rule.enable') : t('policy.rule.disable'), onClick: () => void toggle(r) },
                        ]
                      : []),
                    ...(can('immutable-tag', 'delete') ? [{ title: t('common.delete'), onClick: () => setDeleting(r) }] : []),
                  ]}
                  actionsToggle={({ toggleRef, onToggle, isOpen }) => (
                    <Button ref={toggleRef} variant="plain" onClick={onToggle} aria-expanded={isOpen} aria-label={t('policy.immutable.actionsFor', describeScope(t, r))}>
                      ⋮
                    </Button>
                  )}
                />
              )
            : undefined
        }
      />
      {editing !== null && (
        <ImmutableRuleModal
          isNew={editing.rule === null}
          initial={editing.rule === null ? NEW_SELECTORS : immutableRuleForm(editing.rule)}
          onClose={() => setEditing(null)}
          onSave={(form) => save(editing.rule, form)}
        />
      )}
      {deleting !== null && (
        <ConfirmDialog
          title={t('policy.immutable.deleteTitle')}
          confirmLabel={t('common.delete')}
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            ok(await api.DELETE('/api/v2.0/projects/{project}/immutabletagrules/{immutable_rule_id}', { params: { path: { ...path, immutable_rule_id: String(deleting.id) } } }))
            toast('success', t('policy.immutable.deleted'))
            await refresh()
          }}
        >
          {t('policy.immutable.deleteBody', describeScope(t, deleting))}
        </ConfirmDialog>
      )}
    </>
  )
}
