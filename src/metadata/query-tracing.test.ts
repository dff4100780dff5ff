// The names of query spans: the operation and the first table, from Kysely's query or from SQL text.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import Sqlite from 'better-sqlite3'
import { CompiledQuery, Kysely, SqliteDialect, sql } from 'kysely'
import { describeQuery } from './query-tracing.js'

describe('query spans', () => {
  const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new Sqlite(':memory:') }) })
  const of = (q: { compile(): CompiledQuery }) => {
    const c = q.compile()
    return describeQuery(c.query, c.sql)
  }

  it('name the operation and the table of built queries', () => {
    assert.deepEqual(of(db.selectFrom('tags as t').select('t.name').where('t.id', '=', 1)), { operation: 'SELECT', table: 'tags' })
    assert.deepEqual(of(db.insertInto('jobs').values({ type: 'x' })), { operation: 'INSERT', table: 'jobs' })
    assert.deepEqual(of(db.updateTable('jobs').set({ state: 'done' })), { operation: 'UPDATE', table: 'jobs' })
    assert.deepEqual(of(db.deleteFrom('uploads').where('id', '=', 'u')), { operation: 'DELETE', table: 'uploads' })
  })

  it('read the table from SQL text, and fall back to the first keyword', () => {
    const raw = (text: string) => describeQuery(CompiledQuery.raw(text).query, text)
    assert.deepEqual(raw('select "id" from "projects" where "name" = ?'), { operation: 'SELECT', table: 'projects' })
    assert.deepEqual(raw('\n  insert into "uploads" ("id") values (?)'), { operation: 'INSERT', table: 'uploads' })
    assert.deepEqual(raw('update jobs set state = ?'), { operation: 'UPDATE', table: 'jobs' })
    assert.deepEqual(raw('begin'), { operation: 'BEGIN' })
    assert.deepEqual(of({ compile: () => sql`select 1`.compile(db) }), { operation: 'SELECT' })
  })
})
