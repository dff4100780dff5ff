// Periodic jobs: the purges of abandoned uploads and expired sessions run as scheduled jobs,
// each slot once across two nodes sharing one database (both dialects; PostgreSQL is the HA
// case), and a Berth schedules them at start-up and purges through them.
import { after, afterEach, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { openDb, migrate } from '../../src/metadata/db.js'
import type { Db } from '../../src/metadata/schema.js'
import { storesOver } from '../../src/metadata/stores.js'
import { MemoryState } from '../../src/cache/shared-state.js'
import { silentLogger } from '../../src/lib/logger.js'
import { JobService } from '../../src/jobs/job-service.js'
import { UPLOAD_PURGE_JOB, uploadPurgeJob } from '../../src/services/registry/blob-service.js'
import { SESSION_PURGE_JOB, sessionPurgeJob } from '../../src/services/identity/session-purge.js'
import { DIALECTS, createTestDatabase, dialectSkip, type TestDatabase } from '../support/databases.js'
import { createTestBerth, ADMIN_AUTH } from '../support/berth-app.js'
import { waitUntil } from '../support/until.js'

const until = (what: string, fn: () => Promise<boolean> | boolean, ms = 15_000) => waitUntil(what, fn, { timeoutMs: ms, everyMs: 50 })

for (const dialect of DIALECTS) {
  describe(`periodic jobs on ${dialect}`, await dialectSkip(dialect), () => {
    let database: TestDatabase
    const dbs: Db[] = []
    let nodes: JobService[] = []

    before(async () => {
      database = await createTestDatabase(dialect)
      const first = await openDb(database.url)
      await migrate(first)
      dbs.push(first)
    })
    afterEach(async () => {
      for (const n of nodes) await n.close(200)
      nodes = []
    })
    after(async () => {
      for (const db of dbs) await db.close()
      await database?.drop()
    })

    it('runs each purge once per slot with two nodes on one database', async () => {
      const runs = { uploads: [] as number[], sessions: [] as number[] }
      const bus = new MemoryState().bus
      const started = Date.now()
      for (let i = 0; i < 2; i++) {
        // Each node with its own connections, as two processes would have.
        const db = i === 0 ? dbs[0]! : await openDb(database.url)
        if (i > 0) dbs.push(db)
        const node = new JobService({ db, log: silentLogger(), bus, concurrency: 2, leaseMs: 2_000, pollMs: 50, tickMs: 50 })
        const stores = storesOver(db.kysely)
        node.periodic(uploadPurgeJob({ purgeIdleUploads: async () => (runs.uploads.push(i), 0) }, 3600_000, '* * * * * *'))
        node.periodic(sessionPurgeJob({ sessions: { purgeExpired: async () => (runs.sessions.push(i), stores.sessions.purgeExpired()) } }, '* * * * * *'))
        await node.schedulePeriodic()
        nodes.push(node)
      }
      for (const n of nodes) n.start()
      await until('three slots of each purge', () => runs.uploads.length >= 3 && runs.sessions.length >= 3)
      for (const n of nodes) await n.close(1_000)
      const slots = Math.ceil((Date.now() - started) / 1000) + 1
      const jobs = await dbs[0]!.kysely.selectFrom('jobs').select(['type', 'state', 'dedupe_key']).where('type', 'in', [UPLOAD_PURGE_JOB, SESSION_PURGE_JOB]).execute()
      for (const [type, ran] of [[UPLOAD_PURGE_JOB, runs.uploads], [SESSION_PURGE_JOB, runs.sessions]] as const) {
        const ofType = jobs.filter((j) => j.type === type)
        const keys = new Set(ofType.map((j) => j.dedupe_key))
        assert.equal(keys.size, ofType.length, 'one job per slot')
        assert.ok(ofType.every((j) => j.dedupe_key?.startsWith('schedule:')), 'enqueued by the schedule')
        const done = ofType.filter((j) => j.state === 'success').length
        assert.equal(ran.length, done, `${type}: every finished job ran once, on one node (${ran.join(',')})`)
        assert.ok(ofType.length <= slots, `${type}: ${ofType.length} jobs in at most ${slots} slots`)
      }
    })

    it('refuses a periodic job registered twice', () => {
      const node = new JobService({ db: dbs[0]!, log: silentLogger(), bus: new MemoryState().bus, concurrency: 1, leaseMs: 1_000 })
      node.periodic(sessionPurgeJob({ sessions: { purgeExpired: async () => 0 } }, '0 0 * * * *'))
      assert.throws(() => node.periodic(sessionPurgeJob({ sessions: { purgeExpired: async () => 0 } }, '0 0 * * * *')), /already registered/)
    })
  })

  describe(`a Berth's housekeeping on ${dialect}`, await dialectSkip(dialect), () => {
    it('schedules the purges at start-up and purges an abandoned upload through its job', async () => {
      // Uploads idle for more than 0.36 s are abandoned.
      const berth = await createTestBerth(dialect, { registry: { upload_ttl_hours: 0.0001 } })
      try {
        for (const type of [UPLOAD_PURGE_JOB, SESSION_PURGE_JOB]) {
          const s = await berth.jobs.schedules.get(type, 0)
          assert.ok(s !== null, `${type} scheduled`)
          assert.equal(s.cron, berth.config.jobs.housekeeping_cron)
        }
        const res = await berth.app.inject({ method: 'POST', url: '/v2/library/idle/blobs/uploads/', headers: { authorization: ADMIN_AUTH, 'content-length': '0' } })
        assert.equal(res.statusCode, 202)
        const location = String(res.headers.location)
        const status = () => berth.app.inject({ method: 'GET', url: location, headers: { authorization: ADMIN_AUTH } })
        assert.equal((await status()).statusCode, 204)
        await until('the session idle', async () => (await berth.db.kysely.selectFrom('uploads').select('updated_at').executeTakeFirstOrThrow()).updated_at < new Date(Date.now() - 400).toISOString())
        // The slot comes on the hour; run it now, as its schedule would.
        const id = await berth.jobs.enqueue({ type: UPLOAD_PURGE_JOB, payload: null })
        await until('the purge done', async () => (await berth.jobs.jobs.get(id))?.state === 'success')
        assert.equal((await status()).statusCode, 404)
        assert.match(await berth.jobs.logs.read(id), /purged 1 upload session/)
      } finally {
        await berth.destroy()
      }
    })
  })
}
