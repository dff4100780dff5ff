// The console's one list: rows fetched a page at a time, sorted and filtered by the server
// (nothing loads a whole table), state in the URL, the next page fetched ahead so that paging
// is instant, optional multi-select with bulk actions. Every list page uses it.
import { useEffect, useMemo, useState, type ReactNode } from 'react'
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { Checkbox, Pagination, SearchInput, Toolbar, ToolbarContent, ToolbarGroup, ToolbarItem, EmptyState, EmptyStateBody, Spinner } from '@patternfly/react-core'
import { Table, Tbody, Td, Th, Thead, Tr, type ThProps } from '@patternfly/react-table'
import type { Page } from '../api/client'
import { ErrorAlert } from './ErrorAlert'
import { PAGE_SIZES, useListParams, type ListParams } from './list-params'

/** PatternFly's check cell, with a checkbox of our own: the table's `select` cells label theirs in English only ("Select row 0"). */
const CHECK_CELL = 'pf-v6-c-table__check'

export interface Column<T> {
  /** Stable id of the column (also its key in the sort parameter when `sort` is true). */
  key: string
  title: string
  /** The server's sort key for this column, when it can sort by it. */
  sort?: string
  render(row: T): ReactNode
  width?: 10 | 15 | 20 | 25 | 30 | 40 | 50 | 60
  /** How the header and cells lay out their text ('wrap' instead of truncating a narrow header...). */
  modifier?: ThProps['modifier']
}

export interface ServerTableProps<T> {
  /** Accessible name of the table. */
  label: string
  columns: Column<T>[]
  /** Identifies the list in the query cache; the list parameters are appended. */
  queryKey: readonly unknown[]
  fetchPage(params: ListParams): Promise<Page<T>>
  rowKey(row: T): string | number
  /** Placeholder of the search box; no search box without it. */
  filterLabel?: string
  /** URL parameter prefix, when one page shows several lists. */
  prefix?: string
  defaultSort?: string
  /** Buttons beside the search box (create...). */
  actions?: ReactNode
  /** With this, rows can be selected and these actions act on the selection. */
  bulkActions?: (selected: T[], clear: () => void) => ReactNode
  /** Row actions, rendered in the last column. */
  rowActions?: (row: T) => ReactNode
  emptyText: string
  /** Polls while set (for live progress), in milliseconds. */
  refetchInterval?: number
}

export function ServerTable<T>(p: ServerTableProps<T>) {
  const { t } = useTranslation()
  const client = useQueryClient()
  const [params, setParams] = useListParams(p.prefix ?? '', p.defaultSort !== undefined ? { sort: p.defaultSort } : {})
  const [typed, setTyped] = useState(params.filter)
  useEffect(() => setTyped(params.filter), [params.filter])
  // Typing filters after a short pause, not on every key.
  useEffect(() => {
    if (typed === params.filter) return
    const h = setTimeout(() => setParams({ filter: typed }), 250)
    return () => clearTimeout(h)
  }, [typed, params.filter, setParams])

  const key = useMemo(() => [...p.queryKey, params], [p.queryKey, params])
  const q = useQuery({ queryKey: key, queryFn: () => p.fetchPage(params), placeholderData: keepPreviousData, ...(p.refetchInterval !== undefined ? { refetchInterval: p.refetchInterval } : {}) })
  const total = q.data?.total ?? 0
  // The next page is fetched ahead, so that "next" shows it at once.
  useEffect(() => {
    if (q.data === undefined || q.isPlaceholderData || params.page * params.pageSize >= total) return
    const next = { ...params, page: params.page + 1 }
    void client.prefetchQuery({ queryKey: [...p.queryKey, next], queryFn: () => p.fetchPage(next) })
  }, [q.data, q.isPlaceholderData, params, total, client, p])

  const [selected, setSelected] = useState<Map<string | number, T>>(new Map())
  const clear = () => setSelected(new Map())
  const rows = q.data?.items ?? []
  const selectable = p.bulkActions !== undefined
  const allSelected = rows.length > 0 && rows.every((r) => selected.has(p.rowKey(r)))

  const sortIndex = p.columns.findIndex((c) => c.sort !== undefined && (params.sort === c.sort || params.sort === `-${c.sort}`))
  const sortOf = (c: Column<T>, index: number): ThProps['sort'] | undefined =>
    c.sort === undefined
      ? undefined
      : {
          columnIndex: index,
          sortBy: sortIndex < 0 ? {} : { index: sortIndex, direction: params.sort.startsWith('-') ? 'desc' : 'asc' },
          onSort: (_e, _i, direction) => setParams({ sort: direction === 'desc' ? `-${c.sort}` : c.sort! }),
        }

  const pagination = (position: 'top' | 'bottom') => (
    <Pagination
      itemCount={total}
      page={params.page}
      perPage={params.pageSize}
      perPageOptions={PAGE_SIZES.map((n) => ({ title: String(n), value: n }))}
      onSetPage={(_e, page) => setParams({ page })}
      onPerPageSelect={(_e, pageSize) => setParams({ pageSize })}
      isCompact={position === 'top'}
      variant={position}
      widgetId={`${p.prefix ?? ''}pagination-${position}`}
      titles={{
        itemsPerPage: t('common.pagination.itemsPerPage'),
        perPageSuffix: t('common.pagination.perPageSuffix'),
        ofWord: t('common.pagination.of'),
        toFirstPageAriaLabel: t('common.pagination.first'),
        toPreviousPageAriaLabel: t('common.pagination.previous'),
        toNextPageAriaLabel: t('common.pagination.next'),
        toLastPageAriaLabel: t('common.pagination.last'),
        currPageAriaLabel: t('common.pagination.current'),
        paginationAriaLabel: t('common.pagination.label'),
      }}
    />
  )

  return (
    <>
      <Toolbar>
        <ToolbarContent>
          {p.filterLabel !== undefined && (
            <ToolbarItem>
              <SearchInput aria-label={p.filterLabel} placeholder={p.filterLabel} resetButtonLabel={t('common.clearSearch')} value={typed} onChange={(_e, v) => setTyped(v)} onClear={() => setTyped('')} />
            </ToolbarItem>
          )}
          {p.actions !== undefined && <ToolbarGroup>{p.actions}</ToolbarGroup>}
          {selectable && selected.size > 0 && <ToolbarGroup>{p.bulkActions!([...selected.values()], clear)}</ToolbarGroup>}
          <ToolbarItem variant="pagination">{pagination('top')}</ToolbarItem>
        </ToolbarContent>
      </Toolbar>
      {q.error !== null && <ErrorAlert error={q.error} />}
      <Table aria-label={p.label} variant="compact" aria-busy={q.isFetching}>
        <Thead>
          <Tr>
            {selectable && (
              <Th className={CHECK_CELL}>
                <Checkbox
                  id={`${p.prefix ?? ''}select-all`}
                  aria-label={t('common.selectAll')}
                  isChecked={allSelected}
                  onChange={(_e, on) => setSelected(on ? new Map(rows.map((r) => [p.rowKey(r), r])) : new Map())}
                />
              </Th>
            )}
            {p.columns.map((c, i) => (
              <Th key={c.key} sort={sortOf(c, i)} width={c.width} modifier={c.modifier}>
                {c.title}
              </Th>
            ))}
            {p.rowActions !== undefined && <Th screenReaderText={t('common.actions')} />}
          </Tr>
        </Thead>
        <Tbody>
          {rows.map((row, rowIndex) => {
            const id = p.rowKey(row)
            return (
              <Tr key={id}>
                {selectable && (
                  <Td className={CHECK_CELL}>
                    <Checkbox
                      id={`${p.prefix ?? ''}select-${rowIndex}`}
                      aria-label={t('common.selectRow', { row: rowIndex + 1 })}
                      isChecked={selected.has(id)}
                      onChange={(_e, on) =>
                        setSelected((prev) => {
                          const next = new Map(prev)
                          if (on) next.set(id, row)
                          else next.delete(id)
                          return next
                        })
                      }
                    />
                  </Td>
                )}
                {p.columns.map((c) => (
                  <Td key={c.key} dataLabel={c.title} modifier={c.modifier}>
                    {c.render(row)}
                  </Td>
                ))}
                {p.rowActions !== undefined && <Td isActionCell>{p.rowActions(row)}</Td>}
              </Tr>
            )
          })}
        </Tbody>
      </Table>
      {q.isLoading && <Spinner size="lg" aria-label={t('common.loading')} aria-valuetext={t('common.loading')} />}
      {!q.isLoading && q.error === null && rows.length === 0 && (
        <EmptyState titleText={p.emptyText} headingLevel="h3">
          {params.filter !== '' && <EmptyStateBody>{t('common.noMatch', { filter: params.filter })}</EmptyStateBody>}
        </EmptyState>
      )}
      {pagination('bottom')}
    </>
  )
}
