// A client span per database query, made from Kysely's log hook once the query has run (its
// start is the end less Kysely's measured duration). The statement is recorded as compiled, with
// its placeholders: the values bound to them (names, digests, secrets' hashes) never are.
// Installed only when tracing is on; a query outside a traced request or job makes no span.
import type { LogEvent, OperationNode } from 'kysely'
import { ATTR, SpanKind, failSpan, inTrace, startSpan } from '../lib/tracing.js'
import type { Dialect } from './schema.js'

/** OpenTelemetry's db.system.name of each dialect. */
const SYSTEM: Record<Dialect, string> = { postgres: 'postgresql', sqlite: 'sqlite' }

const OPERATION: Record<string, string> = { SelectQueryNode: 'SELECT', InsertQueryNode: 'INSERT', UpdateQueryNode: 'UPDATE', DeleteQueryNode: 'DELETE' }

type Node = OperationNode & Record<string, unknown>

const RAW_TABLE: Record<string, RegExp> = {
  SELECT: /\bfrom\s+"?([A-Za-z_][A-Za-z0-9_]*)/i,
  DELETE: /\bfrom\s+"?([A-Za-z_][A-Za-z0-9_]*)/i,
  INSERT: /\binto\s+"?([A-Za-z_][A-Za-z0-9_]*)/i,
  UPDATE: /^\s*update\s+"?([A-Za-z_][A-Za-z0-9_]*)/i,
}

/** The table a node names (a table, an aliased table), if it is one. */
function tableName(node: unknown): string | undefined {
  const n = node as Node | undefined
  if (n?.kind === 'AliasNode') return tableName(n.node)
  if (n?.kind !== 'TableNode') return undefined
  return ((n.table as Node).identifier as { name?: string } | undefined)?.name
}

/** The operation and the first table of a query, for the span's name. */
export function describeQuery(node: OperationNode, text: string): { operation: string; table?: string } {
  const n = node as Node
  const operation = OPERATION[n.kind] ?? /^\s*([A-Za-z]+)/.exec(text)?.[1]?.toUpperCase() ?? 'QUERY'
  let table: string | undefined
  if (n.kind === 'SelectQueryNode' || n.kind === 'DeleteQueryNode') table = tableName((n.from as { froms?: unknown[] } | undefined)?.froms?.[0])
  else if (n.kind === 'InsertQueryNode') table = tableName(n.into)
  else if (n.kind === 'UpdateQueryNode') table = tableName(n.table)
  // Statements written as SQL text (prepared.ts): the table after FROM, INTO or UPDATE.
  else table = RAW_TABLE[operation]?.exec(text)?.[1]
  return table === undefined ? { operation } : { operation, table }
}

/** Kysely's `log` option: one span per query run inside a trace. */
export function queryTracer(dialect: Dialect): (event: LogEvent) => void {
  const system = SYSTEM[dialect]
  return (event) => {
    if (!inTrace()) return
    const end = performance.timeOrigin + performance.now()
    const text = event.query.sql
    const { operation, table } = describeQuery(event.query.query, text)
    const span = startSpan(table === undefined ? operation : `${operation} ${table}`, {
      kind: SpanKind.CLIENT,
      startTime: end - event.queryDurationMillis,
      attributes: {
        [ATTR.DB_SYSTEM_NAME]: system,
        [ATTR.DB_OPERATION_NAME]: operation,
        [ATTR.DB_QUERY_TEXT]: text,
        ...(table !== undefined ? { [ATTR.DB_COLLECTION_NAME]: table } : {}),
      },
    })
    if (event.level === 'error') failSpan(span, event.error)
    span.end(end)
  }
}
