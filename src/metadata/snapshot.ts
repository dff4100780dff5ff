// A logical snapshot of the whole metadata database: every table's rows, read in one
// transaction (SQLite: one read transaction, which in WAL mode sees one moment; PostgreSQL:
// REPEATABLE READ, READ ONLY), and written back into an empty database of either kind. Written
// here rather than with pg_dump or SQLite's backup API because one format then serves both
// databases (a SQLite laptop's metadata restores into PostgreSQL) and a restore runs through the
// same migrations as a start. Rows are read in pages by key and written in batches: memory
// holds one page, whatever the size of a table.
import { sql, type Kysely, type Transaction } from 'kysely'
import { BerthError } from '../lib/errors.js'
import type { Database, Db, Dialect } from './schema.js'

/** Rows read per query while exporting. */
const PAGE = 1000
/** Rows written per INSERT while importing (well under either database's parameter limit). */
const BATCH = 100

export type Row = Record<string, unknown>

export interface TableInfo {
  name: string
  columns: string[]
  /** The column rows are paged by: `id` where there is one, else the row's physical key. */
  key: string
}

type Any = Kysely<any>

/** Tables of Berth's schema (not the migrator's own), parents before the tables that reference them. */
export async function tablesInOrder(db: Any, dialect: Dialect): Promise<TableInfo[]> {
  const names =
    dialect === 'sqlite'
      ? (await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'kysely_%' order by name`.execute(db)).rows.map((r) => r.name)
      : (await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' and table_name not like 'kysely_%' order by table_name`.execute(db)).rows.map((r) => r.name)
  const parents = new Map<string, Set<string>>(names.map((n) => [n, new Set()]))
  if (dialect === 'sqlite') {
    for (const n of names) {
      for (const fk of (await sql<{ table: string }>`select * from pragma_foreign_key_list(${n})`.execute(db)).rows) parents.get(n)!.add(fk.table)
    }
  } else {
    const fks = await sql<{ child: string; parent: string }>`
      select distinct tc.table_name as child, ccu.table_name as parent
      from information_schema.table_constraints tc
      join information_schema.constraint_column_usage ccu on ccu.constraint_name = tc.constraint_name and ccu.table_schema = tc.table_schema
      where tc.constraint_type = 'FOREIGN KEY' and tc.table_schema = current_schema()`.execute(db)
    for (const fk of fks.rows) parents.get(fk.child)?.add(fk.parent)
  }
  const ordered: string[] = []
  const placed = new Set<string>()
  const visit = (n: string, path: string[]) => {
    if (placed.has(n)) return
    if (path.includes(n)) throw new BerthError('INTERNAL', `tables reference each other in a cycle: ${[...path, n].join(' -> ')}`)
    for (const p of parents.get(n) ?? []) if (p !== n && parents.has(p)) visit(p, [...path, n])
    placed.add(n)
    ordered.push(n)
  }
  for (const n of names) visit(n, [])
  const out: TableInfo[] = []
  for (const name of ordered) {
    const columns =
      dialect === 'sqlite'
        ? (await sql<{ name: string }>`select name from pragma_table_info(${name}) order by cid`.execute(db)).rows.map((r) => r.name)
        : (await sql<{ name: string }>`select column_name as name from information_schema.columns where table_schema = current_schema() and table_name = ${name} order by ordinal_position`.execute(db)).rows.map((r) => r.name)
    out.push({ name, columns, key: columns.includes('id') ? 'id' : dialect === 'sqlite' ? 'rowid' : 'ctid' })
  }
  return out
}

/** The rows of `t`, page by page in key order, as they stand in the reading transaction. */
async function* rowsOf(trx: Any, t: TableInfo): AsyncGenerator<Row> {
  const select = sql.join(t.columns.map((c) => sql.ref(c)))
  let last: unknown = null
  for (;;) {
    const after = last === null ? sql`` : t.key === 'ctid' ? sql`where ctid > ${last}::tid` : sql`where ${sql.ref(t.key)} > ${last}`
    const keyColumn = t.key === 'id' ? sql`` : t.key === 'ctid' ? sql`, ctid::text as "__key"` : sql`, rowid as "__key"`
    const page = (await sql<Row>`select ${select}${keyColumn} from ${sql.table(t.name)} ${after} order by ${sql.ref(t.key)} limit ${PAGE}`.execute(trx)).rows
    for (const row of page) {
      const { __key, ...rest } = row
      last = t.key === 'id' ? row.id : __key
      yield rest
    }
    if (page.length < PAGE) return
  }
}

/**
 * Reads every table in one consistent transaction and hands each to `table` in reference order
 * (with its rows as an async iterable, consumed before the next table is read).
 */
export async function exportTables(db: Db, table: (t: TableInfo, rows: AsyncIterable<Row>) => Promise<void>): Promise<TableInfo[]> {
  const read = async (trx: Transaction<Database>) => {
    if (db.dialect === 'postgres') await sql`set transaction read only`.execute(trx)
    const tables = await tablesInOrder(trx, db.dialect)
    for (const t of tables) await table(t, rowsOf(trx, t))
    return tables
  }
  return db.dialect === 'postgres' ? await db.kysely.transaction().setIsolationLevel('repeatable read').execute(read) : await db.kysely.transaction().execute(read)
}

/**
 * Replaces every row of the (migrated) database with a snapshot's, in one transaction: each
 * table is emptied (children first), then filled (parents first) from `rows(table)`; columns
 * the snapshot lacks (added by a later migration) take their defaults, and columns this
 * schema lacks are refused. On PostgreSQL, id sequences then continue after the highest id.
 */
export async function importTables(db: Db, names: readonly string[], rows: (table: string) => AsyncIterable<Row>): Promise<Map<string, number>> {
  return await db.kysely.transaction().execute(async (trx) => {
    const tables = await tablesInOrder(trx, db.dialect)
    const known = new Map(tables.map((t) => [t.name, t]))
    const unknown = names.filter((n) => !known.has(n))
    if (unknown.length > 0) throw new BerthError('BAD_REQUEST', `the snapshot holds tables this version of Berth does not have: ${unknown.join(', ')} (restore with the version that wrote it, or a newer one)`)
    for (const t of [...tables].reverse()) await sql`delete from ${sql.table(t.name)}`.execute(trx)
    const counts = new Map<string, number>()
    const wanted = new Set(names)
    for (const t of tables) {
      if (!wanted.has(t.name)) continue
      const columns = new Set(t.columns)
      let batch: Row[] = []
      let count = 0
      const flush = async () => {
        if (batch.length === 0) return
        await (trx as Any).insertInto(t.name).values(batch).execute()
        count += batch.length
        batch = []
      }
      for await (const row of rows(t.name)) {
        for (const c of Object.keys(row)) if (!columns.has(c)) throw new BerthError('BAD_REQUEST', `the snapshot's table ${t.name} has a column ${c} this version of Berth does not have`)
        batch.push(row)
        if (batch.length >= BATCH) await flush()
      }
      await flush()
      counts.set(t.name, count)
      if (db.dialect === 'postgres' && t.key === 'id') {
        const seq = (await sql<{ seq: string | null }>`select pg_get_serial_sequence(${t.name}, 'id') as seq`.execute(trx)).rows[0]?.seq ?? null
        if (seq !== null) await sql`select setval(${seq}::regclass, coalesce((select max(id) from ${sql.table(t.name)}), 0) + 1, false)`.execute(trx)
      }
    }
    return counts
  })
}
