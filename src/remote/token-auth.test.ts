// Authentication to another registry: challenges parsed, Basic sent only when configured, tokens
// fetched per scope set, cached until they expire, and a refused token never sent again.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { isBerthError } from '../lib/errors.js'
import { parseChallenge, TokenAuth } from './token-auth.js'

describe('parseChallenge', () => {
  it('reads Bearer parameters, quoted or not, and Basic', () => {
    assert.deepEqual(parseChallenge('Bearer realm="https://auth.example/token",service=registry.example,scope="repository:a/b:pull"'), {
      scheme: 'bearer', realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull',
    })
    assert.deepEqual(parseChallenge('basic realm="x"'), { scheme: 'basic' })
  })

  it('is null for a missing header, another scheme, or a Bearer without realm', () => {
    for (const raw of [undefined, 'Negotiate abc', 'Bearer service="x"', '']) assert.equal(parseChallenge(raw), null)
  })
})

describe('TokenAuth', () => {
  const bearer = parseChallenge('Bearer realm="https://auth.example/token",service="reg"')!

  function auth(answers: unknown[], credentials: { username?: string; password?: string } = {}) {
    let clock = 1_000_000
    const asked: { url: URL; headers: Record<string, string> }[] = []
    const a = new TokenAuth(credentials, async (url, headers) => {
      asked.push({ url, headers })
      return answers.shift()
    }, () => clock)
    return { a, asked, advance: (ms: number) => (clock += ms) }
  }

  it('sends nothing before the registry said how it authenticates, and nothing to an open registry', async () => {
    const { a } = auth([])
    assert.equal(a.known, false)
    assert.equal(await a.authorization(['repository:x:pull']), undefined)
    a.adopt(null)
    assert.equal(a.known, true)
    assert.equal(await a.authorization(['repository:x:pull']), undefined)
  })

  it('asks the token service with the scopes and the Basic credentials, then reuses the token until it expires', async () => {
    const { a, asked, advance } = auth([{ token: 't1', expires_in: 300 }, { access_token: 't2' }], { username: 'u', password: 'p' })
    a.adopt(bearer)
    assert.equal(await a.authorization(['repository:b:pull', 'repository:a:pull']), 'Bearer t1')
    assert.equal(asked[0]!.url.searchParams.get('service'), 'reg')
    assert.deepEqual(asked[0]!.url.searchParams.getAll('scope'), ['repository:b:pull', 'repository:a:pull'])
    assert.equal(asked[0]!.headers.authorization, `Basic ${Buffer.from('u:p').toString('base64')}`)
    // The same scopes in another order are the same token.
    assert.equal(await a.authorization(['repository:a:pull', 'repository:b:pull']), 'Bearer t1')
    assert.equal(asked.length, 1)
    advance(301_000)
    assert.equal(await a.authorization(['repository:a:pull', 'repository:b:pull']), 'Bearer t2')
    assert.equal(asked.length, 2)
  })

  it('drops a token the registry refused, so the retry fetches a new one', async () => {
    const { a, asked } = auth([{ token: 'old', expires_in: 300 }, { token: 'new', expires_in: 300 }])
    a.adopt(bearer)
    const sent = await a.authorization(['repository:x:pull'])
    assert.equal(a.learn(bearer, sent), true)
    assert.equal(await a.authorization(['repository:x:pull']), 'Bearer new')
    assert.equal(asked.length, 2)
  })

  it('retries a Basic challenge only when it has credentials it did not send yet', () => {
    assert.equal(auth([], { username: 'u' }).a.learn({ scheme: 'basic' }, undefined), true)
    assert.equal(auth([]).a.learn({ scheme: 'basic' }, undefined), false)
    const { a } = auth([], { username: 'u' })
    assert.equal(a.learn({ scheme: 'basic' }, a.basic), false)
  })

  it('fails UNAUTHORIZED when the token service answers no token', async () => {
    const { a } = auth([{ expires_in: 10 }])
    a.adopt(bearer)
    await assert.rejects(a.authorization(['repository:x:pull']), (e) => isBerthError(e, 'UNAUTHORIZED') && /answered no token/.test((e as Error).message))
  })
})
