// A list's page, page size, sort and filter live in the URL (?page=2&sort=-name&q=abc), so
// that a reload, a link or the back button shows the same rows. Several lists on one page
// keep apart by a prefix.
import { useCallback, useMemo } from 'react'
import { useSearchParams } from 'react-router'

export interface ListParams {
  page: number
  pageSize: number
  /** Harbor's sort: "name", "-creation_time" (descending). */
  sort: string
  /** What the user typed in the list's search box. */
  filter: string
}

export const PAGE_SIZES = [10, 25, 50, 100] as const

export function useListParams(prefix = '', defaults: Partial<ListParams> = {}): [ListParams, (patch: Partial<ListParams>) => void] {
  const [search, setSearch] = useSearchParams()
  const name = (k: string) => `${prefix}${k}`
  const params = useMemo<ListParams>(() => {
    const page = Number(search.get(name('page')) ?? defaults.page ?? 1)
    const size = Number(search.get(name('page_size')) ?? defaults.pageSize ?? 25)
    return {
      page: Number.isInteger(page) && page > 0 ? page : 1,
      pageSize: (PAGE_SIZES as readonly number[]).includes(size) ? size : 25,
      sort: search.get(name('sort')) ?? defaults.sort ?? '',
      filter: search.get(name('q')) ?? '',
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [search, prefix])
  const set = useCallback(
    (patch: Partial<ListParams>) => {
      setSearch(
        (prev) => {
          const next = new URLSearchParams(prev)
          const put = (k: string, v: string | number | undefined, dflt: string | number | undefined) => {
            if (v === undefined) return
            if (v === '' || v === dflt) next.delete(name(k))
            else next.set(name(k), String(v))
          }
          put('page', patch.page, 1)
          put('page_size', patch.pageSize, 25)
          put('sort', patch.sort, defaults.sort ?? '')
          put('q', patch.filter, '')
          // A new filter, sort or size starts again at the first page.
          if (patch.page === undefined && (patch.filter !== undefined || patch.sort !== undefined || patch.pageSize !== undefined)) next.delete(name('page'))
          return next
        },
        { replace: patch.filter !== undefined },
      )
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [setSearch, prefix],
  )
  return [params, set]
}

/** The `page`, `page_size` and `sort` query parameters of Harbor's list endpoints. */
export function pagingQuery(p: ListParams): { page: number; page_size: number; sort?: string } {
  return { page: p.page, page_size: p.pageSize, ...(p.sort !== '' ? { sort: p.sort } : {}) }
}

/** Harbor's `q` with a substring match on one field, or nothing when the filter is empty. Characters that would change q's meaning are dropped. */
export function fuzzyQ(field: string, filter: string): { q?: string } {
  const v = filter.replace(/[,={}[\]~]/g, '').trim()
  return v === '' ? {} : { q: `${field}=~${v}` }
}
