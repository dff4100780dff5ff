// Filtering, sorting and paging of list endpoints, applied to Kysely queries. Keys come from a
// per-resource allowlist that maps each public key to one column, so neither a filter nor a
// sort can name a column that is not on the list (secrets are never on it), and values are
// always bound parameters.
import { sql, type RawBuilder, type SelectQueryBuilder } from 'kysely'
import { BerthError } from '../lib/errors.js'

export type Condition =
  | { key: string; op: 'eq'; value: string }
  | { key: string; op: 'fuzzy'; value: string }
  | { key: string; op: 'range'; from?: string; to?: string }
  | { key: string; op: 'in'; values: string[] }

export interface ListQuery {
  conditions: Condition[]
  sort: { key: string; desc: boolean }[]
  page: number
  pageSize: number
}

export interface Listed<T> {
  items: T[]
  total: number
}

/** One allowed key: the column it filters and sorts, and how its values are typed. */
export interface Field {
  column: string
  type?: 'text' | 'int' | 'bool' | 'time'
  /** Whether `sort` may name it (default true). */
  sortable?: boolean
}

export type Fields = Record<string, Field>

export const NO_QUERY: ListQuery = { conditions: [], sort: [], page: 1, pageSize: 100 }

function fieldOf(fields: Fields, key: string, what: string): Field {
  const f = Object.hasOwn(fields, key) ? fields[key] : undefined
  if (f === undefined) {
    throw new BerthError('BAD_REQUEST', `${what} key ${JSON.stringify(key)} is not supported; use one of: ${Object.keys(fields).join(', ')}`)
  }
  return f
}

function typed(f: Field, key: string, raw: string): string | number {
  switch (f.type) {
    case 'int':
      if (!/^-?\d{1,15}$/.test(raw)) throw new BerthError('BAD_REQUEST', `${key} must be an integer`)
      return Number(raw)
    case 'bool':
      if (!/^(true|false)$/i.test(raw)) throw new BerthError('BAD_REQUEST', `${key} must be true or false`)
      return /^true$/i.test(raw) ? 1 : 0
    case 'time': {
      const t = Date.parse(raw.includes('T') || raw.endsWith('Z') ? raw : `${raw.replace(' ', 'T')}Z`)
      if (Number.isNaN(t)) throw new BerthError('BAD_REQUEST', `${key} must be a time such as 2026-01-31 12:00:00`)
      return new Date(t).toISOString()
    }
    default:
      return text(key, raw)
  }
}

/** Text compared in SQL: never with control characters (PostgreSQL refuses NUL outright). */
function text(key: string, raw: string): string {
  if (/[\x00-\x1f\x7f]/.test(raw)) throw new BerthError('BAD_REQUEST', `${key} contains a control character`)
  return raw
}

/**
 * The value of the exact-match condition on `key` in `q`, typed as `fields` says (BAD_REQUEST
 * when it is not of its type), for a service that acts on one itself; undefined without one.
 */
export function equalTo(q: ListQuery, fields: Fields, key: string): string | number | undefined {
  const c = q.conditions.find((x) => x.key === key && x.op === 'eq')
  return c === undefined || c.op !== 'eq' ? undefined : typed(fieldOf(fields, key, 'query'), key, c.value)
}

/** `column` contains `value` as a plain substring: LIKE wildcards in it are escaped and match themselves. */
export function containing(column: string, value: string): RawBuilder<boolean> {
  return sql<boolean>`${sql.ref(column)} like ${`%${text('the search text', value).replace(/[\\%_]/g, (c) => `\\${c}`)}%`} escape '\\'`
}

/** Applies the conditions and sort of `q` to a query; the caller pages it. */
export function applyQuery<DB, TB extends keyof DB, O>(
  qb: SelectQueryBuilder<DB, TB, O>,
  q: ListQuery,
  fields: Fields,
  defaultSort: { column: string; desc: boolean },
): SelectQueryBuilder<DB, TB, O> {
  let out = qb
  for (const c of q.conditions) {
    const f = fieldOf(fields, c.key, 'query')
    const col = sql.ref(f.column)
    if (c.op === 'eq') out = out.where(sql<boolean>`${col} = ${typed(f, c.key, c.value)}`)
    else if (c.op === 'fuzzy') {
      if (f.type !== undefined && f.type !== 'text') throw new BerthError('BAD_REQUEST', `${c.key} does not support fuzzy match`)
      out = out.where(containing(f.column, c.value))
    } else if (c.op === 'range') {
      if (c.from !== undefined) out = out.where(sql<boolean>`${col} >= ${typed(f, c.key, c.from)}`)
      if (c.to !== undefined) out = out.where(sql<boolean>`${col} <= ${typed(f, c.key, c.to)}`)
    } else {
      if (c.values.length === 0) throw new BerthError('BAD_REQUEST', `${c.key} needs at least one value`)
      out = out.where(sql<boolean>`${col} in (${sql.join(c.values.map((v) => typed(f, c.key, v)))})`)
    }
  }
  for (const s of q.sort) {
    const f = fieldOf(fields, s.key, 'sort')
    if (f.sortable === false) throw new BerthError('BAD_REQUEST', `cannot sort by ${s.key}`)
    out = out.orderBy(sql.ref(f.column), s.desc ? 'desc' : 'asc')
  }
  return out.orderBy(sql.ref(defaultSort.column), defaultSort.desc ? 'desc' : 'asc')
}

/** Runs a filtered query for one page and for the total count. */
export async function listPage<DB, TB extends keyof DB, O>(
  base: SelectQueryBuilder<DB, TB, O>,
  q: ListQuery,
  fields: Fields,
  defaultSort: { column: string; desc: boolean },
): Promise<Listed<O>> {
  const filtered = applyQuery(base, { ...q, sort: [] }, fields, defaultSort).clearOrderBy()
  const counted = await filtered
    .clearSelect()
    .select(sql<number>`count(*)`.as('n'))
    .executeTakeFirst()
  const items = await applyQuery(base, q, fields, defaultSort)
    .limit(q.pageSize)
    .offset((q.page - 1) * q.pageSize)
    .execute()
  return { items, total: Number((counted as { n?: number } | undefined)?.n ?? 0) }
}
