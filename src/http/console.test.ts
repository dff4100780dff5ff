// Serving the console: hashed assets cached for a year (the build's brotli or gzip copy to a
// client that takes it), index.html never cached, client-side routes answered with index.html,
// API and registry paths keeping their own 404s, and the security headers on every console answer.
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { brotliCompressSync, brotliDecompressSync, gzipSync, gunzipSync } from 'node:zlib'
import { after, before, describe, it } from 'node:test'
import Fastify, { type FastifyInstance } from 'fastify'
import { CONSOLE_CSP, consoleRoutes } from './console.js'

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>'

describe('console files', () => {
  let dir: string
  let app: FastifyInstance
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-console-'))
    await mkdir(join(dir, 'assets'))
    await writeFile(join(dir, 'index.html'), INDEX)
    await writeFile(join(dir, 'assets', 'index-abc123.js'), 'console.log("berth")')
    app = Fastify()
    app.get('/api/v2.0/ping', async () => 'Pong')
    await app.register(consoleRoutes, { dir })
  })
  after(async () => {
    await app.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('serves index.html at / with no-cache and the security headers', async () => {
    const res = await app.inject({ method: 'GET', url: '/' })
    assert.equal(res.statusCode, 200)
    assert.equal(res.body, INDEX)
    assert.match(String(res.headers['content-type']), /^text\/html/)
    assert.equal(res.headers['cache-control'], 'no-cache')
    assert.equal(res.headers['content-security-policy'], CONSOLE_CSP)
    assert.equal(res.headers['x-content-type-options'], 'nosniff')
    assert.equal(res.headers['x-frame-options'], 'DENY')
    assert.equal(res.headers['referrer-policy'], 'same-origin')
  })

  it('the CSP allows no inline script, no eval, no other origin and no framing', () => {
    const directives = new Map(CONSOLE_CSP.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k!, v]))
    assert.deepEqual(directives.get('script-src'), ["'self'"])
    assert.deepEqual(directives.get('default-src'), ["'self'"])
    assert.deepEqual(directives.get('frame-ancestors'), ["'none'"])
    assert.deepEqual(directives.get('object-src'), ["'none'"])
    assert.ok(!CONSOLE_CSP.includes('unsafe-inline') && !CONSOLE_CSP.includes('unsafe-eval'))
  })

  it('answers a client-side route (deep link, reload) with index.html', async () => {
    for (const url of ['/projects', '/projects/3/repositories/a%2Fb?page=2', '/admin/gc']) {
      const res = await app.inject({ method: 'GET', url })
      assert.equal(res.statusCode, 200, url)
      assert.equal(res.body, INDEX, url)
      assert.equal(res.headers['cache-control'], 'no-cache', url)
    }
  })

  it('serves hashed assets with a year of immutable caching', async () => {
    const res = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' })
    assert.equal(res.statusCode, 200)
    assert.equal(res.body, 'console.log("berth")')
    assert.match(String(res.headers['cache-control']), /max-age=31536000/)
    assert.match(String(res.headers['cache-control']), /immutable/)
    assert.equal(res.headers['x-content-type-options'], 'nosniff')
  })

  it('a missing asset, API path or registry path is a 404 in its own format, never index.html', async () => {
    const asset = await app.inject({ method: 'GET', url: '/assets/missing-123.js' })
    assert.equal(asset.statusCode, 404)
    assert.notEqual(asset.body, INDEX)
    const api = await app.inject({ method: 'GET', url: '/api/v2.0/nothing-here' })
    assert.equal(api.statusCode, 404)
    assert.equal(api.json().errors[0].code, 'NOT_FOUND')
    const v2 = await app.inject({ method: 'GET', url: '/v2/nothing/here' })
    assert.equal(v2.statusCode, 404)
    assert.ok(Array.isArray(v2.json().errors))
    assert.equal((await app.inject({ method: 'GET', url: '/service/none' })).statusCode, 404)
    for (const url of ['//v2/_catalog', '//api/v2.0/nothing', '/v2//x']) assert.equal((await app.inject({ method: 'GET', url })).statusCode, 404, url)
    // Paths that escape the assets folder are refused.
    const escape = await app.inject({ method: 'GET', url: '/assets/..%2f..%2fetc%2fpasswd' })
    assert.notEqual(escape.statusCode, 200)
  })

  it('an API route still answers', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v2.0/ping' })
    assert.equal(res.body, 'Pong')
  })

  it('without a build, / says how to build it instead of failing silently', async () => {
    const bare = Fastify({ logger: false })
    await bare.register(consoleRoutes, { dir: join(dir, 'not-there') })
    const res = await bare.inject({ method: 'GET', url: '/' })
    assert.equal(res.statusCode, 404)
    assert.match(res.json().errors[0].message, /npm run build/)
    await bare.close()
  })
})

describe('console assets, compressed', () => {
  const script = `export const answer = ${JSON.stringify('x'.repeat(2000))}\n`
  let dir: string
  let app: FastifyInstance
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-console-'))
    await mkdir(join(dir, 'assets'))
    await writeFile(join(dir, 'index.html'), '<!doctype html><div id="root"></div>')
    await writeFile(join(dir, 'assets', 'app-1234.js'), script)
    await writeFile(join(dir, 'assets', 'app-1234.js.br'), brotliCompressSync(script))
    await writeFile(join(dir, 'assets', 'app-1234.js.gz'), gzipSync(script))
    await writeFile(join(dir, 'assets', 'plain-1234.js'), script)
    app = Fastify()
    await app.register(consoleRoutes, { dir })
  })
  after(async () => {
    await app?.close()
    await rm(dir, { recursive: true, force: true })
  })

  const get = (url: string, acceptEncoding?: string) => app.inject({ method: 'GET', url, headers: acceptEncoding !== undefined ? { 'accept-encoding': acceptEncoding } : {} })

  it('sends the brotli copy to a browser that takes brotli', async () => {
    const res = await get('/assets/app-1234.js', 'gzip, deflate, br, zstd')
    assert.equal(res.statusCode, 200)
    assert.equal(res.headers['content-encoding'], 'br')
    assert.match(String(res.headers.vary), /accept-encoding/i)
    assert.match(String(res.headers['content-type']), /javascript/)
    assert.match(String(res.headers['cache-control']), /immutable/)
    assert.equal(res.headers['content-security-policy'], CONSOLE_CSP)
    assert.equal(brotliDecompressSync(res.rawPayload).toString(), script)
  })

  it('sends the gzip copy to a client that takes only gzip', async () => {
    const res = await get('/assets/app-1234.js', 'gzip')
    assert.equal(res.headers['content-encoding'], 'gzip')
    assert.equal(gunzipSync(res.rawPayload).toString(), script)
  })

  it('sends the file itself to a client that takes no encoding, or when no copy was written', async () => {
    for (const [url, accept] of [['/assets/app-1234.js', undefined], ['/assets/app-1234.js', 'identity'], ['/assets/plain-1234.js', 'br, gzip']] as const) {
      const res = await get(url, accept)
      assert.equal(res.statusCode, 200, `${url} ${accept}`)
      assert.equal(res.headers['content-encoding'], undefined, `${url} ${accept}`)
      assert.equal(res.payload, script)
    }
  })
})
