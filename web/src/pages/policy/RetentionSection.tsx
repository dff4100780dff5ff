// A project's tag retention policy: its rules in words, added, edited, switched off and removed
// one at a time (the policy is one resource: every change PUTs it whole; the first rule creates
// it), its schedule, a dry run or a real run now, and the history of its runs.
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { Button, Content, DataList, StackItem, DataListAction, DataListCell, DataListItem, DataListItemCells, DataListItemRow, EmptyState, EmptyStateBody, Flex, FlexItem, Label, Spinner, Title } from '@patternfly/react-core'
import { ActionsColumn } from '@patternfly/react-table'
import { api, ok } from '../../api/client'
import { ConfirmDialog } from '../../components/ConfirmDialog'
import { ErrorAlert } from '../../components/ErrorAlert'
import { useToast } from '../../components/Toasts'
import { useProject } from '../projects/project-context'
import { RetentionRuleModal } from './RetentionRuleModal'
import { RetentionRuns } from './RetentionRuns'
import { RetentionSchedule } from './RetentionSchedule'
import { describeRetentionRule, NEW_RETENTION_RULE, retentionPolicyBody, retentionRuleAsBody, retentionRuleForm, type RetentionPolicy, type RetentionRule, type RetentionRuleBody } from './rules'

/** Most rules a policy may have (the server's limit, as in Harbor). */
const MAX_RULES = 15

export function RetentionSection() {
  const { t } = useTranslation()
  const { project, can } = useProject()
  const client = useQueryClient()
  const toast = useToast()
  const retentionId = project.metadata?.retention_id
  const policyKey = ['retention', 'policy', retentionId] as const
  const metadata = useQuery({ queryKey: ['retention', 'metadata'], queryFn: async () => ok(await api.GET('/api/v2.0/retentions/metadatas')), staleTime: Infinity })
  const policy = useQuery({
    queryKey: policyKey,
    queryFn: async () => ok(await api.GET('/api/v2.0/retentions/{id}', { params: { path: { id: retentionId! } } })),
    enabled: retentionId !== undefined && can('tag-retention', 'read'),
  })
  const [editing, setEditing] = useState<{ index: number | null } | null>(null)
  const [deleting, setDeleting] = useState<number | null>(null)
  const [running, setRunning] = useState(false)

  if (!can('tag-retention', 'read')) return <EmptyState titleText={t('policy.retention.forbidden')} headingLevel="h3" />
  if (metadata.error !== null) return <ErrorAlert error={metadata.error} />
  if (policy.error !== null) return <ErrorAlert error={policy.error} />
  if (metadata.data === undefined || (retentionId !== undefined && policy.data === undefined)) return <Spinner size="lg" aria-label={t('common.loading')} aria-valuetext={t('common.loading')} />

  const current: RetentionPolicy | undefined = policy.data
  const rules = current?.rules ?? []
  const cron = String(current?.trigger.settings.cron ?? '')
  const mayEdit = current === undefined ? can('tag-retention', 'create') : can('tag-retention', 'update')

  /** Writes the whole policy: PUT when the project has one, else POST (which sets the project's retention_id). */
  const save = async (next: RetentionRuleBody[], nextCron: string) => {
    const body = retentionPolicyBody(project.project_id, next, nextCron)
    if (current === undefined) {
      ok(await api.POST('/api/v2.0/retentions', { body }))
      await client.invalidateQueries({ queryKey: ['project'] })
    } else {
      ok(await api.PUT('/api/v2.0/retentions/{id}', { params: { path: { id: String(current.id) } }, body }))
      await client.invalidateQueries({ queryKey: policyKey })
    }
  }
  const withRule = (index: number | null, rule: RetentionRuleBody | null): RetentionRuleBody[] => {
    const list = rules.map(retentionRuleAsBody)
    if (index === null) return rule === null ? list : [...list, rule]
    return rule === null ? list.filter((_r, i) => i !== index) : list.map((r, i) => (i === index ? { ...rule, priority: r.priority } : r))
  }
  const toggle = async (index: number, r: RetentionRule) => {
    try {
      await save(withRule(index, { ...retentionRuleAsBody(r), disabled: !r.disabled }), cron)
      toast('success', r.disabled ? t('policy.rule.enabledDone') : t('policy.rule.disabledDone'))
    } catch (e) {
      toast('danger', (e as Error).message)
    }
  }

  /** Runs the policy now (the buttons show only once there is one). */
  const trigger = async (dryRun: boolean): Promise<void> => {
    if (current === undefined) return
    try {
      ok(await api.POST('/api/v2.0/retentions/{id}/executions', { params: { path: { id: String(current.id) } }, body: { dry_run: dryRun } }))
      toast('success', dryRun ? t('policy.retention.dryRunStarted') : t('policy.retention.runStarted'))
      await client.invalidateQueries({ queryKey: ['retention', 'runs'] })
    } catch (e) {
      // A dry run reports here; a real run's dialog shows its own refusal.
      if (!dryRun) throw e
      toast('danger', (e as Error).message)
    }
  }

  return (
    <>
      <StackItem>
        <Flex justifyContent={{ default: 'justifyContentSpaceBetween' }} alignItems={{ default: 'alignItemsCenter' }}>
          <FlexItem>
            <Title headingLevel="h3">{t('policy.retention.rules', { count: rules.length, max: MAX_RULES })}</Title>
          </FlexItem>
          <FlexItem>
            <Flex>
              {mayEdit && (
                <Button variant="primary" onClick={() => setEditing({ index: null })} isDisabled={rules.length >= MAX_RULES}>
                  {t('policy.retention.addRule')}
                </Button>
              )}
              {current !== undefined && can('tag-retention', 'operate') && (
                <>
                  <Button variant="secondary" isDisabled={rules.length === 0} onClick={() => void trigger(true)}>
                    {t('policy.retention.dryRun')}
                  </Button>
                  <Button variant="secondary" isDanger isDisabled={rules.length === 0} onClick={() => setRunning(true)}>
                    {t('policy.retention.runNow')}
                  </Button>
                </>
              )}
            </Flex>
          </FlexItem>
        </Flex>
      </StackItem>
      <StackItem>
        {rules.length === 0 ? (
          <EmptyState titleText={t('policy.retention.noRules')} headingLevel="h4">
            <EmptyStateBody>{t('policy.retention.noRulesHelp')}</EmptyStateBody>
          </EmptyState>
        ) : (
          <DataList aria-label={t('policy.retention.rulesLabel')}>
            {rules.map((r, i) => (
              <DataListItem key={r.id} aria-labelledby={`retention-rule-${r.id}`}>
                <DataListItemRow>
                  <DataListItemCells
                    dataListCells={[
                      <DataListCell key="text" width={5}>
                        <span id={`retention-rule-${r.id}`}>{describeRetentionRule(t, r)}</span>
                      </DataListCell>,
                      <DataListCell key="state">{r.disabled ? <Label color="grey">{t('policy.rule.disabledLabel')}</Label> : <Label color="green">{t('policy.rule.enabledLabel')}</Label>}</DataListCell>,
                    ]}
                  />
                  {mayEdit && (
                    <DataListAction aria-labelledby={`retention-rule-${r.id}`} id={`retention-rule-actions-${r.id}`} aria-label={t('policy.rule.actions')}>
                      <ActionsColumn
                        items={[
                          { title: t('policy.edit'), onClick: () => setEditing({ index: i }) },
                          { title: r.disabled ? t('policy.rule.enable') : t('policy.rule.disable'), onClick: () => void toggle(i, r) },
                          { title: t('common.delete'), onClick: () => setDeleting(i) },
                        ]}
                        actionsToggle={({ toggleRef, onToggle, isOpen }) => (
                          <Button ref={toggleRef} variant="plain" onClick={onToggle} aria-expanded={isOpen} aria-label={t('policy.rule.actionsFor', { rule: i + 1 })}>
                            ⋮
                          </Button>
                        )}
                      />
                    </DataListAction>
                  )}
                </DataListItemRow>
              </DataListItem>
            ))}
          </DataList>
        )}
      </StackItem>
      <StackItem>
        <RetentionSchedule
          cron={cron}
          editable={mayEdit}
          onSave={async (next) => {
            await save(rules.map(retentionRuleAsBody), next)
            toast('success', t('policy.schedule.saved'))
          }}
        />
      </StackItem>
      {current !== undefined && can('tag-retention', 'list') && (
        <StackItem>
          <Title headingLevel="h3">{t('policy.retention.runs')}</Title>
          <Content component="p">{t('policy.retention.runsHelp')}</Content>
          <RetentionRuns policyId={current.id} canStop={can('tag-retention', 'operate')} />
        </StackItem>
      )}
      {editing !== null && (
        <RetentionRuleModal
          metadata={metadata.data}
          isNew={editing.index === null}
          initial={editing.index === null ? NEW_RETENTION_RULE : retentionRuleForm(rules[editing.index]!)}
          onClose={() => setEditing(null)}
          onSave={async (rule) => {
            await save(withRule(editing.index, rule), cron)
            toast('success', editing.index === null ? t('policy.retention.ruleAdded') : t('policy.retention.ruleSaved'))
          }}
        />
      )}
      {deleting !== null && (
        <ConfirmDialog
          title={t('policy.retention.deleteRule')}
          confirmLabel={t('common.delete')}
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await save(withRule(deleting, null), cron)
            toast('success', t('policy.retention.ruleDeleted'))
          }}
        >
          {describeRetentionRule(t, rules[deleting]!)}
        </ConfirmDialog>
      )}
      {running && (
        <ConfirmDialog title={t('policy.retention.runNowTitle')} confirmLabel={t('policy.retention.runNow')} onClose={() => setRunning(false)} onConfirm={() => trigger(false)}>
          {t('policy.retention.runNowBody')}
        </ConfirmDialog>
      )}
    </>
  )
}
