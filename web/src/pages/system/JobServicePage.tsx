// The job service (/admin/jobservice): each queue's pending jobs, latency and state, paused,
// resumed or emptied; the worker pools of every node and what their workers run (a job's log,
// stopping it); the cron schedules; and any job's log by its id.
import { useState, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { Button, Flex, Form, FormGroup, InputGroup, InputGroupItem, Label, PageSection, Spinner, TextInput, Title, Toolbar, ToolbarContent, ToolbarItem } from '@patternfly/react-core'
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table'
import { api, ok, page } from '../../api/client'
import type { paths } from '../../api/schema'
import { ConfirmDialog } from '../../components/ConfirmDialog'
import { ErrorAlert } from '../../components/ErrorAlert'
import { PageTitle } from '../../components/PageTitle'
import { ServerTable, type Column } from '../../components/ServerTable'
import { useToast } from '../../components/Toasts'
import { useFormat } from '../../lib/format'
import { LogModal } from './LogModal'
import './system.css'

type Queue = paths['/api/v2.0/jobservice/queues']['get']['responses'][200]['content']['application/json'][number]
type Schedule = paths['/api/v2.0/schedules']['get']['responses'][200]['content']['application/json'][number]
type QueueAction = 'pause' | 'resume' | 'stop'

export const QUEUES = ['system', 'jobservice', 'queues'] as const
const POOLS = ['system', 'jobservice', 'pools'] as const
const WORKERS = ['system', 'jobservice', 'workers'] as const
const SCHEDULES = ['system', 'jobservice', 'schedules'] as const
const LIVE = 5000

const ACTION_DONE: Record<QueueAction, string> = {
  pause: 'system.jobs.paused',
  resume: 'system.jobs.resumed',
  stop: 'system.jobs.stoppedPending',
}

function Queues() {
  const { t } = useTranslation()
  const f = useFormat()
  const client = useQueryClient()
  const toast = useToast()
  const q = useQuery({ queryKey: QUEUES, queryFn: async () => ok(await api.GET('/api/v2.0/jobservice/queues')), refetchInterval: LIVE })
  const [stopping, setStopping] = useState<string | null>(null)

  const act = async (type: string, action: QueueAction) => {
    ok(await api.PUT('/api/v2.0/jobservice/queues/{job_type}', { params: { path: { job_type: type } }, body: { action } }))
    await client.invalidateQueries({ queryKey: QUEUES })
  }
  const actAndTell = async (type: string, action: QueueAction) => {
    try {
      await act(type, action)
      toast('success', t(ACTION_DONE[action], { type: type === 'all' ? t('system.jobs.allQueues') : type }))
    } catch (e) {
      toast('danger', (e as Error).message)
    }
  }
  const queues: Queue[] = q.data ?? []

  return (
    <>
      <Toolbar>
        <ToolbarContent>
          <ToolbarItem>
            <Button variant="secondary" onClick={() => void actAndTell('all', 'pause')}>
              {t('system.jobs.pauseAll')}
            </Button>
          </ToolbarItem>
          <ToolbarItem>
            <Button variant="secondary" onClick={() => void actAndTell('all', 'resume')}>
              {t('system.jobs.resumeAll')}
            </Button>
          </ToolbarItem>
          <ToolbarItem>
            <Button variant="danger" onClick={() => setStopping('all')}>
              {t('system.jobs.stopAll')}
            </Button>
          </ToolbarItem>
        </ToolbarContent>
      </Toolbar>
      {q.error !== null && <ErrorAlert error={q.error} />}
      <Table aria-label={t('system.jobs.queues')} variant="compact">
        <Thead>
          <Tr>
            <Th>{t('system.jobs.type')}</Th>
            <Th>{t('system.jobs.pending')}</Th>
            <Th>{t('system.jobs.latency')}</Th>
            <Th>{t('system.jobs.running')}</Th>
            <Th>{t('system.jobs.errors')}</Th>
            <Th>{t('system.jobs.state')}</Th>
            <Th screenReaderText={t('common.actions')} />
          </Tr>
        </Thead>
        <Tbody>
          {queues.map((queue) => (
            <Tr key={queue.job_type}>
              <Td dataLabel={t('system.jobs.type')} className="berth-mono">
                {queue.job_type}
              </Td>
              <Td dataLabel={t('system.jobs.pending')}>{f.number(queue.count)}</Td>
              <Td dataLabel={t('system.jobs.latency')}>{t('system.jobs.seconds', { seconds: queue.latency })}</Td>
              <Td dataLabel={t('system.jobs.running')}>{f.number(queue.counts.running)}</Td>
              <Td dataLabel={t('system.jobs.errors')}>{f.number(queue.counts.error)}</Td>
              <Td dataLabel={t('system.jobs.state')}>
                {queue.paused ? (
                  <Label isCompact status="warning">
                    {t('system.jobs.statePaused')}
                  </Label>
                ) : (
                  <Label isCompact status="success">
                    {t('system.jobs.stateActive')}
                  </Label>
                )}
              </Td>
              <Td isActionCell>
                <Flex spaceItems={{ default: 'spaceItemsSm' }} flexWrap={{ default: 'nowrap' }}>
                  <Button variant="link" isInline onClick={() => void actAndTell(queue.job_type, queue.paused ? 'resume' : 'pause')} aria-label={t(queue.paused ? 'system.jobs.resumeOf' : 'system.jobs.pauseOf', { type: queue.job_type })}>
                    {queue.paused ? t('system.jobs.resume') : t('system.jobs.pause')}
                  </Button>
                  <Button variant="link" isInline isDanger isDisabled={queue.count === 0} onClick={() => setStopping(queue.job_type)} aria-label={t('system.jobs.stopOf', { type: queue.job_type })}>
                    {t('system.jobs.stop')}
                  </Button>
                </Flex>
              </Td>
            </Tr>
          ))}
        </Tbody>
      </Table>
      {q.isLoading && <Spinner size="lg" aria-label={t('common.loading')} aria-valuetext={t('common.loading')} />}
      {stopping !== null && (
        <ConfirmDialog
          title={t('system.jobs.stopTitle')}
          confirmLabel={t('system.jobs.stop')}
          onClose={() => setStopping(null)}
          onConfirm={async () => {
            await act(stopping, 'stop')
            toast('success', t('system.jobs.stoppedPending', { type: stopping === 'all' ? t('system.jobs.allQueues') : stopping }))
          }}
        >
          {stopping === 'all' ? t('system.jobs.stopAllBody') : t('system.jobs.stopBody', { type: stopping })}
        </ConfirmDialog>
      )}
    </>
  )
}

function Workers({ showLog }: { showLog(id: string): void }) {
  const { t } = useTranslation()
  const f = useFormat()
  const client = useQueryClient()
  const toast = useToast()
  const pools = useQuery({ queryKey: POOLS, queryFn: async () => ok(await api.GET('/api/v2.0/jobservice/pools')), refetchInterval: LIVE })
  const workers = useQuery({ queryKey: WORKERS, queryFn: async () => ok(await api.GET('/api/v2.0/jobservice/pools/{pool_id}/workers', { params: { path: { pool_id: 'all' } } })), refetchInterval: LIVE })
  const [stopping, setStopping] = useState<string | null>(null)
  const busy = (workers.data ?? []).filter((w) => w.job_id !== '')

  return (
    <>
      {pools.error !== null && <ErrorAlert error={pools.error} />}
      <Table aria-label={t('system.jobs.pools')} variant="compact">
        <Thead>
          <Tr>
            <Th>{t('system.jobs.pool')}</Th>
            <Th>{t('system.jobs.host')}</Th>
            <Th>{t('system.jobs.pid')}</Th>
            <Th>{t('system.jobs.concurrency')}</Th>
            <Th>{t('system.jobs.busy')}</Th>
            <Th>{t('system.jobs.startedAt')}</Th>
            <Th>{t('system.jobs.heartbeat')}</Th>
          </Tr>
        </Thead>
        <Tbody>
          {(pools.data ?? []).map((p) => (
            <Tr key={p.worker_pool_id}>
              <Td dataLabel={t('system.jobs.pool')} className="berth-mono">
                {p.worker_pool_id}
              </Td>
              <Td dataLabel={t('system.jobs.host')}>{p.host}</Td>
              <Td dataLabel={t('system.jobs.pid')}>{p.pid}</Td>
              <Td dataLabel={t('system.jobs.concurrency')}>{f.number(p.concurrency)}</Td>
              <Td dataLabel={t('system.jobs.busy')}>{f.number(busy.filter((w) => w.pool_id === p.worker_pool_id).length)}</Td>
              <Td dataLabel={t('system.jobs.startedAt')}>{f.dateTime(p.start_at)}</Td>
              <Td dataLabel={t('system.jobs.heartbeat')}>{f.dateTime(p.heartbeat_at)}</Td>
            </Tr>
          ))}
        </Tbody>
      </Table>
      <Title headingLevel="h3" className="berth-gap-top">
        {t('system.jobs.busyWorkers')}
      </Title>
      {workers.error !== null && <ErrorAlert error={workers.error} />}
      {workers.data !== undefined && busy.length === 0 && <p>{t('system.jobs.idle')}</p>}
      {busy.length > 0 && (
        <Table aria-label={t('system.jobs.busyWorkers')} variant="compact">
          <Thead>
            <Tr>
              <Th>{t('system.jobs.worker')}</Th>
              <Th>{t('system.jobs.jobName')}</Th>
              <Th>{t('system.jobs.jobId')}</Th>
              <Th>{t('system.jobs.startedAt')}</Th>
              <Th>{t('system.jobs.checkIn')}</Th>
              <Th screenReaderText={t('common.actions')} />
            </Tr>
          </Thead>
          <Tbody>
            {busy.map((w) => (
              <Tr key={w.id}>
                <Td dataLabel={t('system.jobs.worker')} className="berth-mono">
                  {w.id}
                </Td>
                <Td dataLabel={t('system.jobs.jobName')} className="berth-mono">
                  {w.job_name}
                </Td>
                <Td dataLabel={t('system.jobs.jobId')}>{w.job_id}</Td>
                <Td dataLabel={t('system.jobs.startedAt')}>{f.dateTime(w.start_at)}</Td>
                <Td dataLabel={t('system.jobs.checkIn')}>{f.dateTime(w.checkin_at)}</Td>
                <Td isActionCell>
                  <Flex spaceItems={{ default: 'spaceItemsSm' }} flexWrap={{ default: 'nowrap' }}>
                    <Button variant="link" isInline onClick={() => showLog(w.job_id)} aria-label={t('system.jobs.logOf', { id: w.job_id })}>
                      {t('system.history.log')}
                    </Button>
                    <Button variant="link" isInline isDanger onClick={() => setStopping(w.job_id)} aria-label={t('system.jobs.stopJobOf', { id: w.job_id })}>
                      {t('system.jobs.stop')}
                    </Button>
                  </Flex>
                </Td>
              </Tr>
            ))}
          </Tbody>
        </Table>
      )}
      {stopping !== null && (
        <ConfirmDialog
          title={t('system.jobs.stopJobTitle')}
          confirmLabel={t('system.jobs.stop')}
          onClose={() => setStopping(null)}
          onConfirm={async () => {
            ok(await api.PUT('/api/v2.0/jobservice/jobs/{job_id}', { params: { path: { job_id: stopping } } }))
            toast('success', t('system.jobs.jobStopped', { id: stopping }))
            await client.invalidateQueries({ queryKey: WORKERS })
          }}
        >
          {t('system.jobs.stopJobBody', { id: stopping })}
        </ConfirmDialog>
      )}
    </>
  )
}

function JobLogLookup({ showLog }: { showLog(id: string): void }) {
  const { t } = useTranslation()
  const [id, setId] = useState('')
  const valid = /^\d{1,15}$/.test(id.trim())
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (valid) showLog(id.trim())
  }
  return (
    <Form onSubmit={submit} maxWidth="24rem">
      <FormGroup label={t('system.jobs.jobId')} fieldId="job-log-id">
        <InputGroup>
          <InputGroupItem isFill>
            <TextInput id="job-log-id" inputMode="numeric" value={id} onChange={(_e, v) => setId(v)} validated={id !== '' && !valid ? 'error' : 'default'} />
          </InputGroupItem>
          <InputGroupItem>
            <Button type="submit" variant="secondary" isDisabled={!valid}>
              {t('system.jobs.showLog')}
            </Button>
          </InputGroupItem>
        </InputGroup>
      </FormGroup>
    </Form>
  )
}

export default function JobServicePage() {
  const { t } = useTranslation()
  const f = useFormat()
  const [log, setLog] = useState<string | null>(null)
  const scheduleColumns: Column<Schedule>[] = [
    { key: 'id', title: t('system.history.id'), render: (s) => f.number(s.id), width: 10 },
    { key: 'vendor', title: t('system.jobs.vendorType'), render: (s) => <span className="berth-mono">{s.vendor_type}</span> },
    { key: 'vendorId', title: t('system.jobs.vendorId'), render: (s) => f.number(s.vendor_id) },
    { key: 'cron', title: t('system.schedule.cron'), render: (s) => <span className="berth-mono">{s.cron}</span> },
    { key: 'updated', title: t('system.quota.updated'), render: (s) => f.dateTime(s.update_time) },
  ]
  return (
    <>
      <PageTitle title={t('app.nav.jobService')} description={t('system.jobs.intro')} />
      <PageSection>
        <Title headingLevel="h2">{t('system.jobs.queues')}</Title>
        <Queues />
      </PageSection>
      <PageSection>
        <Title headingLevel="h2">{t('system.jobs.pools')}</Title>
        <Workers showLog={setLog} />
      </PageSection>
      <PageSection>
        <Title headingLevel="h2">{t('system.jobs.schedules')}</Title>
        <ServerTable<Schedule>
          label={t('system.jobs.schedules')}
          prefix="s_"
          columns={scheduleColumns}
          queryKey={SCHEDULES}
          rowKey={(s) => s.id}
          emptyText={t('system.jobs.noSchedules')}
          fetchPage={async (params) => page(await api.GET('/api/v2.0/schedules', { params: { query: { page: params.page, page_size: params.pageSize } } }))}
        />
      </PageSection>
      <PageSection>
        <Title headingLevel="h2">{t('system.jobs.logTitle')}</Title>
        <JobLogLookup showLog={setLog} />
      </PageSection>
      {log !== null && (
        <LogModal
          title={t('system.jobs.logOf', { id: log })}
          queryKey={['system', 'jobservice', 'log', log]}
          load={async () => ok(await api.GET('/api/v2.0/jobservice/jobs/{job_id}/log', { params: { path: { job_id: log } }, parseAs: 'text' }))}
          onClose={() => setLog(null)}
        />
      )}
    </>
  )
}
