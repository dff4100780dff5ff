// Request bodies over a real socket: a caller without (valid) credentials is refused before the
// server reads its body, so unfinished or large anonymous bodies cost the server next to nothing.
// The server runs in this process, so the bytes it read from each connection can be counted.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { request, type IncomingHttpHeaders } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { basicAuth, createTestBerth, TEST_ADMIN_PASSWORD, type TestBerth } from '../support/berth-app.js'
import { DIALECTS, dialectSkip } from '../support/databases.js'

const DECLARED = 1 << 20
/** One buffer for every client: the bodies must not cost this process what they would cost the server. */
const BODY = Buffer.alloc(DECLARED, 0x20)

interface Answer {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/**
 * POSTs a body of DECLARED bytes but sends only `sent` of them, then waits for the answer (at
 * most 10 s). An answer proves the server did not wait for the rest of the body.
 */
function unfinishedPost(port: number, path: string, headers: Record<string, string>, sent: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path, headers: { 'content-type': 'application/json', 'content-length': String(DECLARED), ...headers } })
    const timer = setTimeout(() => {
      req.destroy()
      reject(new Error(`no answer within 10 s to ${path} while ${DECLARED - sent} bytes of the body were still unsent`))
    }, 10_000)
    req.on('response', (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (d) => (body += d))
      res.on('end', () => {
        clearTimeout(timer)
        req.destroy()
        resolve({ status: res.statusCode!, headers: res.headers, body })
      })
    })
    req.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    req.write(BODY.subarray(0, sent))
  })
}

/** POSTs the whole body as fast as the socket takes it; resolves with the answer, or the client-side error code. */
function wholePost(port: number, path: string): Promise<Answer | { error: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path, headers: { 'content-type': 'application/json', 'content-length': String(DECLARED) } }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (d) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
    })
    req.on('error', (err) => resolve({ error: (err as NodeJS.ErrnoException).code ?? err.message }))
    req.end(BODY)
  })
}

/** Sends only the headers of a POST that asks `Expect: 100-continue`; resolves with the first bytes the server answers. */
function firstAnswerToExpect(port: number, path: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error('no answer within 10 s'))
    }, 10_000)
    socket.once('data', (d) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(d.toString('latin1'))
    })
    socket.on('error', reject)
    const lines = Object.entries({ host: 'localhost', 'content-type': 'application/json', 'content-length': String(DECLARED), expect: '100-continue', ...headers }).map(([k, v]) => `${k}: ${v}\r\n`)
    socket.write(`POST ${path} HTTP/1.1\r\n${lines.join('')}\r\n`)
  })
}

function assertRefused(a: Answer, what: string, statuses = [401]): void {
  assert.ok(statuses.includes(a.status), `${what}: ${a.status} ${a.body.slice(0, 200)}`)
  assert.equal(a.headers.connection, 'close', `${what}: the connection of an unread body must close`)
  const e = JSON.parse(a.body).errors?.[0]
  assert.equal(typeof e?.code, 'string', `${what}: Harbor's error body`)
  assert.equal(typeof e?.message, 'string', `${what}: Harbor's error body`)
}

for (const dialect of DIALECTS) {
  describe(`request bodies are read only from callers who may send them (${dialect})`, async () => {
    const skip = await dialectSkip(dialect)
    let berth: TestBerth
    let port: number
    /** The server side of every connection accepted since the last take(). */
    let sockets: Socket[] = []
    const take = () => {
      const out = sockets
      sockets = []
      return out
    }
    const bytesRead = (list: Socket[]) => list.reduce((n, s) => n + s.bytesRead, 0)

    before(async () => {
      if (skip.skip !== undefined) return
      berth = await createTestBerth(dialect)
      berth.app.server.on('connection', (s: Socket) => sockets.push(s))
      await berth.app.listen({ host: '127.0.0.1', port: 0 })
      port = (berth.app.server.address() as AddressInfo).port
    })
    after(() => berth?.destroy())

    it('anonymous bodies are answered 401 while the client is still sending, and are not read', skip, async () => {
      const n = 100
      const sent = 16 << 10
      take()
      const answers = await Promise.all(Array.from({ length: n }, () => unfinishedPost(port, '/api/v2.0/projects', {}, sent)))
      answers.forEach((a, i) => assertRefused(a, `request ${i}`))
      // Each connection carried its headers and `sent` bytes of body: nothing more can have been read.
      const read = bytesRead(take())
      assert.ok(read <= n * (sent + 1024), `the server read ${read} bytes from ${n} connections`)
    })

    it('wrong credentials are refused before the body is read, too', skip, async () => {
      const n = 5
      take()
      const answers = await Promise.all(
        Array.from({ length: n }, (_, i) => unfinishedPost(port, '/api/v2.0/projects', { authorization: basicAuth(i % 2 === 0 ? 'admin' : 'nobody', 'Wrong-Passw0rd') }, 16 << 10)),
      )
      // A lockout (429) is a refusal before the body just as well.
      answers.forEach((a, i) => assertRefused(a, `request ${i}`, [401, 429]))
      assert.ok(bytesRead(take()) <= n * ((16 << 10) + 1024))
    })

    it('a client that sends whole anonymous bodies gets its 401, and the server reads a bounded part of each', skip, async () => {
      const n = 50
      take()
      const answers = await Promise.all(Array.from({ length: n }, () => wholePost(port, '/api/v2.0/projects')))
      answers.forEach((a, i) => {
        assert.ok('status' in a, `request ${i}: no answer (${'error' in a ? a.error : ''})`)
        assertRefused(a, `request ${i}`)
      })
      // Node reads a few socket buffers (64 KiB each) before the refusal closes the connection;
      // the bodies themselves (1 MiB each) are never read, whatever their size.
      const list = take()
      const most = Math.max(...list.map((s) => s.bytesRead))
      assert.ok(most < 512 << 10, `one connection had ${most} bytes read`)
      assert.ok(bytesRead(list) < (n * DECLARED) / 2, `the server read ${bytesRead(list)} bytes of ${n * DECLARED}`)
    })

    it('a client that asks before sending (Expect: 100-continue) is refused without being told to send', skip, async () => {
      const refused = await firstAnswerToExpect(port, '/api/v2.0/projects', {})
      assert.match(refused, /^HTTP\/1\.1 401 /, refused.slice(0, 100))
      const admitted = await firstAnswerToExpect(port, '/api/v2.0/projects', { authorization: basicAuth('admin', TEST_ADMIN_PASSWORD) })
      assert.match(admitted, /^HTTP\/1\.1 100 Continue/, admitted.slice(0, 100))
    })

    it('an anonymous body to an unknown API path is refused without reading past the limit', skip, async () => {
      take()
      const a = await unfinishedPost(port, '/api/v2.0/no-such-thing', {}, 16 << 10)
      // Over the 64 KiB limit by its declared length: 413 at once, the body left unread.
      assertRefused(a, 'unknown path', [413])
      assert.ok(bytesRead(take()) <= (16 << 10) + 1024)
    })
  })
}
