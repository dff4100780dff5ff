// The metadata conformance suite: every store behaves the same on SQLite and PostgreSQL.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Migrator, type Kysely } from 'kysely'
import { openDb, migrate, migrationNames } from '../../src/metadata/db.js'
import * as m001 from '../../src/metadata/migrations/001-registry.js'
import * as m002 from '../../src/metadata/migrations/002-users-secrets.js'
import * as m003 from '../../src/metadata/migrations/003-identity.js'
import * as m004 from '../../src/metadata/migrations/004-catalog.js'
import * as m005 from '../../src/metadata/migrations/005-jobs.js'
import * as m006 from '../../src/metadata/migrations/006-replication.js'
import { inTransaction, storesOver, type Stores } from '../../src/metadata/stores.js'
import type { Db } from '../../src/metadata/schema.js'
import * as m007 from '../../src/metadata/migrations/007-project-metadata.js'
import * as m008 from '../../src/metadata/migrations/008-robot-grants.js'
import * as m009 from '../../src/metadata/migrations/009-upload-owner.js'
import { DIALECTS, createTestDatabase, dialectSkip, type TestDatabase } from '../support/databases.js'

const d = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`

for (const dialect of DIALECTS) {
  describe(`metadata stores on ${dialect}`, await dialectSkip(dialect), () => {
    let database: TestDatabase
    let db: Db
    let s: Stores
    let projectId: number

    before(async () => {
      database = await createTestDatabase(dialect)
      db = await openDb(database.url)
      assert.deepEqual(await migrate(db), migrationNames())
      s = storesOver(db.kysely)
      projectId = (await s.projects.ensure('library', true)).id
    })
    after(async () => {
      await db?.close()
      await database?.drop()
    })

    it('migrations are idempotent', async () => {
      assert.deepEqual(await migrate(db), [])
    })

    it('nodes migrating a fresh database at the same moment apply each migration once', async () => {
      const fresh = await createTestDatabase(dialect)
      const nodes = await Promise.all([0, 1, 2].map(() => openDb(fresh.url)))
      try {
        const applied = await Promise.all(nodes.map((n) => migrate(n)))
        assert.deepEqual(applied.flat().sort(), migrationNames())
      } finally {
        for (const n of nodes) await n.close()
        await fresh.drop()
      }
    })

    it('projects: ensure creates once and keeps the first settings', async () => {
      const again = await s.projects.ensure('library', false)
      assert.equal(again.id, projectId)
      assert.equal(again.public, true)
      assert.equal(await s.projects.get('missing'), null)
    })

    it('repositories: ensure is idempotent and the catalog pages in byte order', async () => {
      const names = ['library/b', 'library/a', 'library/B', 'library/a-b', 'library/a/c']
      const ids = new Set<number>()
      for (const n of names) ids.add((await s.repositories.ensure(projectId, n)).id)
      assert.equal((await s.repositories.ensure(projectId, 'library/a')).id, (await s.repositories.get('library/a'))!.id)
      assert.equal(ids.size, names.length)
      const sorted = [...names].sort()
      assert.deepEqual(await s.repositories.list({ limit: 100 }, { all: true }), sorted)
      assert.deepEqual(await s.repositories.list({ limit: 2, after: sorted[1] }, { all: true }), sorted.slice(2, 4))
    })

    it('blob links: record, link, get, missing, unlink', async () => {
      const repo = await s.repositories.ensure(projectId, 'library/blobs')
      await s.blobLinks.record(d(1), 2 ** 40)
      await s.blobLinks.record(d(1), 2 ** 40)
      assert.equal(await s.blobLinks.link(repo.id, d(1)), true)
      assert.equal(await s.blobLinks.link(repo.id, d(1)), true)
      assert.equal(await s.blobLinks.link(repo.id, d(3)), false, 'a blob with no record is not linked')
      const linked = await s.blobLinks.get('library/blobs', d(1))
      assert.deepEqual({ ...linked, touchedAt: undefined }, { size: 2 ** 40, gcMark: null, touchedAt: undefined })
      assert.ok(Date.parse(linked!.touchedAt) > Date.now() - 60_000, 'a link touches the blob')
      assert.equal(await s.blobLinks.get('library/a', d(1)), null)
      assert.deepEqual(await s.blobLinks.missing(repo.id, [d(1), d(2), d(2)]), [d(2)])
      assert.deepEqual(await s.blobLinks.repositoriesWith(d(1), 10), ['library/blobs'])
      assert.equal(await s.blobLinks.unlink(repo.id, d(1)), true)
      assert.equal(await s.blobLinks.unlink(repo.id, d(1)), false)
      assert.equal(await s.blobLinks.get('library/blobs', d(1)), null)
    })

    it('blob claims: a candidate mark is cleared, a blob being removed is neither claimed nor linked', async () => {
      const repo = await s.repositories.ensure(projectId, 'library/claims')
      await s.blobLinks.record(d(4), 1)
      await s.blobLinks.record(d(5), 1)
      await db.kysely.updateTable('blobs').set({ gc_mark: 'run-1', touched_at: '2000-01-01T00:00:00.000Z' }).where('digest', '=', d(4)).execute()
      await db.kysely.updateTable('blobs').set({ gc_mark: 'deleting' }).where('digest', '=', d(5)).execute()
      assert.deepEqual(await s.blobLinks.claim([d(4), d(5), d(6)]), [d(4)])
      const row = await db.kysely.selectFrom('blobs').select(['gc_mark', 'touched_at']).where('digest', '=', d(4)).executeTakeFirstOrThrow()
      assert.equal(row.gc_mark, null)
      assert.ok(row.touched_at! > '2001')
      assert.equal(await s.blobLinks.link(repo.id, d(5)), false)
      assert.deepEqual(await s.blobLinks.missing(repo.id, [d(5)]), [d(5)])
      assert.deepEqual(await inTransaction(db, (t) => t.blobLinks.lockInUse([d(4), d(5), d(6)])), [d(5)])
      assert.equal(await s.blobLinks.state(d(5)), 'deleting')
      assert.equal(await s.blobLinks.state(d(4)), 'present')
      assert.equal(await s.blobLinks.state(d(6)), 'absent')
    })

    it('missing() handles more digests than one query takes', async () => {
      const repo = await s.repositories.ensure(projectId, 'library/many')
      const digests = Array.from({ length: 1200 }, (_, i) => d(10_000 + i))
      for (const x of digests.slice(0, 700)) await s.blobLinks.record(x, 1)
      await inTransaction(db, async (t) => {
        for (const x of digests.slice(0, 700)) await t.blobLinks.link(repo.id, x)
      })
      assert.deepEqual(await s.blobLinks.missing(repo.id, digests), digests.slice(700))
    })

    it('artifacts: put is idempotent, tags move, delete removes tags and references', async () => {
      const repo = await s.repositories.ensure(projectId, 'library/art')
      const a = {
        digest: d(100),
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        artifactType: 'application/x.test',
        size: 123,
        subjectDigest: null,
        annotations: { k: 'v' },
        blobs: [d(1), d(2), d(1)],
        manifests: [],
      }
      const { id, created } = await s.artifacts.put(repo.id, a)
      assert.equal(created, true)
      assert.deepEqual(await s.artifacts.put(repo.id, a), { id, created: false })
      await s.artifacts.tag(repo.id, id, 'v1')
      await s.artifacts.tag(repo.id, id, 'latest')
      assert.deepEqual(await s.artifacts.getByTag('library/art', 'v1'), { id, digest: d(100), mediaType: a.mediaType, size: 123 })
      assert.equal((await s.artifacts.getByDigest('library/art', d(100)))?.id, id)
      assert.equal(await s.artifacts.referencedBy(repo.id, d(2), 'blob'), d(100))
      assert.equal(await s.artifacts.referencedBy(repo.id, d(2), 'manifest'), null)

      const { id: other } = await s.artifacts.put(repo.id, { ...a, digest: d(101), blobs: [] })
      await s.artifacts.tag(repo.id, other, 'v1')
      assert.equal((await s.artifacts.getByTag('library/art', 'v1'))?.digest, d(101))
      assert.deepEqual(await s.artifacts.listTags(repo.id, { limit: 10 }), ['latest', 'v1'])

      assert.equal(await s.artifacts.untag(repo.id, 'latest'), true)
      assert.equal(await s.artifacts.untag(repo.id, 'latest'), false)
      assert.equal(await s.artifacts.delete(repo.id, d(101)), true)
      assert.equal(await s.artifacts.getByTag('library/art', 'v1'), null)
      assert.equal(await s.artifacts.delete(repo.id, d(101)), false)
      assert.equal(await s.artifacts.delete(repo.id, d(100)), true)
      assert.equal(await s.artifacts.referencedBy(repo.id, d(2), 'blob'), null)
      assert.deepEqual(await s.artifacts.missing(repo.id, [d(100)]), [d(100)])
    })

    it('tags list in byte order with paging', async () => {
      const repo = await s.repositories.ensure(projectId, 'library/tags')
      const { id } = await s.artifacts.put(repo.id, {
        digest: d(200), mediaType: 'm', artifactType: null, size: 1, subjectDigest: null, annotations: null, blobs: [], manifests: [],
      })
      const tags = ['b', 'A', 'a', '_x', '1.0', 'B', 'a-1', 'a.1']
      for (const t of tags) await s.artifacts.tag(repo.id, id, t)
      const sorted = [...tags].sort()
      assert.deepEqual(await s.artifacts.listTags(repo.id, { limit: 100 }), sorted)
      assert.deepEqual(await s.artifacts.listTags(repo.id, { limit: 3, after: sorted[2] }), sorted.slice(3, 6))
    })

    it('referrers by subject, filtered by artifactType, with annotations', async () => {
      const repo = await s.repositories.ensure(projectId, 'library/ref')
      const base = { mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 10, blobs: [], manifests: [] }
      await s.artifacts.put(repo.id, { ...base, digest: d(301), artifactType: 'x/sbom', subjectDigest: d(300), annotations: { a: '1' } })
      await s.artifacts.put(repo.id, { ...base, digest: d(302), artifactType: 'x/sig', subjectDigest: d(300), annotations: null })
      await s.artifacts.put(repo.id, { ...base, digest: d(303), artifactType: 'x/sig', subjectDigest: d(999), annotations: null })
      const all = await s.artifacts.referrers(repo.id, d(300))
      assert.deepEqual(all.map((r) => r.digest), [d(301), d(302)])
      assert.deepEqual(all[0]!.annotations, { a: '1' })
      assert.deepEqual((await s.artifacts.referrers(repo.id, d(300), 'x/sig')).map((r) => r.digest), [d(302)])
      assert.deepEqual(await s.artifacts.referrers(repo.id, d(300), 'x/none'), [])
    })

    it('uploads: create, get, touch, list idle, delete', async () => {
      const id = '0b7e4e4c-1f34-4b8e-9d6a-3f1f2c9b8a10'
      await s.uploads.create(id, 'library/up')
      const row = await s.uploads.get(id)
      assert.equal(row?.repository, 'library/up')
      assert.deepEqual(await s.uploads.listIdle(new Date(Date.now() + 60_000).toISOString(), 10), [id])
      assert.deepEqual(await s.uploads.listIdle(new Date(Date.now() - 60_000).toISOString(), 10), [])
      assert.equal(await s.uploads.delete(id), true)
      assert.equal(await s.uploads.get(id), null)
      await assert.rejects(async () => {
        await s.uploads.create('dup', 'library/up')
        await s.uploads.create('dup', 'library/up')
      })
    })

    it('users: create once, read back', async () => {
      const u = { username: 'alice', email: 'a@example.com', realname: 'Alice', comment: '', passwordHash: 'scrypt$x', sysadmin: false }
      const created = await s.users.createIfAbsent(u)
      assert.notEqual(created, null)
      assert.equal(await s.users.createIfAbsent({ ...u, sysadmin: true }), null)
      const got = await s.users.get('alice')
      assert.deepEqual({ ...got, id: 0, createdAt: '', updatedAt: '' }, { ...u, ldapDn: null, id: 0, createdAt: '', updatedAt: '' })
      assert.equal((await s.users.getById(created!.id))?.username, 'alice')
      assert.equal(await s.users.get('bob'), null)
      assert.equal(await s.users.update(created!.id, { email: 'new@example.com', sysadmin: true }), true)
      assert.deepEqual(await s.users.get('alice').then((x) => [x?.email, x?.sysadmin]), ['new@example.com', true])
      const listed = await s.users.list({ conditions: [{ key: 'username', op: 'fuzzy', value: 'lic' }], sort: [{ key: 'username', desc: true }], page: 1, pageSize: 10 })
      assert.deepEqual([listed.total, listed.items.map((x) => x.username)], [1, ['alice']])
      // LIKE wildcards in a fuzzy value are literal.
      const none = await s.users.list({ conditions: [{ key: 'username', op: 'fuzzy', value: '%' }], sort: [], page: 1, pageSize: 10 })
      assert.equal(none.total, 0)
      assert.equal(await s.users.delete(created!.id), true)
      assert.equal(await s.users.get('alice'), null)
    })

    it('projects: create once, list by scope, delete only when empty', async () => {
      const owner = (await s.users.createIfAbsent({ username: 'owner', email: null, realname: '', comment: '', passwordHash: 'x', sysadmin: false }))!
      const priv = (await s.projects.create('priv', false, owner.id))!
      assert.equal(await s.projects.create('priv', true, null), null)
      assert.deepEqual(await s.projects.getById(priv.id), { id: priv.id, name: 'priv', public: false })
      const q = { conditions: [], sort: [], page: 1, pageSize: 50 }
      const anon = await s.projects.list(q, { all: false })
      assert.ok(anon.items.every((p) => p.public))
      assert.ok(!anon.items.some((p) => p.name === 'priv'))
      await s.members.add(priv.id, 'u', owner.id, 1)
      const mine = await s.projects.list(q, { all: false, userId: owner.id })
      assert.ok(mine.items.some((p) => p.name === 'priv' && p.ownerName === 'owner'))
      await s.repositories.ensure(priv.id, 'priv/app')
      assert.equal((await s.projects.detail([priv.id]))[0]!.repoCount, 1)
      assert.equal(await s.projects.deleteIfEmpty(priv.id), false)
      const empty = (await s.projects.create('empty', false, null))!
      await s.projects.setPublic(empty.id, true)
      assert.equal((await s.projects.get('empty'))!.public, true)
      assert.equal(await s.projects.deleteIfEmpty(empty.id), true)
      assert.equal(await s.projects.get('empty'), null)
    })

    it('projects: a listed page counts the repositories of each of its projects', async () => {
      const many = (await s.projects.create('count-many', false, null))!
      const one = (await s.projects.create('count-one', false, null))!
      await s.projects.create('count-none', false, null)
      for (const n of ['a', 'b', 'c']) await s.repositories.ensure(many.id, `count-many/${n}`)
      await s.repositories.ensure(one.id, 'count-one/a')
      const page = await s.projects.list({ conditions: [{ key: 'name', op: 'fuzzy', value: 'count-' }], sort: [], page: 1, pageSize: 10 }, { all: true })
      assert.deepEqual(page.items.map((p) => [p.name, p.repoCount]), [['count-many', 3], ['count-none', 0], ['count-one', 1]])
    })

    it('project metadata and CVE allowlists: set, merged, removed, and gone with the project', async () => {
      const p = (await s.projects.create('meta', false, null))!
      await s.projects.setMetadata(p.id, { auto_scan: 'true', severity: 'high' })
      await s.projects.setMetadata(p.id, { severity: 'low', auto_scan: null, prevent_vul: 'true' })
      await s.projects.setCveAllowlist(p.id, { expiresAt: 4_102_444_800, items: ['CVE-2024-1', 'CVE-2024-2'] })
      await s.projects.setCveAllowlist(p.id, { expiresAt: null, items: ['CVE-2024-3'] })
      const [d] = await s.projects.detail([p.id])
      assert.deepEqual(d!.metadata, { prevent_vul: 'true', severity: 'low' })
      assert.deepEqual([d!.cveAllowlist!.expiresAt, d!.cveAllowlist!.items], [null, ['CVE-2024-3']])
      const listed = (await s.projects.list({ conditions: [{ key: 'name', op: 'eq', value: 'meta' }], sort: [], page: 1, pageSize: 10 }, { all: true })).items[0]!
      assert.deepEqual(listed.metadata, d!.metadata)
      assert.equal(await s.projects.deleteIfEmpty(p.id), true)
      const rows = await db.kysely.selectFrom('project_metadata').select('name').where('project_id', '=', p.id).execute()
      assert.deepEqual(rows, [])
    })

    it('ensure gives an ownerless project its owner; migration 007 gives ownerless projects the first administrator', async () => {
      const admin = (await s.users.createIfAbsent({ username: 'first-admin', email: null, realname: '', comment: '', passwordHash: 'x', sysadmin: true }))!
      await s.projects.create('ownerless', true, null)
      const p = await s.projects.ensure('ownerless', true, admin.id)
      assert.equal((await s.projects.detail([p.id]))[0]!.ownerId, admin.id)
      assert.equal(await s.users.firstAdminId(), admin.id)

      // A database of the version before 007, with a project nobody owns.
      const fresh = await createTestDatabase(dialect)
      const old = await openDb(fresh.url)
      try {
        const upTo006 = { '001': m001, '002': m002, '003': m003, '004': m004, '005': m005, '006': m006 }
        const names = migrationNames()
        const provider = { getMigrations: async () => Object.fromEntries(Object.values(upTo006).map((m, i) => [names[i]!, { up: (k: Kysely<any>) => m.up(k, dialect) }])) }
        const { error } = await new Migrator({ db: old.kysely, provider }).migrateToLatest()
        assert.equal(error, undefined)
        const o = storesOver(old.kysely)
        // Written as the version of then did (today's store also writes the quota of migration 011).
        const now = new Date().toISOString()
        await old.kysely.insertInto('projects').values({ name: 'library', public: 1, owner_id: null, created_at: now, updated_at: now }).execute()
        const first = (await o.users.createIfAbsent({ username: 'admin', email: null, realname: '', comment: '', passwordHash: 'x', sysadmin: true }))!
        assert.deepEqual(await migrate(old), migrationNames().filter((n) => n >= '007'))
        const [lib] = await o.projects.detail([(await o.projects.get('library'))!.id])
        assert.equal(lib!.ownerId, first.id)
      } finally {
        await old.close()
        await fresh.drop()
      }
    })

    it('migration 011 counts what is stored: each digest once per project, artifact totals with blobs and children', async () => {
      const fresh = await createTestDatabase(dialect)
      const old = await openDb(fresh.url)
      try {
        const upTo009 = [m001, m002, m003, m004, m005, m006, m007, m008, m009]
        const names = migrationNames()
        const provider = { getMigrations: async () => Object.fromEntries(upTo009.map((m, i) => [names[i]!, { up: (k: Kysely<any>) => m.up(k, dialect) }])) }
        assert.equal((await new Migrator({ db: old.kysely, provider }).migrateToLatest()).error, undefined)
        // As the version of then wrote them: two repositories of one project share blob 1; an index over both images in r1.
        const k = old.kysely as Kysely<any>
        const now = new Date().toISOString()
        const p = (await k.insertInto('projects').values({ name: 'p', public: 0, owner_id: null, created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow()).id
        const empty = (await k.insertInto('projects').values({ name: 'e', public: 0, owner_id: null, created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow()).id
        const repo = async (name: string) => (await k.insertInto('repositories').values({ project_id: p, name, created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow()).id
        const r1 = await repo('p/one')
        const r2 = await repo('p/two')
        for (const [n, size] of [[1, 1000], [2, 200], [3, 30], [10, 11], [11, 12], [12, 13]] as const) await k.insertInto('blobs').values({ digest: d(n), size, created_at: now }).execute()
        const art = async (repoId: number, n: number, size: number, refs: [number, 'blob' | 'manifest'][]) => {
          const id = (await k.insertInto('artifacts').values({ repository_id: repoId, digest: d(n), media_type: 'm', artifact_type: null, size, subject_digest: null, annotations: null, created_at: now }).returning('id').executeTakeFirstOrThrow()).id
          for (const [x, kind] of refs) await k.insertInto('artifact_references').values({ artifact_id: id, digest: d(x), kind }).execute()
        }
        await art(r1, 10, 11, [[1, 'blob'], [2, 'blob']])
        await art(r2, 11, 12, [[1, 'blob'], [3, 'blob']])
        await art(r1, 11, 12, [[1, 'blob'], [3, 'blob']])
        await art(r1, 12, 13, [[10, 'manifest'], [11, 'manifest']])
        assert.deepEqual(await migrate(old), migrationNames().filter((n) => n >= '010'))
        const o = storesOver(old.kysely)
        // 1000 + 200 + 30 once, and the three manifests (11 + 12 + 13) once.
        assert.equal((await o.quotas.get(p))?.used, 1000 + 200 + 30 + 11 + 12 + 13)
        assert.equal((await o.quotas.get(p))?.hard, -1)
        assert.equal((await o.quotas.get(empty))?.used, 0)
        const refs = await k.selectFrom('project_blobs').select(['digest', 'refs']).where('project_id', '=', p).where('digest', 'in', [d(1), d(11)]).orderBy('digest').execute()
        assert.deepEqual(refs.map((r) => Number(r.refs)), [3, 2])
        const totals = new Map((await o.catalog.listArtifacts(r1, { conditions: [], sort: [], page: 1, pageSize: 10 })).items.map((a) => [a.digest, a.size]))
        assert.equal(totals.get(d(12)), 13 + (11 + 1000 + 200) + (12 + 1000 + 30))
        // Deleting what migration 011 counted gives back exactly that.
        await inTransaction(old, async (t) => {
          await t.catalog.deleteRepository(r1)
          await t.catalog.deleteRepository(r2)
        })
        assert.equal((await o.quotas.get(p))?.used, 0)
      } finally {
        await old.close()
        await fresh.drop()
      }
    })

    it('members and groups: scoped by project, roles through groups', async () => {
      const u = (await s.users.createIfAbsent({ username: 'member', email: null, realname: '', comment: '', passwordHash: 'x', sysadmin: false }))!
      const a = (await s.projects.create('ma', false, null))!
      const b = (await s.projects.create('mb', false, null))!
      const id = (await s.members.add(a.id, 'u', u.id, 2))!
      assert.equal(await s.members.add(a.id, 'u', u.id, 3), null)
      assert.equal((await s.members.get(a.id, id))!.entityName, 'member')
      assert.equal(await s.members.get(b.id, id), null)
      assert.equal(await s.members.setRole(b.id, id, 1), false)
      assert.equal(await s.members.delete(b.id, id), false)
      const g = await s.groups.ensure('cn=devs,dc=x', 'devs')
      assert.deepEqual(await s.groups.ensure('cn=devs,dc=x', 'other'), g)
      assert.deepEqual(await s.groups.idsOf(['cn=devs,dc=x', 'cn=none']), [g.id])
      await s.members.add(a.id, 'g', g.id, 4)
      assert.deepEqual((await s.members.rolesOf(a.id, u.id, [g.id])).sort(), [2, 4])
      assert.deepEqual(await s.members.rolesOf(a.id, u.id, []), [2])
      const listed = await s.members.list(a.id, { conditions: [{ key: 'entityname', op: 'fuzzy', value: 'dev' }], sort: [], page: 1, pageSize: 10 })
      assert.deepEqual(listed.items.map((m) => [m.entityType, m.entityName]), [['g', 'devs']])
      assert.equal(await s.members.setRole(a.id, id, 5), true)
      assert.equal(await s.members.delete(a.id, id), true)
    })

    it('robots: unique names, JSON permissions, filters', async () => {
      const perms = [{ kind: 'project' as const, namespace: 'library', projectId, access: [{ resource: 'repository', action: 'pull' }] }]
      const base = { description: '', level: 'project' as const, projectId, secretHash: 'ab', permissions: perms, disabled: false, duration: -1, expiresAt: null }
      const r = (await s.robots.create({ ...base, name: 'robot$library+a' }))!
      assert.equal(await s.robots.create({ ...base, name: 'robot$library+a' }), null)
      assert.deepEqual((await s.robots.getByName('robot$library+a'))!.permissions, perms)
      assert.equal(await s.robots.update(r.id, { disabled: true, secretHash: 'cd' }), true)
      const got = (await s.robots.get(r.id))!
      assert.deepEqual([got.disabled, got.secretHash], [true, 'cd'])
      const q = { conditions: [{ key: 'level', op: 'eq' as const, value: 'project' }], sort: [], page: 1, pageSize: 10 }
      assert.equal((await s.robots.list(q, [projectId])).total, 1)
      assert.equal((await s.robots.list(q, [])).total, 0)
      assert.equal(await s.robots.delete(r.id), true)
      assert.equal(await s.robots.get(r.id), null)
    })

    it('robots: grants that name their project only bind to its id when read, and migration 008 stores the binding', async () => {
      // Times are set by hand: a robot "written" in 2000 or in 2100, projects created and deleted now.
      const kept1 = (await s.projects.ensure('bind-kept', false)).id
      assert.equal(await s.projects.deleteIfEmpty(kept1), true)
      const kept = (await s.projects.ensure('bind-kept', false)).id
      const gone = (await s.projects.ensure('bind-gone', false)).id
      assert.equal(await s.projects.deleteIfEmpty(gone), true)
      const again1 = (await s.projects.ensure('bind-again', false)).id
      assert.equal(await s.projects.deleteIfEmpty(again1), true)
      const again = (await s.projects.ensure('bind-again', false)).id
      const grant = (namespace: string) => ({ kind: 'project', namespace, access: [{ resource: 'repository', action: 'pull' }] })
      const insert = (name: string, namespaces: string[], createdAt: string, updatedAt: string) =>
        db.kysely
          .insertInto('robots')
          .values({ name, level: 'system', project_id: null, secret_hash: 'x', permissions: JSON.stringify(namespaces.map(grant)), duration: -1, expires_at: null, created_at: createdAt, updated_at: updatedAt })
          .returning('id')
          .executeTakeFirstOrThrow()
      const late = '2100-01-01T00:00:00.000Z'
      const early = '2000-01-01T00:00:00.000Z'
      // Written after every project above: bind-kept (deleted before the robot existed) binds to
      // the live one; bind-gone to nothing; '*' to nothing.
      const a = await insert('robot$bind-a', ['bind-kept', 'bind-gone', '*'], late, late)
      // Created before and written after: a bind-again was deleted meanwhile, so its grant may
      // have been meant for that one: nothing.
      const b = await insert('robot$bind-b', ['bind-again', 'bind-kept'], early, late)
      // Written before the live projects were created: the grants were for earlier ones.
      const c = await insert('robot$bind-c', ['bind-kept'], early, early)
      const ids = async (id: number) => (await s.robots.get(id))!.permissions.map((p) => p.projectId)
      assert.deepEqual(await ids(a.id), [kept, null, null])
      assert.deepEqual(await ids(b.id), [null, null])
      assert.deepEqual(await ids(c.id), [null])
      assert.deepEqual((await s.robots.getByName('robot$bind-b'))!.permissions.map((p) => p.projectId), [null, null])
      assert.notEqual(again, again1)

      await m008.up(db.kysely as never, dialect)
      const stored = async (id: number) =>
        (JSON.parse((await db.kysely.selectFrom('robots').select('permissions').where('id', '=', id).executeTakeFirstOrThrow()).permissions) as { namespace: string; projectId?: number | null }[]).map((p) => [p.namespace, p.projectId])
      assert.deepEqual(await stored(a.id), [['bind-kept', kept], ['bind-gone', null], ['*', null]])
      assert.deepEqual(await stored(b.id), [['bind-again', null], ['bind-kept', null]])
      assert.deepEqual(await stored(c.id), [['bind-kept', null]])
      for (const r of [a, b, c]) await s.robots.delete(r.id)
    })

    it('sessions: expire, extend, purge', async () => {
      const u = (await s.users.createIfAbsent({ username: 'sess', email: null, realname: '', comment: '', passwordHash: 'x', sysadmin: false }))!
      const now = new Date('2030-01-01T00:00:00Z')
      await s.sessions.create('h1', { userId: u.id, groups: ['cn=g'], expiresAt: '2030-01-01T01:00:00.000Z', createdAt: '2030-01-01T00:00:00.000Z' })
      assert.deepEqual(await s.sessions.get('h1', now), { userId: u.id, groups: ['cn=g'], expiresAt: '2030-01-01T01:00:00.000Z', createdAt: '2030-01-01T00:00:00.000Z' })
      assert.equal(await s.sessions.get('h1', new Date('2030-01-01T02:00:00Z')), null)
      await s.sessions.extend('h1', '2030-01-01T03:00:00.000Z')
      assert.notEqual(await s.sessions.get('h1', new Date('2030-01-01T02:00:00Z')), null)
      assert.equal(await s.sessions.purgeExpired(new Date('2030-01-01T04:00:00Z')), 1)
      assert.equal(await s.sessions.get('h1', now), null)
    })

    it('sessions: an absolute limit by creation time; ending all of a user\'s sessions but one', async () => {
      const u = (await s.users.createIfAbsent({ username: 'sess2', email: null, realname: '', comment: '', passwordHash: 'x', sysadmin: false }))!
      const other = (await s.users.createIfAbsent({ username: 'sess3', email: null, realname: '', comment: '', passwordHash: 'x', sysadmin: false }))!
      const session = (userId: number) => ({ userId, groups: [], expiresAt: '2030-01-02T00:00:00.000Z', createdAt: '2030-01-01T00:00:00.000Z' })
      for (const h of ['k1', 'k2', 'k3']) await s.sessions.create(h, session(u.id))
      await s.sessions.create('k4', session(other.id))
      const now = new Date('2030-01-01T12:00:00Z')
      assert.notEqual(await s.sessions.get('k1', now, new Date('2029-12-31T23:00:00Z')), null)
      assert.equal(await s.sessions.get('k1', now, new Date('2030-01-01T00:00:00Z')), null, 'created at the limit')
      assert.equal(await s.sessions.deleteOfUser(u.id, 'k2'), 2)
      assert.deepEqual(await Promise.all(['k1', 'k2', 'k3', 'k4'].map(async (h) => (await s.sessions.get(h, now)) !== null)), [false, true, false, true])
      assert.equal(await s.sessions.deleteOfUser(u.id), 1)
      assert.equal(await s.sessions.get('k2', now), null)
      assert.notEqual(await s.sessions.get('k4', now), null)
    })

    it('audit: newest first, filters and paging', async () => {
      const e = (i: number, operation: string) => ({ projectId, username: `u${i}`, operation, resourceType: 'artifact', resource: `library/a:${i}`, result: 'success' as const, clientIp: '::1', opTime: `2030-01-0${i}T00:00:00.000Z` })
      await s.audit.insert([e(1, 'pull'), e(2, 'create'), e(3, 'pull')])
      const all = await s.audit.list({ conditions: [], sort: [], page: 1, pageSize: 2 })
      assert.deepEqual([all.total, all.items.map((x) => x.username)], [3, ['u3', 'u2']])
      const pulls = await s.audit.list({ conditions: [{ key: 'operation', op: 'eq', value: 'pull' }, { key: 'op_time', op: 'range', from: '2030-01-02' }], sort: [], page: 1, pageSize: 10 })
      assert.deepEqual(pulls.items.map((x) => x.username), ['u3'])
      assert.equal((await s.audit.list({ conditions: [], sort: [], page: 1, pageSize: 10 }, [-5])).total, 0)
    })

    it('secrets: the first value stored under a name wins', async () => {
      assert.equal(await s.secrets.get('k'), null)
      const results = await Promise.all([s.secrets.putIfAbsent('k', 'one'), s.secrets.putIfAbsent('k', 'two')])
      assert.equal(results[0], results[1])
      assert.equal(await s.secrets.putIfAbsent('k', 'three'), results[0])
    })

    it('a failed transaction leaves nothing behind', async () => {
      await assert.rejects(
        inTransaction(db, async (t) => {
          await t.repositories.ensure(projectId, 'library/rolled-back')
          throw new Error('boom')
        }),
        /boom/,
      )
      assert.equal(await s.repositories.get('library/rolled-back'), null)
    })
  })
}
