// The event bus on both databases: one job per interested subscriber, each retried on its own;
// nothing for a rolled-back change; events of the single consumer before the bus (job type
// EVENT) handed to every current subscriber once, even when that hand-over runs twice; a name
// or job type taken twice is refused.
import { after, afterEach, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { openDb, migrate } from '../metadata/db.js'
import type { Db } from '../metadata/schema.js'
import { MemoryState } from '../cache/shared-state.js'
import { silentLogger } from '../lib/logger.js'
import { JobService } from '../jobs/job-service.js'
import { DIALECTS, createTestDatabase, dialectSkip, type TestDatabase } from '../../test/support/databases.js'
import { waitUntil } from '../../test/support/until.js'
import { EventDispatcher, LEGACY_EVENT_JOB, eventJobType } from './dispatcher.js'
import { eventMeta, type RegistryEvent } from './outbox.js'

const until = (what: string, fn: () => Promise<boolean> | boolean) => waitUntil(what, fn, { timeoutMs: 10_000, everyMs: 25 })

const push = (tag: string): RegistryEvent => ({ type: 'PUSH_ARTIFACT', repository: 'lib/app', digest: `sha256:${'a'.repeat(64)}`, tag, path: [], ...eventMeta('alice') })

for (const dialect of DIALECTS) {
  describe(`event dispatcher on ${dialect}`, await dialectSkip(dialect), () => {
    let database: TestDatabase
    let db: Db
    let jobs: JobService[] = []

    const node = () => {
      const s = new JobService({ db, log: silentLogger(), bus: new MemoryState().bus, concurrency: 2, leaseMs: 1_000, pollMs: 50, backoffMs: 30, maxBackoffMs: 60 })
      jobs.push(s)
      return s
    }

    /** The jobs of a subscriber: their states, oldest first. */
    const jobsOf = async (name: string) =>
      (await db.kysely.selectFrom('jobs').select(['id', 'state', 'attempts', 'payload']).where('type', '=', eventJobType(name)).orderBy('id').execute()).map((r) => ({
        id: Number(r.id),
        state: r.state,
        attempts: Number(r.attempts),
        payload: JSON.parse(r.payload) as RegistryEvent,
      }))

    before(async () => {
      database = await createTestDatabase(dialect)
      db = await openDb(database.url)
      await migrate(db)
    })
    afterEach(async () => {
      for (const s of jobs) await s.close(200)
      jobs = []
      await db.kysely.deleteFrom('job_logs').execute()
      await db.kysely.deleteFrom('jobs').execute()
    })
    after(async () => {
      await db?.close()
      await database?.drop()
    })

    it('gives each interested subscriber its own job, retried on its own: a failing one never re-runs another', async () => {
      const s = node()
      const bus = new EventDispatcher(s)
      const handled: Record<string, RegistryEvent[]> = { replication: [], webhook: [], pulls: [] }
      bus.subscribe({ name: 'replication', types: ['PUSH_ARTIFACT', 'DELETE_TAG'], handle: async (e) => void handled.replication!.push(e) })
      bus.subscribe({
        name: 'webhook',
        types: '*',
        maxAttempts: 3,
        handle: async (e) => {
          handled.webhook!.push(e)
          throw new Error('receiver down')
        },
      })
      bus.subscribe({ name: 'pulls', types: ['PULL_ARTIFACT'], handle: async (e) => void handled.pulls!.push(e) })
      await db.kysely.transaction().execute((trx) => bus.record(trx, push('v1')))
      bus.committed()
      s.start()
      await until('the webhook delivery given up', async () => (await jobsOf('webhook'))[0]?.state === 'error')
      await until('replication done', async () => (await jobsOf('replication'))[0]?.state === 'success')
      assert.equal(handled.webhook!.length, 3, 'the failing subscriber was tried its own three times')
      assert.equal(handled.replication!.length, 1, 'replication ran once, whatever the webhook did')
      assert.equal(handled.replication![0]!.type === 'PUSH_ARTIFACT' ? handled.replication![0]!.tag : null, 'v1')
      assert.equal(handled.replication![0]!.operator, 'alice')
      assert.ok(!Number.isNaN(Date.parse(handled.replication![0]!.occurredAt)))
      assert.deepEqual(await jobsOf('pulls'), [], 'a subscriber to other types gets no job')
      assert.equal((await jobsOf('replication')).length, 1)
      assert.equal((await jobsOf('replication'))[0]!.attempts, 1)
    })

    it('records nothing for a change whose transaction rolled back', async () => {
      const s = node()
      const bus = new EventDispatcher(s)
      bus.subscribe({ name: 'replication', types: '*', handle: async () => {} })
      await assert.rejects(
        db.kysely.transaction().execute(async (trx) => {
          await bus.record(trx, push('v2'))
          throw new Error('the change failed')
        }),
        /the change failed/,
      )
      assert.deepEqual(await jobsOf('replication'), [])
    })

    it('hands an event of the single consumer before the bus (job type EVENT) to every current subscriber, once', async () => {
      const s = node()
      const bus = new EventDispatcher(s)
      const seen: Record<string, RegistryEvent[]> = { replication: [], audit: [], pulls: [] }
      for (const [name, types] of [['replication', ['DELETE_ARTIFACT']], ['audit', '*'], ['pulls', ['PULL_ARTIFACT']]] as const) {
        bus.subscribe({ name, types, handle: async (e) => void seen[name]!.push(e) })
      }
      // As version N wrote it: no operator, no time, no tags.
      const legacy = await s.jobs.enqueue({ type: LEGACY_EVENT_JOB, payload: { type: 'DELETE_ARTIFACT', repository: 'lib/app', digest: `sha256:${'b'.repeat(64)}`, path: [] }, maxAttempts: 10 })
      s.start()
      await until('both subscribers handled it', () => seen.replication!.length === 1 && seen.audit!.length === 1)
      await until('the legacy job done', async () => (await s.jobs.get(legacy))?.state === 'success')
      // A node that died after the hand-over, before recording it: the legacy job runs again.
      await db.kysely.updateTable('jobs').set({ state: 'pending', finished_at: null }).where('id', '=', legacy).execute()
      await s.wake()
      await until('the legacy job done again', async () => (await s.jobs.get(legacy))?.state === 'success')
      await until('no delivery pending', async () => [...(await jobsOf('replication')), ...(await jobsOf('audit'))].every((j) => j.state === 'success'))
      assert.equal((await jobsOf('replication')).length, 1)
      assert.equal((await jobsOf('audit')).length, 1)
      assert.equal(seen.replication!.length, 1)
      assert.equal(seen.audit!.length, 1)
      assert.equal(seen.pulls!.length, 0)
      const e = seen.audit![0]!
      assert.equal(e.type, 'DELETE_ARTIFACT')
      assert.equal(e.operator, '', 'an old event has no operator: the system')
      assert.ok(!Number.isNaN(Date.parse(e.occurredAt)), 'an old event takes its job time')
      assert.deepEqual(e.type === 'DELETE_ARTIFACT' ? e.tags : null, [])
    })

    it('refuses a subscriber name, or a job type, taken twice', () => {
      const s = node()
      const bus = new EventDispatcher(s)
      bus.subscribe({ name: 'replication', types: '*', handle: async () => {} })
      assert.throws(() => bus.subscribe({ name: 'replication', types: ['PUSH_ARTIFACT'], handle: async () => {} }), /already subscribed/)
      assert.throws(() => bus.subscribe({ name: 'Bad Name', types: '*', handle: async () => {} }), /invalid event subscriber name/)
      assert.throws(() => s.register({ type: 'EVENT:replication', maxAttempts: 1, run: async () => {} }), /already registered/)
      assert.throws(() => new EventDispatcher(s), /job type EVENT is already registered/)
      assert.equal(bus.subscribed('PUSH_ARTIFACT'), true)
    })

    it('says whether anyone wants a type', () => {
      const bus = new EventDispatcher(node())
      assert.equal(bus.subscribed('PULL_ARTIFACT'), false)
      bus.subscribe({ name: 'replication', types: ['PUSH_ARTIFACT'], handle: async () => {} })
      assert.equal(bus.subscribed('PULL_ARTIFACT'), false)
      bus.subscribe({ name: 'webhook', types: '*', handle: async () => {} })
      assert.equal(bus.subscribed('PULL_ARTIFACT'), true)
    })
  })
}
