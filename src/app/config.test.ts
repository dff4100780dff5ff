// Configuration: defaults, YAML, BERTH_* overrides, and errors that name the bad key.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'yaml'
import { loadConfig, maskedConfig, resolvedPaths } from './config.js'
import { parseHeaders } from './tracing.js'
import { isBerthError } from '../lib/errors.js'

describe('config', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-config-'))
  })
  after(() => rm(dir, { recursive: true, force: true }))

  const file = async (text: string) => {
    const p = join(dir, `c${Math.random()}.yml`)
    await writeFile(p, text)
    return p
  }
  const badKey = (key: string, detail?: RegExp) => (e: unknown) =>
    isBerthError(e, 'CONFIG_INVALID') && e.message.includes(`config key ${key}`) && (detail === undefined || detail.test(e.message))

  it('defaults: 127.0.0.1:5000, SQLite and storage in ./data', () => {
    const c = loadConfig({})
    assert.equal(c.http.host, '127.0.0.1')
    assert.equal(c.http.port, 5000)
    const p = resolvedPaths(c)
    assert.ok(p.databaseUrl.endsWith('/data/berth.db'))
    assert.ok(p.storageRoot.endsWith('/data/storage'))
    assert.equal(c.registry.max_manifest_bytes, 4 << 20)
  })

  it('environment overrides the file, which overrides defaults', async () => {
    const f = await file('http:\n  port: 6000\n  host: 0.0.0.0\nexternal_url: https://reg.example.com/\n')
    const c = loadConfig({ BERTH_HTTP_PORT: '7000', BERTH_DATA_DIR: '/srv/berth', BERTH_DATABASE_URL: 'postgres://u:secret@db/berth', BERTH_ADMIN_PASSWORD: 'pw' }, f)
    assert.equal(c.http.port, 7000)
    assert.equal(c.http.host, '0.0.0.0')
    assert.equal(c.external_url, 'https://reg.example.com')
    assert.equal(resolvedPaths(c).storageRoot, '/srv/berth/storage')
    assert.equal(c.database.url, 'postgres://u:secret@db/berth')
    const masked = maskedConfig(c)
    assert.equal(masked.admin.password, '********')
    assert.equal(masked.database.url, 'postgres://u:********@db/berth')
  })

  it('BERTH_CONFIG names the file', async () => {
    const f = await file('log:\n  level: warn\n')
    assert.equal(loadConfig({ BERTH_CONFIG: f }).log.level, 'warn')
  })

  it('bad values stop with a message naming the key and what it expects', async () => {
    assert.throws(() => loadConfig({ BERTH_HTTP_PORT: 'eighty' }), badKey('http.port', /expected a number/))
    assert.throws(() => loadConfig({ BERTH_HTTP_PORT: '70000' }), badKey('http.port', /<= 65535/))
    assert.throws(() => loadConfig({ BERTH_EXTERNAL_URL: 'ftp://x' }), badKey('external_url', /http\(s\) URL/))
    const f1 = await file('log:\n  level: loud\n')
    assert.throws(() => loadConfig({}, f1), badKey('log.level', /one of/))
    const f2 = await file('http:\n  prot: 1\n')
    assert.throws(() => loadConfig({}, f2), badKey('http.prot', /not a known setting/))
    const f3 = await file('storage:\n  driver: floppy\n')
    assert.throws(() => loadConfig({}, f3), badKey('storage.driver'))
    const f4 = await file('registry:\n  max_manifest_bytes: 1.5\n')
    assert.throws(() => loadConfig({}, f4), badKey('registry.max_manifest_bytes', /integer/))
    assert.throws(() => loadConfig({ BERTH_JOBS_HOUSEKEEPING_CRON: 'every hour' }), badKey('jobs.housekeeping_cron', /invalid cron expression/))
    assert.throws(() => loadConfig({ BERTH_EVENTS_PULL_FLUSH_SECONDS: '0' }), badKey('events.pull_flush_seconds'))
    assert.equal(loadConfig({ BERTH_JOBS_HOUSEKEEPING_CRON: '' }).jobs.housekeeping_cron, '')
    assert.throws(() => loadConfig({ BERTH_STORAGE_ACCEL_REDIRECT_PREFIX: '_berth_blobs/' }), badKey('storage.accel_redirect_prefix', /internal location/))
    assert.throws(() => loadConfig({ BERTH_STORAGE_ACCEL_REDIRECT_PREFIX: '/a/../' }), badKey('storage.accel_redirect_prefix'))
    assert.throws(
      () => loadConfig({ BERTH_STORAGE_DRIVER: 's3', BERTH_S3_BUCKET: 'b', BERTH_STORAGE_ACCEL_REDIRECT_PREFIX: '/_berth_blobs/' }),
      badKey('storage.accel_redirect_prefix', /filesystem only/),
    )
    assert.equal(loadConfig({ BERTH_STORAGE_ACCEL_REDIRECT_PREFIX: '/_berth_blobs/' }).storage.accel_redirect_prefix, '/_berth_blobs/')
    const f5 = await file('http: [1, 2\n')
    assert.throws(() => loadConfig({}, f5), (e) => isBerthError(e, 'CONFIG_INVALID') && /not valid YAML/.test(e.message))
    assert.throws(() => loadConfig({}, join(dir, 'missing.yml')), (e) => isBerthError(e, 'CONFIG_INVALID') && /cannot read/.test(e.message))
  })

  it('auth settings: modes, LDAP requirements, nested overrides and masked secrets', () => {
    assert.throws(() => loadConfig({ BERTH_AUTH_MODE: 'oidc' }), badKey('auth.mode', /db_auth/))
    assert.throws(() => loadConfig({ BERTH_AUTH_MODE: 'ldap_auth' }), badKey('auth.ldap.url', /ldap_auth/))
    assert.throws(() => loadConfig({ BERTH_AUTH_MODE: 'ldap_auth', BERTH_AUTH_LDAP_URL: 'ldap://x' }), badKey('auth.ldap.base_dn'))
    assert.throws(() => loadConfig({ BERTH_AUTH_LDAP_URL: 'http://x' }), badKey('auth.ldap.url', /ldap:\/\//))
    assert.throws(() => loadConfig({ BERTH_AUTH_SELF_REGISTRATION: 'maybe' }), badKey('auth.self_registration', /true or false/))
    assert.throws(() => loadConfig({ BERTH_AUTH_TOKEN_TTL_MINUTES: '0' }), badKey('auth.token_ttl_minutes'))
    const c = loadConfig({ BERTH_AUTH_MODE: 'ldap_auth', BERTH_AUTH_LDAP_URL: 'ldaps://dir:636', BERTH_AUTH_LDAP_BASE_DN: 'dc=x', BERTH_AUTH_LDAP_SEARCH_PASSWORD: 's3cret' })
    assert.equal(c.auth.mode, 'ldap_auth')
    assert.equal(c.auth.ldap.uid_attribute, 'uid')
    assert.equal(maskedConfig(c).auth.ldap.search_password, '********')
  })

  it('metrics settings: off by default, BERTH_METRICS_* overrides, bad ports and paths named', () => {
    const d = loadConfig({})
    assert.deepEqual(d.metrics, { enabled: false, port: 9090, path: '/metrics', cache_seconds: 30 })
    const c = loadConfig({ BERTH_METRICS_ENABLED: 'true', BERTH_METRICS_PORT: '9191', BERTH_METRICS_PATH: '/prom/metrics' })
    assert.equal(c.metrics.enabled, true)
    assert.equal(c.metrics.port, 9191)
    assert.equal(c.metrics.path, '/prom/metrics')
    assert.throws(() => loadConfig({ BERTH_METRICS_PORT: '70000' }), badKey('metrics.port', /<= 65535/))
    assert.throws(() => loadConfig({ BERTH_METRICS_PORT: '-1' }), badKey('metrics.port', />= 0/))
    assert.throws(() => loadConfig({ BERTH_METRICS_PATH: 'metrics' }), badKey('metrics.path', /starting with \//))
    assert.throws(() => loadConfig({ BERTH_METRICS_PATH: '/metrics?x=1' }), badKey('metrics.path'))
    assert.throws(() => loadConfig({ BERTH_METRICS_ENABLED: 'yes' }), badKey('metrics.enabled', /true or false/))
    assert.throws(() => loadConfig({ BERTH_METRICS_CACHE_SECONDS: '0' }), badKey('metrics.cache_seconds'))
    assert.throws(() => loadConfig({ BERTH_METRICS_ENABLED: 'true', BERTH_METRICS_PORT: '5000' }), badKey('metrics.port', /must differ from http\.port/))
    // Off, the port is not checked against http.port (nothing listens on it).
    assert.equal(loadConfig({ BERTH_METRICS_PORT: '5000' }).metrics.port, 5000)
  })

  it('tracing: off by default; bad endpoints, rates and headers are refused by name; the headers are masked', () => {
    const d = loadConfig({})
    assert.deepEqual([d.tracing.enabled, d.tracing.endpoint, d.tracing.sample_rate, d.tracing.service_name], [false, 'http://127.0.0.1:4318/v1/traces', 1, 'berth'])
    assert.throws(() => loadConfig({ BERTH_TRACING_ENABLED: 'yes' }), badKey('tracing.enabled', /true or false/))
    assert.throws(() => loadConfig({ BERTH_TRACING_ENDPOINT: 'collector:4318' }), badKey('tracing.endpoint', /OTLP\/HTTP/))
    assert.throws(() => loadConfig({ BERTH_TRACING_ENDPOINT: '' }), badKey('tracing.endpoint'))
    assert.throws(() => loadConfig({ BERTH_TRACING_SAMPLE_RATE: '1.5' }), badKey('tracing.sample_rate', /<= 1/))
    assert.throws(() => loadConfig({ BERTH_TRACING_SAMPLE_RATE: '-0.1' }), badKey('tracing.sample_rate'))
    assert.throws(() => loadConfig({ BERTH_TRACING_SERVICE_NAME: '' }), badKey('tracing.service_name'))
    assert.throws(() => loadConfig({ BERTH_TRACING_HEADERS: 'authorization' }), badKey('tracing.headers', /name=value/))
    assert.throws(() => loadConfig({ BERTH_TRACING_HEADERS: 'a=b\r\nx-injected=1' }), badKey('tracing.headers'))
    const c = loadConfig({ BERTH_TRACING_ENABLED: 'true', BERTH_TRACING_ENDPOINT: 'https://otel.example.com/v1/traces', BERTH_TRACING_SAMPLE_RATE: '0.25', BERTH_TRACING_HEADERS: 'authorization=Bearer abc, x-tenant=reg' })
    assert.deepEqual([c.tracing.enabled, c.tracing.sample_rate], [true, 0.25])
    assert.deepEqual(parseHeaders(c.tracing.headers), { authorization: 'Bearer abc', 'x-tenant': 'reg' })
    assert.equal(maskedConfig(c).tracing.headers, '********')
  })

  it('the annotated example config is valid and documents every setting', async () => {
    const example = join(process.cwd(), 'berth.example.yml')
    const c = loadConfig({}, example)
    assert.equal(c.http.port, 5000)
    const doc = parse(await readFile(example, 'utf8')) as Record<string, unknown>
    const keys = (o: Record<string, unknown>, p = ''): string[] =>
      Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' && v !== null ? keys(v as Record<string, unknown>, `${p}${k}.`) : [`${p}${k}`]))
    assert.deepEqual(keys(doc).sort(), keys(c as unknown as Record<string, unknown>).sort())
  })
})
