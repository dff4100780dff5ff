// The console's static files: the brotli or gzip copy the build wrote beside an asset is sent to a
// client that takes it, the file itself to one that does not, always with the same headers.
import assert from 'node:assert/strict'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { brotliCompressSync, brotliDecompressSync, gzipSync, gunzipSync } from 'node:zlib'
import { after, before, describe, it } from 'node:test'
import Fastify, { type FastifyInstance } from 'fastify'
import { CONSOLE_CSP, consoleRoutes } from './console.js'

describe('console assets', () => {
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

  it('answers a missing asset with 404, not with index.html', async () => {
    const res = await get('/assets/missing-1234.js', 'br')
    assert.equal(res.statusCode, 404)
    assert.doesNotMatch(res.payload, /<div id="root">/)
  })
})
