// Hot-path queries compiled once: Kysely builds and compiles a query in more time than the
// database takes to answer it, so lookups on every pull are compiled on first use and re-run
// with new parameters. Parameters are bound in the order the query's values appear.
import { CompiledQuery, type Kysely, type Compilable } from 'kysely'

export class PreparedQuery<Row, Params extends unknown[]> {
  private sql: string | undefined

  constructor(private readonly build: (db: Kysely<any>) => Compilable<Row>) {}

  async all(db: Kysely<any>, ...params: Params): Promise<Row[]> {
    this.sql ??= this.build(db).compile().sql
    return (await db.executeQuery<Row>(CompiledQuery.raw(this.sql, params))).rows
  }

  async first(db: Kysely<any>, ...params: Params): Promise<Row | undefined> {
    return (await this.all(db, ...params))[0]
  }
}
