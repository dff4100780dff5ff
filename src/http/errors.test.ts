// Error rendering at the edge: an unexpected failure is a logged 500, whether or not the request
// carried a body; only a client that really went away is reported as gone.
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { createLogger } from '../lib/logger.js'
import { ADMIN_AUTH, createTestBerth, type TestBerth } from '../../test/support/berth-app.js'

describe('unexpected errors on requests with a body', () => {
  const lines: { level: number; msg: string; err?: { message?: string; stack?: string } }[] = []
  let berth: TestBerth
  let origin: string
  before(async () => {
    const log = createLogger('error', { write: (line: string) => void lines.push(JSON.parse(line)) })
    berth = await createTestBerth('sqlite', {}, { log })
    // A store that fails the way a broken database would, under a real route that reads a JSON body.
    berth.stores.projects.setPublic = async () => {
      throw new Error('the disk is on fire')
    }
    await berth.app.listen({ host: '127.0.0.1', port: 0 })
    origin = `http://127.0.0.1:${(berth.app.server.address() as AddressInfo).port}`
  })
  after(() => berth?.destroy())

  const failures = () => lines.filter((l) => l.msg === 'request failed' && l.err?.message === 'the disk is on fire')
  const body = JSON.stringify({ metadata: { public: 'false' } })

  it('in process: 500 in Harbor\'s body, logged with its stack', async () => {
    const before = failures().length
    const res = await berth.app.inject({ method: 'PUT', url: '/api/v2.0/projects/library', headers: { authorization: ADMIN_AUTH, 'content-type': 'application/json' }, payload: body })
    assert.equal(res.statusCode, 500, res.body)
    assert.deepEqual(res.json(), { errors: [{ code: 'INTERNAL_SERVER_ERROR', message: 'internal server error' }] })
    assert.equal(failures().length, before + 1)
    assert.match(failures().at(-1)!.err!.stack ?? '', /the disk is on fire\n\s+at /)
  })

  it('over a socket: 500 and logged, never "request aborted by the client"', async () => {
    const before = failures().length
    const res = await fetch(`${origin}/api/v2.0/projects/library`, { method: 'PUT', headers: { authorization: ADMIN_AUTH, 'content-type': 'application/json' }, body })
    const text = await res.text()
    assert.equal(res.status, 500, text)
    assert.ok(!text.includes('aborted'), text)
    assert.equal(failures().length, before + 1)
  })
})
