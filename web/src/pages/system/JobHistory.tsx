// The history of a system job (garbage collection, audit-log purge): Harbor's job history paged
// by the server, each run's status, trigger, times and results, its log, and stopping a run that
// still goes. Refreshes by itself, so a run started here is seen to end.
import { useState, type ReactNode } from 'react'
import { useTranslation } from 'react-i18next'
import { Button, Flex } from '@patternfly/react-core'
import type { Page } from '../../api/client'
import type { paths } from '../../api/schema'
import { ConfirmDialog } from '../../components/ConfirmDialog'
import { ServerTable, type Column } from '../../components/ServerTable'
import type { ListParams } from '../../components/list-params'
import { useToast } from '../../components/Toasts'
import { useFormat } from '../../lib/format'
import { LogModal } from './LogModal'
import { StatusLabel } from './StatusLabel'
import { parametersOf } from './schedule'
import { runStatus } from './status'

export type JobRun = paths['/api/v2.0/system/gc']['get']['responses'][200]['content']['application/json'][number]

const TRIGGER_KEYS: Record<string, string> = { MANUAL: 'system.trigger.manual', SCHEDULE: 'system.trigger.schedule' }

export interface JobHistoryProps {
  label: string
  queryKey: readonly unknown[]
  fetchPage(params: ListParams): Promise<Page<JobRun>>
  loadLog(id: number): Promise<string>
  /** Stops a run; no stop button without it. */
  stop?(id: number): Promise<void>
  /** What a run did, read from its parameters (freed space, entries purged). */
  results: { title: string; render(parameters: Record<string, unknown>, run: JobRun): ReactNode }
  emptyText: string
}

export function JobHistory(p: JobHistoryProps) {
  const { t } = useTranslation()
  const f = useFormat()
  const toast = useToast()
  const [log, setLog] = useState<JobRun | null>(null)
  const [stopping, setStopping] = useState<JobRun | null>(null)

  const columns: Column<JobRun>[] = [
    { key: 'id', title: t('system.history.id'), render: (r) => f.number(r.id), width: 10 },
    { key: 'status', title: t('system.history.status'), render: (r) => <StatusLabel look={runStatus(r.job_status)} raw={r.job_status} /> },
    { key: 'trigger', title: t('system.history.trigger'), render: (r) => (Object.hasOwn(TRIGGER_KEYS, r.job_kind) ? t(TRIGGER_KEYS[r.job_kind]!) : r.job_kind) },
    { key: 'dryRun', title: t('system.history.dryRun'), render: (r) => (parametersOf(r.job_parameters).dry_run === true ? t('system.yes') : t('system.no')) },
    { key: 'started', title: t('system.history.started'), sort: 'creation_time', render: (r) => f.dateTime(r.creation_time) },
    { key: 'ended', title: t('system.history.ended'), render: (r) => (runStatus(r.job_status)?.active === true ? '—' : f.dateTime(r.update_time)) },
    { key: 'results', title: p.results.title, render: (r) => p.results.render(parametersOf(r.job_parameters), r) },
  ]

  return (
    <>
      <ServerTable<JobRun>
        label={p.label}
        columns={columns}
        queryKey={p.queryKey}
        rowKey={(r) => r.id}
        defaultSort="-creation_time"
        emptyText={p.emptyText}
        refetchInterval={3000}
        fetchPage={p.fetchPage}
        rowActions={(r) => (
          <Flex spaceItems={{ default: 'spaceItemsSm' }} flexWrap={{ default: 'nowrap' }}>
            <Button variant="link" isInline onClick={() => setLog(r)} aria-label={t('system.history.logOf', { id: r.id })}>
              {t('system.history.log')}
            </Button>
            {p.stop !== undefined && runStatus(r.job_status)?.active === true && (
              <Button variant="link" isInline isDanger onClick={() => setStopping(r)} aria-label={t('system.history.stopOf', { id: r.id })}>
                {t('system.history.stop')}
              </Button>
            )}
          </Flex>
        )}
      />
      {log !== null && (
        <LogModal
          title={t('system.history.logTitle', { id: log.id })}
          queryKey={[...p.queryKey, 'log', log.id]}
          load={() => p.loadLog(log.id)}
          live={runStatus(log.job_status)?.active === true}
          onClose={() => setLog(null)}
        />
      )}
      {stopping !== null && p.stop !== undefined && (
        <ConfirmDialog
          title={t('system.history.stopTitle')}
          confirmLabel={t('system.history.stop')}
          onClose={() => setStopping(null)}
          onConfirm={async () => {
            await p.stop!(stopping.id)
            toast('success', t('system.history.stopped', { id: stopping.id }))
          }}
        >
          {t('system.history.stopBody', { id: stopping.id })}
        </ConfirmDialog>
      )}
    </>
  )
}
