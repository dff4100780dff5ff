// Paging, filtering (Harbor's `q`) and sorting parameters of list endpoints, and the paging
// headers of their answers (X-Total-Count, Link).
import type { FastifyReply, FastifyRequest } from 'fastify'
import { BerthError } from '../../lib/errors.js'
import type { Condition, ListQuery } from '../../metadata/list-query.js'

export const MAX_PAGE_SIZE = 100
const DEFAULT_PAGE_SIZE = 10

function positive(given: string | number | undefined, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (given === undefined || given === '') return fallback
  const raw = String(given)
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) throw new BerthError('BAD_REQUEST', `${name} must be a positive integer`)
  return Math.min(Number(raw), max)
}

/**
 * Harbor's query syntax: comma-separated terms, each `k=v` (exact), `k=~v` (substring),
 * `k=[a~b]` (range, either end optional) or `k={a b c}` (any of). Keys are checked later
 * against the resource's allowlist; `aliases` maps Harbor's spellings onto Berth's keys.
 */
export function parseQ(raw: string | undefined, aliases: Record<string, string> = {}): Condition[] {
  if (raw === undefined || raw.trim() === '') return []
  const out: Condition[] = []
  // Commas inside [] or {} belong to the value.
  const terms: string[] = []
  let depth = 0
  let current = ''
  for (const ch of raw) {
    if (ch === '[' || ch === '{') depth++
    if (ch === ']' || ch === '}') depth = Math.max(0, depth - 1)
    if (ch === ',' && depth === 0) {
      terms.push(current)
      current = ''
    } else current += ch
  }
  terms.push(current)
  for (const term of terms.map((t) => t.trim()).filter((t) => t !== '')) {
    const eq = term.indexOf('=')
    if (eq <= 0) throw new BerthError('BAD_REQUEST', `invalid query term ${JSON.stringify(term)}: expected key=value`)
    const rawKey = term.slice(0, eq).trim()
    const key = aliases[rawKey] ?? rawKey
    const value = term.slice(eq + 1).trim()
    const range = /^\[(.*)~(.*)\]$/.exec(value)
    const set = /^\{(.*)\}$/.exec(value)
    if (value.startsWith('~')) out.push({ key, op: 'fuzzy', value: value.slice(1) })
    else if (range !== null) {
      const from = range[1]!.trim()
      const to = range[2]!.trim()
      out.push({ key, op: 'range', ...(from !== '' ? { from } : {}), ...(to !== '' ? { to } : {}) })
    } else if (set !== null) out.push({ key, op: 'in', values: set[1]!.split(' ').filter((v) => v !== '') })
    else out.push({ key, op: 'eq', value })
  }
  return out
}

/** `sort=a,-b`: ascending a, then descending b. */
export function parseSort(raw: string | undefined, aliases: Record<string, string> = {}): ListQuery['sort'] {
  if (raw === undefined || raw.trim() === '') return []
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const desc = s.startsWith('-')
      const key = desc ? s.slice(1) : s
      return { key: aliases[key] ?? key, desc }
    })
}

export function listQueryOf(req: FastifyRequest, aliases: Record<string, string> = {}): ListQuery {
  const q = req.query as Record<string, string | number | undefined>
  return {
    conditions: parseQ(q.q as string | undefined, aliases),
    sort: parseSort(q.sort as string | undefined, aliases),
    page: positive(q.page, 'page', 1),
    pageSize: positive(q.page_size, 'page_size', DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
  }
}

/** X-Total-Count, and Link to the previous and next pages (keeping the other parameters). */
export function pagingHeaders(req: FastifyRequest, reply: FastifyReply, q: ListQuery, total: number): void {
  reply.header('x-total-count', String(total))
  // The path as the client sent it, with anything that could end the <...> or the header escaped.
  const path = req.url.split('?')[0]!.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/g, (c) => encodeURIComponent(c))
  const params = new URLSearchParams(req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '')
  const link = (page: number, rel: string) => {
    params.set('page', String(page))
    params.set('page_size', String(q.pageSize))
    return `<${path}?${params.toString()}>; rel="${rel}"`
  }
  const links: string[] = []
  if (q.page > 1) links.push(link(q.page - 1, 'prev'))
  if (q.page * q.pageSize < total) links.push(link(q.page + 1, 'next'))
  if (links.length > 0) reply.header('link', links.join(' , '))
}
