// What replication sends out, through the API on both databases, against listeners on loopback:
// registries at any spelling of a denied address are neither stored nor reached, a stored
// secret goes only to the URL it was stored with, and a hostile registry's endless listings
// fail the pull planner at their bounds and end when the execution is stopped.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ADMIN_AUTH, createTestBerth, type TestBerth } from '../support/berth-app.js'
import { DIALECTS, dialectSkip } from '../support/databases.js'
import { waitUntil } from '../support/until.js'
import { assertError, assertStatus } from '../../src/http/api/api-test-support.js'

const API = '/api/v2.0'
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
const basic = (user: string, secret: string) => `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`

/** An HTTP server on 127.0.0.1 (and, when `v6`, on ::1 at the same port) that records what it is sent. */
interface Listener {
  url: string
  port: number
  requests: IncomingMessage[]
  connections: () => number
  close(): Promise<void>
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void, v6 = false): Promise<Listener> {
  const requests: IncomingMessage[] = []
  let connections = 0
  const servers: Server[] = []
  const make = () => {
    const s = createServer((req, res) => {
      requests.push(req)
      handler(req, res)
    }).on('connection', () => connections++)
    servers.push(s)
    return s
  }
  const v4 = make()
  await new Promise<void>((r) => v4.listen(0, '127.0.0.1', r))
  const port = (v4.address() as AddressInfo).port
  if (v6) await new Promise<void>((r, reject) => make().once('error', reject).listen(port, '::1', r))
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    connections: () => connections,
    close: async () => {
      for (const s of servers) s.closeAllConnections()
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))))
    },
  }
}

/** A registry that asks for Basic credentials and accepts any. */
const basicRegistry = () =>
  listen((req, res) => {
    if (req.headers.authorization === undefined) return void res.writeHead(401, { 'www-authenticate': 'Basic realm="r"', 'content-type': 'application/json' }).end('{"errors":[]}')
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
  })

for (const dialect of DIALECTS) {
  describe(`outbound requests of replication (${dialect})`, await dialectSkip(dialect), () => {
    /** Reaches loopback; small listing bounds. */
    let open: TestBerth
    /** Denies loopback. */
    let closed: TestBerth

    const api = (b: TestBerth, method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, payload?: unknown) =>
      b.app.inject({ method, url: `${API}${path}`, headers: { authorization: ADMIN_AUTH }, ...(payload === undefined ? {} : { payload: payload as object }) })
    const idFrom = (res: { headers: Record<string, unknown> }) => Number(/\/(\d+)$/.exec(String(res.headers.location))![1])

    before(async () => {
      open = await createTestBerth(dialect, {
        jobs: { workers: 2, lease_seconds: 5 },
        replication: { reconcile_seconds: 0, task_attempts: 1, remote_max_items: 2_000, remote_max_pages: 300, remote_max_list_bytes: 1 << 20 },
      })
      closed = await createTestBerth(dialect, { jobs: { workers: 0 }, replication: { reconcile_seconds: 0, outbound_deny: '127.0.0.0/8,::1/128' } })
    })
    after(async () => {
      await open?.destroy()
      await closed?.destroy()
    })

    it('a registry at any spelling of a denied address is neither created nor pinged, and nothing reaches it', async () => {
      const l = await listen((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'), true)
      try {
        const spellings = ['0.0.0.0', '0', '[::]', '[::ffff:0.0.0.0]', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '[::127.0.0.1]', '2130706433', '0x7f.1', '0177.0.0.1', '127.1', '127.0.0.1', '[::1]', 'localhost']
        for (const [i, host] of spellings.entries()) {
          const url = `http://${host}:${l.port}`
          assertError(await api(closed, 'POST', '/registries', { name: `r${i}`, type: 'docker-registry', url }), 400, 'BAD_REQUEST', `create ${url}`)
          assertError(await api(closed, 'POST', '/registries/ping', { type: 'docker-registry', url }), 400, 'BAD_REQUEST', `ping ${url}`)
        }
        assert.equal((await api(closed, 'GET', '/registries')).json().length, 0, 'none was stored')
        assert.equal(l.connections() + l.requests.length, 0, 'nothing reached the listener')
        // Where loopback is allowed the same listener is reached, by any of its spellings.
        const created = await api(open, 'POST', '/registries', { name: 'zero', type: 'docker-registry', url: `http://0.0.0.0:${l.port}` })
        assertStatus(created, 201)
        assertStatus(await api(open, 'POST', '/registries/ping', { id: idFrom(created) }), 200)
        assertStatus(await api(open, 'POST', '/registries/ping', { type: 'docker-registry', url: l.url }), 200)
        assert.equal(l.requests.length, 2, 'both pings reached the listener')
        assertStatus(await api(open, 'DELETE', `/registries/${idFrom(created)}`), 200)
      } finally {
        await l.close()
      }
    })

    it('a stored secret is sent only to the URL it was stored with', async () => {
      const home = await basicRegistry()
      const other = await basicRegistry()
      const sent = (l: Listener) => l.requests.map((r) => r.headers.authorization).filter((h) => h !== undefined)
      try {
        const created = await api(open, 'POST', '/registries', { name: 'home', type: 'docker-registry', url: home.url, credential: { type: 'basic', access_key: 'u', access_secret: 'Stored-S3cret' } })
        assertStatus(created, 201)
        const id = idFrom(created)
        // The legitimate tests: the stored registry, or its form sent back with the secret as *****.
        assertStatus(await api(open, 'POST', '/registries/ping', { id }), 200)
        assertStatus(await api(open, 'POST', '/registries/ping', { id, type: 'docker-registry', url: `${home.url}/`, access_key: 'u', access_secret: '*****', insecure: false }), 200)
        assert.deepEqual(sent(home), [basic('u', 'Stored-S3cret'), basic('u', 'Stored-S3cret')])

        // Another URL, or the same without TLS verification, with the stored secret: refused, nothing sent.
        for (const body of [{ id, url: other.url }, { id, url: other.url, access_secret: '*****' }, { id, url: other.url, access_key: 'u' }, { id, insecure: true }]) {
          const res = await api(open, 'POST', '/registries/ping', body)
          assertError(res, 400, 'BAD_REQUEST', JSON.stringify(body))
          assert.match(res.json().errors[0].message, /stored secret of registry home is only sent to .*: give access_secret again/)
        }
        assert.equal(other.requests.length, 0, 'the other URL heard nothing')
        // With a secret given in the body, the other URL is tested with that one only.
        assertStatus(await api(open, 'POST', '/registries/ping', { id, url: other.url, access_key: 'v', access_secret: 'Given-Secret' }), 200)
        assert.deepEqual(sent(other), [basic('v', 'Given-Secret')])

        // PUT: a new URL keeps no stored secret; it must be given again.
        for (const body of [{ url: other.url }, { url: other.url, access_secret: '*****' }, { insecure: true, access_secret: '*****' }]) {
          const res = await api(open, 'PUT', `/registries/${id}`, body)
          assertError(res, 400, 'BAD_REQUEST', `PUT ${JSON.stringify(body)}`)
          assert.match(res.json().errors[0].message, /give access_secret again/)
        }
        assert.equal((await api(open, 'GET', `/registries/${id}`)).json().url, home.url, 'the refused update changed nothing')
        assertStatus(await api(open, 'PUT', `/registries/${id}`, { description: 'kept', access_secret: '*****' }), 200)
        assertStatus(await api(open, 'PUT', `/registries/${id}`, { url: other.url, access_secret: 'New-S3cret' }), 200)
        assertStatus(await api(open, 'PUT', `/registries/${id}`, { url: `${other.url}/`, access_secret: '*****', description: 'same url' }), 200)
        assertStatus(await api(open, 'POST', '/registries/ping', { id }), 200)
        assert.deepEqual(sent(other), [basic('v', 'Given-Secret'), basic('u', 'New-S3cret')])
        assert.ok(!sent(other).includes(basic('u', 'Stored-S3cret')), 'the first secret never reached the other URL')
        assertStatus(await api(open, 'DELETE', `/registries/${id}`), 200)
      } finally {
        await Promise.all([home.close(), other.close()])
      }
    })

    describe('a hostile registry whose listings never end', () => {
      let hostile: Listener
      /** Delay of each page (ms), and the tags on each. */
      let pageDelay = 0
      let perPage = 100
      let registry = 0

      before(async () => {
        hostile = await listen((req, res) => {
          const url = new URL(req.url!, 'http://x')
          if (url.pathname === '/v2/') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
          const i = Number(url.searchParams.get('last') ?? 0)
          const catalog = url.pathname === '/v2/_catalog'
          const body = catalog ? { repositories: Array.from({ length: perPage }, (_, k) => `hostile/r${i}-${k}`) } : { name: 'hostile/app', tags: Array.from({ length: perPage }, (_, k) => `t${i}-${k}`) }
          setTimeout(() => res.writeHead(200, { 'content-type': 'application/json', link: `<${url.pathname}?n=100&last=${i + 1}>; rel="next"` }).end(JSON.stringify(body)), pageDelay)
        })
        const res = await api(open, 'POST', '/registries', { name: 'hostile', type: 'docker-registry', url: hostile.url })
        assertStatus(res, 201)
        registry = idFrom(res)
      })
      after(() => hostile?.close())

      const pullPolicy = async (name: string, filter: string) => {
        const res = await api(open, 'POST', '/replication/policies', { name, src_registry: { id: registry }, dest_registry: null, trigger: { type: 'manual' }, filters: [{ type: 'name', value: filter }], enabled: true })
        assertStatus(res, 201)
        return idFrom(res)
      }
      const execute = async (policy: number) => {
        const res = await api(open, 'POST', '/replication/executions', { policy_id: policy })
        assertStatus(res, 201)
        return idFrom(res)
      }
      const ended = async (execution: number) => {
        await waitUntil(`execution ${execution} ends`, async () => (await api(open, 'GET', `/replication/executions/${execution}`)).json().status !== 'InProgress', { timeoutMs: 30_000, everyMs: 50 })
        return (await api(open, 'GET', `/replication/executions/${execution}`)).json() as { status: string; status_text: string }
      }
      const pages = () => hostile.requests.filter((r) => r.url !== '/v2/').length

      it('fails the execution at the item bound of a tag list and of the catalog, naming the setting', async () => {
        pageDelay = 0
        perPage = 100
        const before = pages()
        const heap = process.memoryUsage().heapUsed
        const tags = await ended(await execute(await pullPolicy('endless-tags', 'hostile/app')))
        assert.equal(tags.status, 'Failed')
        assert.match(tags.status_text, /^the tags of hostile\/app at http:\/\/127\.0\.0\.1:\d+ has more than 2000 items \(replication\.remote_max_items\): stopped reading it$/)
        assert.equal(pages() - before, 21, 'twenty full pages and the one past the bound, no retry')
        const catalog = await ended(await execute(await pullPolicy('endless-catalog', 'elsewhere/**')))
        assert.equal(catalog.status, 'Failed')
        assert.match(catalog.status_text, /^the catalog at .* has more than 2000 items \(replication\.remote_max_items\)/)
        assert.ok(process.memoryUsage().heapUsed - heap < 64 << 20, 'memory stayed bounded')
      })

      it('fails the execution at the page bound of pages with nothing on them', async () => {
        perPage = 0
        const before = pages()
        const run = await ended(await execute(await pullPolicy('endless-empty', 'hostile/app')))
        assert.equal(run.status, 'Failed')
        assert.match(run.status_text, /has more than 300 pages \(replication\.remote_max_pages\)/)
        assert.equal(pages() - before, 300)
      })

      it('a stop during pagination ends the reading at once', async () => {
        perPage = 1
        pageDelay = 20
        const execution = await execute(await pullPolicy('endless-slow', 'hostile/app'))
        const before = pages()
        await waitUntil('pages are being read', async () => pages() - before >= 5, { timeoutMs: 10_000, everyMs: 10 })
        assertStatus(await api(open, 'PUT', `/replication/executions/${execution}`), 200)
        const atStop = pages()
        await sleep(1_000)
        assert.ok(pages() - atStop <= 1, `${pages() - atStop} pages served after the stop`)
        assert.equal((await ended(execution)).status, 'Stopped')
        const planner = await open.jobs.jobs.byDedupeKey(`execution:${execution}`)
        await waitUntil('the planning job ends', async () => (await open.jobs.jobs.get(planner!.id))!.state === 'stopped', { timeoutMs: 5_000, everyMs: 20 })
      })
    })
  })
}
