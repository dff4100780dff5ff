import type { ReactNode } from 'react'
import { describe, expect, it } from 'vitest'
import { act, renderHook } from '@testing-library/react'
import { MemoryRouter, useLocation } from 'react-router'
import { fuzzyQ, pagingQuery, useListParams, type ListParams } from './list-params'

describe('fuzzyQ', () => {
  it("builds Harbor's substring match on one field", () => {
    expect(fuzzyQ('name', 'nginx')).toEqual({ q: 'name=~nginx' })
    expect(fuzzyQ('name', '  library/nginx ')).toEqual({ q: 'name=~library/nginx' })
  })

  it("drops the characters that would change q's meaning", () => {
    expect(fuzzyQ('name', 'a,b=c~d{e}[f]')).toEqual({ q: 'name=~abcdef' })
    expect(fuzzyQ('name', 'x,tags=~y')).toEqual({ q: 'name=~xtagsy' })
  })

  it('asks for no q when nothing is left to match', () => {
    expect(fuzzyQ('name', '')).toEqual({})
    expect(fuzzyQ('name', '   ')).toEqual({})
    expect(fuzzyQ('name', '{}[],=~')).toEqual({})
  })
})

describe('pagingQuery', () => {
  it("gives Harbor's page, page_size and sort, without an empty sort", () => {
    const p: ListParams = { page: 3, pageSize: 50, sort: '-creation_time', filter: 'x' }
    expect(pagingQuery(p)).toEqual({ page: 3, page_size: 50, sort: '-creation_time' })
    expect(pagingQuery({ ...p, sort: '' })).toEqual({ page: 3, page_size: 50 })
  })
})

function renderListParams(url: string, prefix = '', defaults: Partial<ListParams> = {}) {
  const wrapper = ({ children }: { children: ReactNode }) => <MemoryRouter initialEntries={[url]}>{children}</MemoryRouter>
  return renderHook(
    () => {
      const [params, set] = useListParams(prefix, defaults)
      return { params, set, search: useLocation().search }
    },
    { wrapper },
  )
}

describe('useListParams', () => {
  it('reads the page, size, sort and filter from the URL', () => {
    const { result } = renderListParams('/x?page=2&page_size=50&sort=-name&q=abc')
    expect(result.current.params).toEqual({ page: 2, pageSize: 50, sort: '-name', filter: 'abc' })
  })

  it('falls back to the defaults for what the URL lacks or gets wrong', () => {
    expect(renderListParams('/x', '', { sort: 'name' }).result.current.params).toEqual({ page: 1, pageSize: 25, sort: 'name', filter: '' })
    expect(renderListParams('/x?page=-3&page_size=7').result.current.params).toEqual({ page: 1, pageSize: 25, sort: '', filter: '' })
    expect(renderListParams('/x?page=1.5&page_size=abc').result.current.params).toEqual({ page: 1, pageSize: 25, sort: '', filter: '' })
  })

  it('writes changes to the URL and reads them back (a reload or a link shows the same rows)', () => {
    const { result } = renderListParams('/x', '', { sort: 'name' })
    act(() => result.current.set({ page: 3, pageSize: 100, sort: '-creation_time' }))
    expect(new URLSearchParams(result.current.search).toString()).toBe('page=3&page_size=100&sort=-creation_time')
    const again = renderListParams(`/x${result.current.search}`, '', { sort: 'name' })
    expect(again.result.current.params).toEqual(result.current.params)
    expect(again.result.current.params).toEqual({ page: 3, pageSize: 100, sort: '-creation_time', filter: '' })
  })

  it('leaves defaults out of the URL', () => {
    const { result } = renderListParams('/x?page=2&page_size=50&sort=-name&q=abc', '', { sort: 'name' })
    act(() => result.current.set({ page: 1, pageSize: 25, sort: 'name', filter: '' }))
    expect(result.current.search).toBe('')
  })

  it('starts again at the first page on a new filter, sort or page size', () => {
    const { result } = renderListParams('/x?page=4')
    act(() => result.current.set({ filter: 'nginx' }))
    expect(result.current.params).toEqual({ page: 1, pageSize: 25, sort: '', filter: 'nginx' })
    act(() => result.current.set({ page: 4 }))
    act(() => result.current.set({ sort: 'name' }))
    expect(result.current.params.page).toBe(1)
    act(() => result.current.set({ page: 4 }))
    act(() => result.current.set({ pageSize: 10 }))
    expect(result.current.params).toEqual({ page: 1, pageSize: 10, sort: 'name', filter: 'nginx' })
  })

  it('keeps two lists of one page apart by their prefix', () => {
    const { result } = renderListParams('/x?page=2&tags_page=5&tags_q=v1')
    expect(result.current.params).toEqual({ page: 2, pageSize: 25, sort: '', filter: '' })
    const tags = renderListParams('/x?page=2&tags_page=5&tags_q=v1', 'tags_')
    expect(tags.result.current.params).toEqual({ page: 5, pageSize: 25, sort: '', filter: 'v1' })
    act(() => tags.result.current.set({ page: 6 }))
    expect(new URLSearchParams(tags.result.current.search).toString()).toBe('page=2&tags_page=6&tags_q=v1')
  })
})
