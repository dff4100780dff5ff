// OpenTelemetry tracing, checked at an OTLP/HTTP receiver on loopback: the spans of a push (the
// requests, their queries, storage actions and Redis commands, in one trace), a caller's
// traceparent continued, a replication's job and its requests to the target in the push's trace
// (the target a real Berth process whose spans leave when it is stopped), sampling, and that with
// tracing off nothing is sent and the SDK is never loaded.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { after, before, describe, it } from 'node:test'
import * as semconv from '@opentelemetry/semantic-conventions'
import { ADMIN_AUTH, createTestBerth, type TestBerth } from '../support/berth-app.js'
import { DIALECTS, dialectSkip } from '../support/databases.js'
import { E2E_ADMIN_PASSWORD, startBerth, type BerthProcess } from '../support/berth-process.js'
import { OtlpReceiver, SPAN_KIND, type ReceivedSpan } from '../support/otlp-receiver.js'
import { REDIS_URL, redisSkip, testPrefix } from '../support/redis.js'
import { randomImage, pushRaw } from '../support/raw-images.js'
import { waitUntil } from '../support/until.js'
import type { InjectOptions } from 'fastify'
import { pushImage, type App } from '../../src/http/oci/oci-test-support.js'
import { ATTR } from '../../src/lib/tracing.js'
import { tracingSdkLoaded } from '../../src/app/tracing.js'

const until = (what: string, fn: () => boolean | Promise<boolean>, ms = 30_000) => waitUntil(what, fn, { timeoutMs: ms, everyMs: 100 })

/** A caller's W3C traceparent: a fresh trace and parent span, sampled or not. */
function callerContext(sampled = true): { traceId: string; spanId: string; traceparent: string } {
  const traceId = randomBytes(16).toString('hex')
  const spanId = randomBytes(8).toString('hex')
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-${sampled ? '01' : '00'}` }
}

/** The app with these headers (and the admin's credentials) on every injected request. */
function withHeaders(app: App, headers: Record<string, string>): App {
  return new Proxy(app, {
    get(target, prop, receiver) {
      if (prop !== 'inject') return Reflect.get(target, prop, receiver)
      return (opts: InjectOptions) => target.inject({ ...opts, headers: { authorization: ADMIN_AUTH, ...headers, ...(opts.headers ?? {}) } })
    },
  })
}

/** Whether `span` descends from `ancestor` among `spans`. */
function descends(span: ReceivedSpan, ancestor: ReceivedSpan, spans: ReceivedSpan[]): boolean {
  const byId = new Map(spans.map((s) => [s.spanId, s]))
  for (let at: ReceivedSpan | undefined = span; at !== undefined; at = byId.get(at.parentSpanId)) {
    if (at.parentSpanId === ancestor.spanId) return true
  }
  return false
}

const names = (spans: ReceivedSpan[]) => spans.map((s) => s.name).join(', ')

describe('tracing: span attribute names are the stable semantic conventions', () => {
  it('every name Berth writes out matches @opentelemetry/semantic-conventions', () => {
    const table = semconv as unknown as Record<string, string>
    for (const [key, name] of Object.entries(ATTR)) {
      if (name.startsWith('berth.')) continue
      assert.equal(table[`ATTR_${key}`], name, key)
    }
  })
})

for (const dialect of DIALECTS) {
  // On PostgreSQL with Redis (the HA setup), on SQLite alone (the one-node setup).
  const withRedis = dialect === 'postgres'
  describe(`tracing a push (${dialect}${withRedis ? ' + Redis' : ''})`, { timeout: 120_000 }, async () => {
    const skip = { ...(await dialectSkip(dialect)), ...(withRedis ? await redisSkip() : {}) }
    if (skip.skip !== undefined) return it('skipped', { skip: skip.skip }, () => {})
    const receiver = new OtlpReceiver()
    let berth: TestBerth
    before(async () => {
      await receiver.start()
      berth = await createTestBerth(dialect, {
        tracing: { enabled: true, endpoint: receiver.url, sample_rate: 1, service_name: `berth-${dialect}`, headers: 'x-tenant=registry, authorization=Bearer test-token' },
        ...(withRedis ? { redis: { url: REDIS_URL, prefix: testPrefix() } } : {}),
      })
    })
    after(async () => {
      await berth?.destroy()
      await receiver.stop()
    })

    /** Flushes until spans of `traceId` that satisfy `enough` have arrived; returns the trace. */
    const traceOf = async (traceId: string, enough: (spans: ReceivedSpan[]) => boolean): Promise<ReceivedSpan[]> => {
      await until(`spans of trace ${traceId}`, async () => {
        await berth.tracing.flush()
        return enough(receiver.trace(traceId))
      })
      return receiver.trace(traceId)
    }

    it('the SDK is loaded, and exports OTLP JSON with the configured headers and service name', async () => {
      assert.equal(tracingSdkLoaded(), true)
      const res = await berth.app.inject({ method: 'GET', url: '/api/v2.0/systeminfo' })
      assert.equal(res.statusCode, 200)
      await until('an export', async () => {
        await berth.tracing.flush()
        return receiver.spans.some((s) => s.name === 'GET /api/v2.0/systeminfo')
      })
      const request = receiver.requests[0]!
      assert.equal(request.path, '/v1/traces')
      assert.match(request.contentType, /^application\/json/)
      assert.equal(request.headers['x-tenant'], 'registry')
      assert.equal(request.headers.authorization, 'Bearer test-token')
      const span = receiver.spans.find((s) => s.name === 'GET /api/v2.0/systeminfo')!
      assert.equal(span.service, `berth-${dialect}`)
      assert.equal(span.kind, SPAN_KIND.server)
      assert.equal(span.parentSpanId, '', 'a request without traceparent starts a trace')
      assert.equal(span.attributes[ATTR.HTTP_ROUTE], '/api/v2.0/systeminfo')
      assert.equal(span.attributes[ATTR.HTTP_RESPONSE_STATUS_CODE], 200)
    })

    it("a push continues the client's trace: its requests, with their queries, storage actions and Redis commands as children", async () => {
      const caller = callerContext()
      const token = randomBytes(4).toString('hex')
      const repo = `library/traced-${token}`
      const tag = `v-${token}`
      const image = await pushImage(withHeaders(berth.app, { traceparent: caller.traceparent }), repo, tag, `traced-${token}`)
      const spans = await traceOf(caller.traceId, (s) => s.some((x) => x.name === 'PUT /v2/:name/manifests/:reference' && x.endNs > 0n) && s.filter((x) => x.name === 'POST /v2/:name/blobs/uploads/').length === 2)

      const requests = spans.filter((s) => s.kind === SPAN_KIND.server)
      assert.deepEqual(requests.map((s) => s.name).sort(), ['POST /v2/:name/blobs/uploads/', 'POST /v2/:name/blobs/uploads/', 'PUT /v2/:name/manifests/:reference'])
      for (const r of requests) {
        assert.equal(r.parentSpanId, caller.spanId, `${r.name} is a child of the caller's span`)
        assert.equal(r.attributes[ATTR.HTTP_RESPONSE_STATUS_CODE], 201)
        assert.equal(r.attributes[ATTR.HTTP_REQUEST_METHOD], r.name.split(' ')[0])
        assert.equal(r.status, 0, 'a success is not an error')
      }
      const put = requests.find((s) => s.name.startsWith('PUT'))!
      assert.equal(put.attributes[ATTR.URL_PATH], `/v2/${repo}/manifests/${tag}`)
      assert.equal(put.attributes[ATTR.HTTP_ROUTE], '/v2/:name/manifests/:reference')

      // Database queries: children of the requests, statements without their values.
      const queries = spans.filter((s) => s.attributes[ATTR.DB_SYSTEM_NAME] === (dialect === 'postgres' ? 'postgresql' : 'sqlite'))
      assert.ok(queries.some((q) => descends(q, put, spans) && q.name === 'INSERT artifacts'), `an INSERT into artifacts under the manifest PUT: ${names(queries)}`)
      for (const r of requests) assert.ok(queries.some((q) => descends(q, r, spans)), `${r.name} made queries`)
      for (const q of queries) {
        assert.equal(q.kind, SPAN_KIND.client)
        const text = String(q.attributes[ATTR.DB_QUERY_TEXT])
        for (const value of [token, image.digest.slice(7), image.layers[0]!.digest.slice(7)]) assert.ok(!text.includes(value), `a value in a statement: ${text}`)
        assert.ok(q.startNs <= q.endNs)
      }

      // Storage: the blob uploads wrote, committed and moved their bytes through the driver.
      const storage = spans.filter((s) => s.name.startsWith('storage '))
      for (const upload of requests.filter((s) => s.name.startsWith('POST'))) {
        const under = storage.filter((s) => descends(s, upload, spans)).map((s) => s.name)
        for (const action of ['storage write', 'storage commit', 'storage move']) assert.ok(under.includes(action), `${action} under a blob upload: ${under.join(', ')}`)
      }
      assert.ok(storage.every((s) => s.attributes[ATTR.STORAGE_DRIVER] === 'filesystem' && typeof s.attributes[ATTR.STORAGE_PATH] === 'string'))
      assert.ok(storage.some((s) => descends(s, put, spans)), 'the manifest PUT stored the manifest')

      if (withRedis) {
        const commands = spans.filter((s) => s.attributes[ATTR.DB_SYSTEM_NAME] === 'redis')
        assert.ok(commands.length > 0, `Redis commands in the push: ${names(spans)}`)
        for (const c of commands) {
          assert.ok(requests.some((r) => descends(c, r, spans)), `${c.name} belongs to a request`)
          // The command and its key; every other argument (the values) is a '?'.
          assert.match(String(c.attributes[ATTR.DB_QUERY_TEXT]), /^[A-Z]+( [^ ?]+| \?)?( \?)*$/, c.name)
        }
      }
    })

    it('a request without traceparent starts its own trace; a caller that did not sample is followed', async () => {
      const res = await berth.app.inject({ method: 'GET', url: '/api/v2.0/projects?name=library', headers: { authorization: ADMIN_AUTH } })
      assert.equal(res.statusCode, 200)
      const unsampled = callerContext(false)
      const quiet = await berth.app.inject({ method: 'GET', url: '/api/v2.0/projects?name=library', headers: { authorization: ADMIN_AUTH, traceparent: unsampled.traceparent } })
      assert.equal(quiet.statusCode, 200)
      await until('the projects request', async () => {
        await berth.tracing.flush()
        return receiver.spans.some((s) => s.name === 'GET /api/v2.0/projects')
      })
      const roots = receiver.spans.filter((s) => s.name === 'GET /api/v2.0/projects')
      assert.equal(roots.length, 1, 'the unsampled request is not recorded')
      assert.equal(roots[0]!.parentSpanId, '')
      assert.equal(roots[0]!.attributes[ATTR.URL_PATH], '/api/v2.0/projects', 'the query string stays out')
      assert.equal(receiver.trace(unsampled.traceId).length, 0)
      // The trace's queries (the caller's, the project's) came with it.
      assert.ok(receiver.trace(roots[0]!.traceId).some((s) => s.kind === SPAN_KIND.client && descends(s, roots[0]!, receiver.spans)))
    })

    it('a refused request is traced with its status, not marked failed; long values are cut; the probes are not traced', async () => {
      const caller = callerContext()
      const res = await berth.app.inject({ method: 'GET', url: '/v2/library/nothing-here/manifests/latest', headers: { authorization: ADMIN_AUTH, traceparent: caller.traceparent, 'user-agent': `long/${'x'.repeat(10_000)}` } })
      assert.equal(res.statusCode, 404)
      assert.equal((await berth.app.inject({ method: 'GET', url: '/livez' })).statusCode, 200)
      const [span] = await traceOf(caller.traceId, (s) => s.some((x) => x.kind === SPAN_KIND.server))
        .then((s) => s.filter((x) => x.kind === SPAN_KIND.server))
      assert.equal(span!.attributes[ATTR.HTTP_RESPONSE_STATUS_CODE], 404)
      assert.equal(span!.status, 0, "a 4xx is the client's mistake, not the server's")
      assert.equal(String(span!.attributes[ATTR.USER_AGENT_ORIGINAL]).length, 4096, 'attribute values are cut at 4 KiB')
      assert.ok(!receiver.spans.some((s) => s.attributes[ATTR.URL_PATH] === '/livez'))
    })
  })
}

describe('tracing: sampling', { timeout: 60_000 }, () => {
  const receiver = new OtlpReceiver()
  let berth: TestBerth
  before(async () => {
    await receiver.start()
    berth = await createTestBerth('sqlite', { tracing: { enabled: true, endpoint: receiver.url, sample_rate: 0 } })
  })
  after(async () => {
    await berth?.destroy()
    await receiver.stop()
  })

  it('sample_rate 0: a push exports nothing; a caller that sampled still gets its trace', async () => {
    const app = withHeaders(berth.app, {})
    await pushImage(app, 'library/unsampled', 'v1', 'unsampled')
    await berth.tracing.flush()
    assert.equal(receiver.requests.length, 0, 'nothing was sent')
    const caller = callerContext(true)
    assert.equal((await berth.app.inject({ method: 'GET', url: '/v2/library/unsampled/tags/list', headers: { authorization: ADMIN_AUTH, traceparent: caller.traceparent } })).statusCode, 200)
    await until('the sampled request', async () => {
      await berth.tracing.flush()
      return receiver.trace(caller.traceId).some((s) => s.name === 'GET /v2/:name/tags/list')
    })
    assert.ok(receiver.spans.every((s) => s.traceId === caller.traceId), 'only the sampled trace')
  })
})

describe('tracing: replication continues the push trace to the target registry', { timeout: 180_000 }, () => {
  const receiver = new OtlpReceiver()
  let source: TestBerth
  let target: BerthProcess
  before(async () => {
    await receiver.start()
    source = await createTestBerth('sqlite', {
      tracing: { enabled: true, endpoint: receiver.url, service_name: 'berth-source' },
      jobs: { workers: 2, lease_seconds: 5 },
      replication: { reconcile_seconds: 0, task_attempts: 2 },
    })
    // The target is its own process: its spans leave on SIGTERM, when stop() drains it.
    target = await startBerth({ env: { BERTH_TRACING_ENABLED: 'true', BERTH_TRACING_ENDPOINT: receiver.url, BERTH_TRACING_SERVICE_NAME: 'berth-target' } })
  })
  after(async () => {
    await target?.stop()
    await source?.destroy()
    await receiver.stop()
  })

  it("a push's replication job and its requests to the target are in the push's trace; the target continues it", async () => {
    const admin = withHeaders(source.app, {})
    const registry = await admin.inject({ method: 'POST', url: '/api/v2.0/registries', payload: { name: 'target', type: 'berth', url: target.url, credential: { type: 'basic', access_key: 'admin', access_secret: E2E_ADMIN_PASSWORD } } })
    assert.equal(registry.statusCode, 201, registry.body)
    const registryId = Number(/\/(\d+)$/.exec(String(registry.headers.location))![1])
    const policy = await admin.inject({
      method: 'POST',
      url: '/api/v2.0/replication/policies',
      payload: { name: 'to-target', dest_registry: { id: registryId }, trigger: { type: 'event_based' }, filters: [{ type: 'name', value: 'library/**' }], override: true, enabled: true },
    })
    assert.equal(policy.statusCode, 201, policy.body)

    const caller = callerContext()
    const pushed = await pushImage(withHeaders(source.app, { traceparent: caller.traceparent }), 'library/replicated', 'v1', 'replicated-traced')
    await until('the copy on the target', async () => {
      const res = await fetch(`${target.url}/v2/library/replicated/manifests/v1`, { method: 'HEAD', headers: { authorization: target.authorization, accept: 'application/vnd.oci.image.manifest.v1+json' } })
      return res.status === 200 && res.headers.get('docker-content-digest') === pushed.digest
    }, 60_000)
    await until('the source spans of the replication', async () => {
      await source.tracing.flush()
      return receiver.trace(caller.traceId).some((s) => s.service === 'berth-source' && s.name === 'job REPLICATION' && s.endNs > 0n)
    }, 60_000).catch(async (err) => {
      throw new Error(`${(err as Error).message}: ${names(receiver.trace(caller.traceId))}`)
    })
    await target.stop()

    const spans = receiver.trace(caller.traceId)
    const ours = spans.filter((s) => s.service === 'berth-source')
    const theirs = spans.filter((s) => s.service === 'berth-target')
    const put = ours.find((s) => s.name === 'PUT /v2/:name/manifests/:reference')!
    assert.ok(put !== undefined, names(ours))
    // The event's job is a child of the push; the task it planned a child of that job.
    const eventJob = ours.find((s) => s.name === 'job EVENT:replication')
    assert.ok(eventJob !== undefined && descends(eventJob, put, spans), `the event job under the push: ${names(ours)}`)
    assert.equal(eventJob.kind, SPAN_KIND.consumer)
    assert.equal(eventJob.attributes[ATTR.JOB_TYPE], 'EVENT:replication')
    const task = ours.find((s) => s.name === 'job REPLICATION')
    assert.ok(task !== undefined && descends(task, eventJob, spans), `the task under the event job: ${names(ours)}`)
    // Its requests to the target: client spans whose ids the target's server spans name as parents.
    const outgoing = ours.filter((s) => s.kind === SPAN_KIND.client && String(s.attributes[ATTR.URL_FULL] ?? '').startsWith(target.url))
    assert.ok(outgoing.some((s) => descends(s, task, spans) && s.name === 'PUT'), `the manifest PUT to the target: ${names(outgoing)}`)
    const served = theirs.filter((s) => s.kind === SPAN_KIND.server)
    assert.ok(served.some((s) => s.name === 'PUT /v2/:name/manifests/:reference'), `the target's manifest PUT in the trace: ${names(theirs)}`)
    const sent = new Set(outgoing.map((s) => s.spanId))
    for (const s of served) assert.ok(sent.has(s.parentSpanId), `${s.name} on the target continues a request of the source`)
    assert.ok(theirs.some((s) => s.attributes[ATTR.DB_SYSTEM_NAME] === 'sqlite'), "the target's queries are in the trace too")
    assert.notEqual(ours[0]!.instance, theirs[0]!.instance)
  })
})

describe('tracing off', { timeout: 120_000 }, () => {
  const receiver = new OtlpReceiver()
  let dir: string
  before(async () => {
    await receiver.start()
    dir = await mkdtemp(join(tmpdir(), 'berth-tracing-off-'))
    // A loader hook in the server process notes every @opentelemetry module it imports.
    await writeFile(
      join(dir, 'hooks.mjs'),
      `import { appendFileSync } from 'node:fs'
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context)
  if (r.url.includes('/@opentelemetry/')) appendFileSync(process.env.OTEL_MODULE_LOG, r.url + '\\n')
  return r
}
`,
    )
    await writeFile(join(dir, 'register.mjs'), `import { register } from 'node:module'\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)})\n`)
  })
  after(async () => {
    await receiver.stop()
    await rm(dir, { recursive: true, force: true })
  })

  /** Starts a server (tracing on or off), pushes an image, stops it; the @opentelemetry packages it imported. */
  const run = async (enabled: boolean): Promise<string[]> => {
    const log = join(dir, `modules-${enabled}.log`)
    await writeFile(log, '')
    const server = await startBerth({
      env: {
        NODE_OPTIONS: `--import=${pathToFileURL(join(dir, 'register.mjs')).href}`,
        OTEL_MODULE_LOG: log,
        BERTH_TRACING_ENABLED: String(enabled),
        BERTH_TRACING_ENDPOINT: receiver.url,
      },
    })
    try {
      const outcome = await pushRaw(server.url, server.authorization, randomImage('library/untraced', 'v1', [1024]))
      assert.ok(outcome.ok, JSON.stringify(outcome))
    } finally {
      await server.stop()
    }
    const packages = new Set((await readFile(log, 'utf8')).split('\n').filter((l) => l !== '').map((url) => /\/node_modules\/(@opentelemetry\/[^/]+)\//.exec(url)?.[1] ?? url))
    return [...packages].sort()
  }

  it('sends nothing and never imports the SDK or the exporter; only the API', async () => {
    const loaded = await run(false)
    assert.deepEqual(loaded, ['@opentelemetry/api'])
    assert.equal(receiver.requests.length, 0)
  })

  it('(the same check with tracing on sees the SDK, and the spans arrive when the server stops)', async () => {
    const loaded = await run(true)
    for (const p of ['@opentelemetry/sdk-trace-base', '@opentelemetry/exporter-trace-otlp-http', '@opentelemetry/context-async-hooks']) assert.ok(loaded.includes(p), `${p} in ${loaded.join(', ')}`)
    assert.ok(receiver.spans.some((s) => s.name === 'PUT /v2/:name/manifests/:reference' && s.service === 'berth'), 'the push, exported on SIGTERM')
  })
})
