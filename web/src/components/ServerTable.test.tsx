import { describe, expect, it, vi } from 'vitest'
import { render, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { MemoryRouter, useLocation } from 'react-router'
import { Button } from '@patternfly/react-core'
import type { Page } from '../api/client'
import type { ListParams } from './list-params'
import { ServerTable, type Column } from './ServerTable'

interface Row {
  id: number
  name: string
}

const ROWS: Row[] = Array.from({ length: 30 }, (_, i) => ({ id: i + 1, name: `row-${i + 1}` }))

/** A server in memory: sorts by name either way and cuts the page out. */
function fakeServer() {
  return vi.fn(async (p: ListParams): Promise<Page<Row>> => {
    const matching = ROWS.filter((r) => r.name.includes(p.filter))
    const sorted = p.sort === '-name' ? [...matching].reverse() : matching
    return { items: sorted.slice((p.page - 1) * p.pageSize, p.page * p.pageSize), total: matching.length }
  })
}

const COLUMNS: Column<Row>[] = [
  { key: 'name', title: 'Name', sort: 'name', render: (r) => r.name },
  { key: 'id', title: 'Number', sort: 'id', render: (r) => String(r.id) },
]

function Location() {
  return <output data-testid="search">{useLocation().search}</output>
}

function renderTable(fetchPage: ReturnType<typeof fakeServer>, url = '/list') {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } })
  render(
    <MemoryRouter initialEntries={[url]}>
      <QueryClientProvider client={client}>
        <ServerTable<Row>
          label="Rows"
          columns={COLUMNS}
          queryKey={['rows']}
          fetchPage={fetchPage}
          rowKey={(r) => r.id}
          filterLabel="Search rows"
          defaultSort="name"
          emptyText="No rows"
          bulkActions={(selected) => <Button>{`Delete ${selected.length}`}</Button>}
        />
        <Location />
      </QueryClientProvider>
    </MemoryRouter>,
  )
}

const table = () => screen.getByRole('grid', { name: 'Rows' })
const search = () => screen.getByTestId('search').textContent

describe('ServerTable', () => {
  it('shows the rows of the first page that fetchPage returns', async () => {
    const fetchPage = fakeServer()
    renderTable(fetchPage)
    expect(await within(table()).findByText('row-1')).toBeTruthy()
    expect(within(table()).getByText('row-25')).toBeTruthy()
    expect(within(table()).queryByText('row-26')).toBeNull()
    expect(fetchPage).toHaveBeenCalledWith({ page: 1, pageSize: 25, sort: 'name', filter: '' })
  })

  it('fetches the next page ahead and shows it when "next" is clicked', async () => {
    const fetchPage = fakeServer()
    renderTable(fetchPage)
    await within(table()).findByText('row-1')
    await waitFor(() => expect(fetchPage).toHaveBeenCalledWith({ page: 2, pageSize: 25, sort: 'name', filter: '' }))
    await userEvent.click(screen.getAllByRole('button', { name: 'Go to next page' })[0]!)
    expect(await within(table()).findByText('row-26')).toBeTruthy()
    expect(within(table()).queryByText('row-1')).toBeNull()
    expect(search()).toBe('?page=2')
  })

  it('asks the server for the other order when a sorted column header is clicked', async () => {
    const fetchPage = fakeServer()
    renderTable(fetchPage)
    await within(table()).findByText('row-1')
    await userEvent.click(within(table()).getByRole('button', { name: 'Name' }))
    await waitFor(() => expect(fetchPage).toHaveBeenCalledWith({ page: 1, pageSize: 25, sort: '-name', filter: '' }))
    expect(await within(table()).findByText('row-30')).toBeTruthy()
    expect(search()).toBe('?sort=-name')
    await userEvent.click(within(table()).getByRole('button', { name: 'Number' }))
    await waitFor(() => expect(fetchPage).toHaveBeenCalledWith({ page: 1, pageSize: 25, sort: 'id', filter: '' }))
  })

  it('filters through the server after a pause in typing, from the first page', async () => {
    const fetchPage = fakeServer()
    renderTable(fetchPage, '/list?page=2')
    await within(table()).findByText('row-26')
    await userEvent.type(screen.getByRole('textbox', { name: 'Search rows' }), 'row-3')
    await waitFor(() => expect(fetchPage).toHaveBeenCalledWith({ page: 1, pageSize: 25, sort: 'name', filter: 'row-3' }))
    expect(fetchPage).not.toHaveBeenCalledWith(expect.objectContaining({ filter: 'row-' }))
    expect(await within(table()).findByText('row-30')).toBeTruthy()
    expect(search()).toBe('?q=row-3')
  })

  it('shows the bulk actions once rows are selected, for the selected rows', async () => {
    renderTable(fakeServer())
    await within(table()).findByText('row-1')
    expect(screen.queryByRole('button', { name: /^Delete/ })).toBeNull()
    await userEvent.click(within(table()).getByRole('checkbox', { name: 'Select row 1' }))
    await userEvent.click(within(table()).getByRole('checkbox', { name: 'Select row 3' }))
    expect(screen.getByRole('button', { name: 'Delete 2' })).toBeTruthy()
    await userEvent.click(within(table()).getByRole('checkbox', { name: 'Select all rows on this page' }))
    expect(screen.getByRole('button', { name: 'Delete 25' })).toBeTruthy()
    await userEvent.click(within(table()).getByRole('checkbox', { name: 'Select all rows on this page' }))
    expect(screen.queryByRole('button', { name: /^Delete/ })).toBeNull()
  })

  it('shows the empty text and what the filter matched nothing of', async () => {
    renderTable(fakeServer(), '/list?q=nothing')
    expect(await screen.findByText('No rows')).toBeTruthy()
    expect(screen.getByText('Nothing matches “nothing”.')).toBeTruthy()
  })
})
