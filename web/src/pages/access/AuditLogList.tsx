// The audit log, of one project or of everything the caller may see: who did what to which
// resource and when; filtered by operation, resource, resource type, user and time (Harbor's q),
// sorted by time, paged by the server. The filters live in the URL, as the list's own do.
import { useEffect, useState } from 'react'
import { useSearchParams } from 'react-router'
import { useTranslation } from 'react-i18next'
import { Button, Flex, Form, FormGroup, Grid, Stack, FormSelect, FormSelectOption, Label, TextInput } from '@patternfly/react-core'
import { api, page } from '../../api/client'
import type { paths } from '../../api/schema'
import { ServerTable, type Column } from '../../components/ServerTable'
import { pagingQuery, type ListParams } from '../../components/list-params'
import { useFormat } from '../../lib/format'
import { auditQ, OPERATIONS, type AuditFilters } from './audit-query'

type Entry = paths['/api/v2.0/audit-logs']['get']['responses'][200]['content']['application/json'][number]

const OPERATION_KEYS: Record<(typeof OPERATIONS)[number], string> = {
  create: 'access.logs.op.create',
  update: 'access.logs.op.update',
  delete: 'access.logs.op.delete',
  pull: 'access.logs.op.pull',
  login: 'access.logs.op.login',
  stop: 'access.logs.op.stop',
}

/** URL parameters of the filters beyond the list's own search box (which filters the resource). */
const PARAM = { operation: 'op', resourceType: 'type', username: 'user', from: 'from', to: 'to' } as const
type Filter = keyof typeof PARAM

/** A text field that reports what was typed after a short pause. */
function DebouncedInput({ value, onCommit, ...rest }: { id: string; value: string; onCommit(v: string): void; type?: 'text' | 'datetime-local' }) {
  const [typed, setTyped] = useState(value)
  useEffect(() => setTyped(value), [value])
  useEffect(() => {
    if (typed === value) return
    const h = setTimeout(() => onCommit(typed), 300)
    return () => clearTimeout(h)
  }, [typed, value, onCommit])
  return <TextInput {...rest} value={typed} onChange={(_e, v) => setTyped(v)} />
}

export function AuditLogList({ projectId, label }: { projectId?: number; label: string }) {
  const { t } = useTranslation()
  const f = useFormat()
  const [search, setSearch] = useSearchParams()
  const filters = Object.fromEntries(Object.entries(PARAM).map(([k, p]) => [k, search.get(p) ?? ''])) as Record<Filter, string>
  const set = (key: Filter, value: string) =>
    setSearch(
      (prev) => {
        const next = new URLSearchParams(prev)
        if (value === '') next.delete(PARAM[key])
        else next.set(PARAM[key], value)
        // Another filter starts again at the first page.
        next.delete('page')
        return next
      },
      { replace: true },
    )

  const clearAll = () =>
    setSearch(
      (prev) => {
        const next = new URLSearchParams(prev)
        for (const p of [...Object.values(PARAM), 'q', 'page']) next.delete(p)
        return next
      },
      { replace: true },
    )

  const columns: Column<Entry>[] = [
    { key: 'username', title: t('access.logs.col.username'), render: (e) => e.username },
    { key: 'resource', title: t('access.logs.col.resource'), render: (e) => e.resource },
    { key: 'type', title: t('access.logs.col.resourceType'), render: (e) => e.resource_type },
    { key: 'operation', title: t('access.logs.col.operation'), render: (e) => (OPERATION_KEYS[e.operation as keyof typeof OPERATION_KEYS] !== undefined ? t(OPERATION_KEYS[e.operation as keyof typeof OPERATION_KEYS]) : e.operation) },
    { key: 'result', title: t('access.logs.col.result'), render: (e) => (e.operation_result ? <Label color="green">{t('access.logs.success')}</Label> : <Label color="red">{t('access.logs.failure')}</Label>) },
    { key: 'ip', title: t('access.logs.col.clientIp'), render: (e) => e.client_ip },
    { key: 'time', title: t('access.logs.col.time'), sort: 'op_time', render: (e) => f.dateTime(e.op_time) },
  ]

  const fetchPage = async (params: ListParams) => {
    const q = auditQ({ ...(filters as Omit<AuditFilters, 'resource'>), resource: params.filter })
    const query = { ...pagingQuery(params), ...(q !== undefined ? { q } : {}) }
    return projectId === undefined
      ? page(await api.GET('/api/v2.0/audit-logs', { params: { query } }))
      : page(await api.GET('/api/v2.0/projects/{project}/logs', { params: { path: { project: String(projectId) }, query }, headers: { 'X-Is-Resource-Name': 'false' } }))
  }

  return (
    <Stack hasGutter>
      <Form onSubmit={(e) => e.preventDefault()}>
        <Grid hasGutter sm={6} lg={4}>
          <FormGroup label={t('access.logs.filterOperation')} fieldId="log-operation">
            <FormSelect id="log-operation" value={filters.operation} onChange={(_e, v) => set('operation', v)}>
              <FormSelectOption value="" label={t('access.logs.anyOperation')} />
              {OPERATIONS.map((op) => (
                <FormSelectOption key={op} value={op} label={t(OPERATION_KEYS[op])} />
              ))}
            </FormSelect>
          </FormGroup>
          <FormGroup label={t('access.logs.filterType')} fieldId="log-type">
            <DebouncedInput id="log-type" value={filters.resourceType} onCommit={(v) => set('resourceType', v)} />
          </FormGroup>
          <FormGroup label={t('access.logs.filterUser')} fieldId="log-user">
            <DebouncedInput id="log-user" value={filters.username} onCommit={(v) => set('username', v)} />
          </FormGroup>
          <FormGroup label={t('access.logs.from')} fieldId="log-from">
            <DebouncedInput id="log-from" type="datetime-local" value={filters.from} onCommit={(v) => set('from', v)} />
          </FormGroup>
          <FormGroup label={t('access.logs.to')} fieldId="log-to">
            <DebouncedInput id="log-to" type="datetime-local" value={filters.to} onCommit={(v) => set('to', v)} />
          </FormGroup>
          {Object.values(filters).some((v) => v !== '') && (
            <Flex alignItems={{ default: 'alignItemsFlexEnd' }}>
              <Button variant="link" onClick={clearAll}>
                {t('access.logs.clear')}
              </Button>
            </Flex>
          )}
        </Grid>
      </Form>
      <div>
        <ServerTable<Entry>
          label={label}
          columns={columns}
          queryKey={['audit-logs', projectId ?? 'all', filters]}
          rowKey={(e) => e.id}
          filterLabel={t('access.logs.filterResource')}
          defaultSort="-op_time"
          emptyText={t('access.logs.empty')}
          fetchPage={fetchPage}
        />
      </div>
    </Stack>
  )
}
