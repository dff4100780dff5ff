// End-to-end: /v2/ authentication and authorization through a real Berth process and real skopeo:
// the Bearer challenge, the token service, users, project members, robots, token scopes, token
// lifetime and signatures, and wrong passwords.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { layoutManifestFor, writeImage, type ImageFixture } from '../fixtures/oci-layout.js'
import { missingTools, startBerth, withServerLogs, type BerthProcess } from '../support/berth-process.js'
import { runCommand, type CommandResult } from '../support/run-command.js'

// --insecure-policy: the host's /etc/containers/policy.json must not decide the outcome.
// --command-timeout: a hung request fails with skopeo's own message, naming the request.
const skopeoFlags = ['--insecure-policy', '--command-timeout', '60s']

/** What skopeo says when the registry refused it (401 or 403). */
const refused = /unauthorized|denied|authentication required/i

const basic = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`

/** The parameters of a `Bearer k="v",k="v"` challenge (null when it is not a Bearer challenge). */
function bearerChallenge(header: string | null): Record<string, string> | null {
  if (header === null || !/^Bearer\s/i.test(header)) return null
  const out: Record<string, string> = {}
  for (const m of header.slice('Bearer'.length).matchAll(/\s*([a-z_]+)="([^"]*)"\s*,?/gi)) out[m[1]!] = m[2]!
  return out
}

/** The decoded parts of a JWT (no verification). */
function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const parts = token.split('.')
  assert.equal(parts.length, 3, `a JWT has 3 parts: ${token}`)
  const json = (s: string) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as Record<string, unknown>
  return { header: json(parts[0]!), payload: json(parts[1]!) }
}

/** The token with one character in the middle of its signature changed (not the last one: its low bits are padding). */
function tamperSignature(token: string): string {
  const [h, p, sig] = token.split('.') as [string, string, string]
  const i = Math.floor(sig.length / 2)
  const flipped = sig[i] === 'A' ? 'B' : 'A'
  return `${h}.${p}.${sig.slice(0, i)}${flipped}${sig.slice(i + 1)}`
}

type TokenAnswer = { token: string; access_token: string; expires_in: number; issued_at: string }

describe('registry authentication and authorization (skopeo, tokens)', { skip: missingTools(['skopeo']), timeout: 180_000 }, () => {
  let berth: BerthProcess | undefined
  /** A second, unrelated instance (own data dir, own signing key), for foreign tokens. */
  let other: BerthProcess | undefined
  let work = ''
  let layout = ''
  let authFile = ''
  let host = ''
  const server = () => berth
  const images = new Map<string, ImageFixture>()

  const bob = { username: 'bob', password: 'Bob-Passw0rd-e2e' }
  const bobCreds = `${bob.username}:${bob.password}`
  const A = 'team-a' // private; bob is a Developer here
  const B = 'team-b' // private; bob is nothing here

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'berth-e2e-auth-'))
    layout = join(work, 'layout')
    // An empty auth file: whatever the host's ~/.docker/config.json or auth.json holds, an
    // "anonymous" skopeo below is anonymous, and one with --creds uses exactly those.
    authFile = join(work, 'auth.json')
    writeFileSync(authFile, JSON.stringify({ auths: {} }))
    for (const seed of ['lib', 'priv', 'anon', 'dev', 'robot', 'b-base', 'x', 'y', 'wrong']) {
      images.set(seed, writeImage(layout, { seed: `registry-auth-${seed}`, tag: seed }))
    }
    // Tokens live 1 minute here, so that test 7 can read the configured lifetime off a token.
    ;[berth, other] = await Promise.all([startBerth({ env: { BERTH_AUTH_TOKEN_TTL_MINUTES: '1' } }), startBerth()])
    host = `127.0.0.1:${berth.port}`

    for (const name of [A, B]) {
      const res = await api('POST', '/api/v2.0/projects', { project_name: name, metadata: { public: 'false' } })
      assert.equal(res.status, 201, `create project ${name}: ${await res.text()}`)
    }
    const user = await api('POST', '/api/v2.0/users', { ...bob, email: 'bob@example.com', realname: 'Bob' })
    assert.equal(user.status, 201, `create user bob: ${await user.text()}`)
    const member = await api('POST', `/api/v2.0/projects/${A}/members`, { role_id: 2, member_user: { username: bob.username } })
    assert.equal(member.status, 201, `bob as developer of ${A}: ${await member.text()}`)
  })

  after(async () => {
    await Promise.all([berth?.stop(), other?.stop()])
    if (work !== '') rmSync(work, { recursive: true, force: true })
  })

  /** A management API call as the admin (or with `authorization`). */
  async function api(method: string, path: string, body?: unknown, authorization = berth!.authorization): Promise<Response> {
    return await fetch(`${berth!.url}${path}`, {
      method,
      headers: { authorization, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
  }

  function skopeo(args: readonly string[], allowFailure = false): Promise<CommandResult> {
    return runCommand('skopeo', [...skopeoFlags, ...args], {
      timeoutMs: 90_000,
      allowFailure,
      env: { ...process.env, REGISTRY_AUTH_FILE: authFile },
    })
  }

  /** skopeo copy of fixture `seed` to `repo:tag`; `creds` null: anonymous. */
  function push(seed: string, ref: string, creds: string | null, allowFailure = false): Promise<CommandResult> {
    const auth = creds === null ? [] : ['--dest-creds', creds]
    return skopeo(['copy', '--dest-tls-verify=false', ...auth, `oci:${layout}:${seed}`, `docker://${host}/${ref}`], allowFailure)
  }

  /** skopeo copy of `repo:tag` into a fresh layout; resolves with the digest pulled (undefined when it failed). */
  async function pull(ref: string, creds: string | null, allowFailure = false): Promise<{ result: CommandResult; digest: string | undefined }> {
    const dir = mkdtempSync(join(work, 'pull-'))
    const auth = creds === null ? [] : ['--src-creds', creds]
    const result = await skopeo(['copy', '--src-tls-verify=false', ...auth, `docker://${host}/${ref}`, `oci:${dir}:pulled`], allowFailure)
    return { result, digest: result.code === 0 ? layoutManifestFor(dir, 'pulled')?.digest : undefined }
  }

  function digestOf(seed: string): string {
    const img = images.get(seed)
    assert.ok(img, `fixture ${seed}`)
    return img.manifest.digest
  }

  /** GET /v2/<repo>/tags/list as the admin: the tags, or null when the repository does not exist (404 NAME_UNKNOWN). */
  async function tagsAsAdmin(repo: string): Promise<string[] | null> {
    const res = await fetch(`${berth!.url}/v2/${repo}/tags/list`, { headers: { authorization: berth!.authorization } })
    const body = await res.text()
    if (res.status === 404) {
      assert.ok((JSON.parse(body) as { errors: { code: string }[] }).errors.some((e) => e.code === 'NAME_UNKNOWN'), body)
      return null
    }
    assert.equal(res.status, 200, `tags of ${repo}: ${body}`)
    return (JSON.parse(body) as { tags: string[] | null }).tags ?? []
  }

  async function catalogAsAdmin(): Promise<string[]> {
    const res = await fetch(`${berth!.url}/v2/_catalog?n=1000`, { headers: { authorization: berth!.authorization } })
    const body = await res.text()
    assert.equal(res.status, 200, `catalog: ${body}`)
    return (JSON.parse(body) as { repositories: string[] }).repositories
  }

  /** A registry token from `server`'s /service/token for `scopes`, with `authorization` (or anonymous). */
  async function token(server: BerthProcess, scopes: string[], authorization?: string): Promise<TokenAnswer> {
    const q = new URLSearchParams({ service: 'berth-registry' })
    for (const s of scopes) q.append('scope', s)
    const res = await fetch(`${server.url}/service/token?${q}`, { headers: authorization === undefined ? {} : { authorization } })
    const body = await res.text()
    assert.equal(res.status, 200, `token for ${scopes.join(' ')}: ${body}`)
    const answer = JSON.parse(body) as TokenAnswer
    assert.equal(typeof answer.token, 'string')
    assert.equal(answer.access_token, answer.token)
    return answer
  }

  const bearer = (t: string) => ({ authorization: `Bearer ${t}` })

  it(
    '1. answers an anonymous GET /v2/ with 401 and a Bearer challenge pointing at the token service',
    withServerLogs(server, async () => {
      const res = await fetch(`${berth!.url}/v2/`)
      const body = await res.text()
      assert.equal(res.status, 401, body)
      const challenge = bearerChallenge(res.headers.get('www-authenticate'))
      assert.ok(challenge, `WWW-Authenticate: ${res.headers.get('www-authenticate')}`)
      assert.equal(challenge.realm, `${berth!.url}/service/token`)
      assert.equal(challenge.service, 'berth-registry')
      assert.equal(challenge.error, undefined, 'no error for a request without credentials')
      assert.equal((JSON.parse(body) as { errors: { code: string }[] }).errors[0]?.code, 'UNAUTHORIZED')

      // With the admin's Basic credentials, the same request is answered.
      const ok = await fetch(`${berth!.url}/v2/`, { headers: { authorization: berth!.authorization } })
      await ok.arrayBuffer()
      assert.equal(ok.status, 200)
    }),
  )

  it(
    '2. pushes and pulls as admin in library and in a private project; anonymous pulls only from library',
    withServerLogs(server, async () => {
      const created = await api('POST', '/api/v2.0/projects', { project_name: 'secret', metadata: { public: 'false' } })
      assert.equal(created.status, 201, await created.text())
      const shown = await api('GET', '/api/v2.0/projects/secret')
      assert.equal(((await shown.json()) as { metadata: { public: string } }).metadata.public, 'false')

      await push('lib', 'library/auth-lib:v1', berth!.creds)
      await push('priv', 'secret/app:v1', berth!.creds)

      const lib = await pull('library/auth-lib:v1', berth!.creds)
      assert.equal(lib.digest, digestOf('lib'), 'digest pulled from library as admin')
      const priv = await pull('secret/app:v1', berth!.creds)
      assert.equal(priv.digest, digestOf('priv'), 'digest pulled from the private project as admin')

      const anonPriv = await pull('secret/app:v1', null, true)
      assert.notEqual(anonPriv.result.code, 0, 'an anonymous pull from a private project must fail')
      assert.match(anonPriv.result.stderr, refused)
      assert.equal(anonPriv.digest, undefined)

      const anonLib = await pull('library/auth-lib:v1', null)
      assert.equal(anonLib.digest, digestOf('lib'), 'digest pulled anonymously from the public library')
    }),
  )

  it(
    '3. refuses an anonymous push to library and creates nothing',
    withServerLogs(server, async () => {
      const r = await push('anon', 'library/anon-push:v1', null, true)
      assert.notEqual(r.code, 0, 'an anonymous push must fail')
      assert.match(r.stderr, refused)
      assert.equal(await tagsAsAdmin('library/anon-push'), null, 'the repository must not exist')
      assert.ok(!(await catalogAsAdmin()).includes('library/anon-push'))
    }),
  )

  it(
    '4. lets a Developer push to their project and nowhere else',
    withServerLogs(server, async () => {
      await push('dev', `${A}/app:v1`, bobCreds)
      assert.deepEqual(await tagsAsAdmin(`${A}/app`), ['v1'])

      const denied = await push('dev', `${B}/app:v1`, bobCreds, true)
      assert.notEqual(denied.code, 0, `bob's push to ${B} must fail`)
      assert.match(denied.stderr, refused)
      assert.equal(await tagsAsAdmin(`${B}/app`), null, `${B}/app must not exist`)
      assert.deepEqual((await catalogAsAdmin()).filter((r) => r.startsWith(`${B}/`)), [], `${B} stays empty`)
    }),
  )

  it(
    '5. lets a project robot push and pull in its project only, and not once it is disabled',
    withServerLogs(server, async () => {
      const res = await api('POST', '/api/v2.0/robots', {
        name: 'ci',
        level: 'project',
        duration: -1,
        permissions: [
          {
            kind: 'project',
            namespace: A,
            access: [
              { resource: 'repository', action: 'pull' },
              { resource: 'repository', action: 'push' },
            ],
          },
        ],
      })
      const body = await res.text()
      assert.equal(res.status, 201, body)
      const robot = JSON.parse(body) as { id: number; name: string; secret: string }
      assert.equal(robot.name, `robot$${A}+ci`)
      const robotCreds = `${robot.name}:${robot.secret}`

      await push('robot', `${A}/robot:v1`, robotCreds)
      assert.equal((await pull(`${A}/robot:v1`, robotCreds)).digest, digestOf('robot'), 'the robot pulls back what it pushed')

      // Something the robot could pull from B if it were allowed to: a refusal is then about access.
      await push('b-base', `${B}/base:v1`, berth!.creds)
      const pushB = await push('robot', `${B}/robot:v1`, robotCreds, true)
      assert.notEqual(pushB.code, 0, `the robot's push to ${B} must fail`)
      assert.match(pushB.stderr, refused)
      assert.equal(await tagsAsAdmin(`${B}/robot`), null)
      const pullB = await pull(`${B}/base:v1`, robotCreds, true)
      assert.notEqual(pullB.result.code, 0, `the robot's pull from ${B} must fail`)
      assert.match(pullB.result.stderr, refused)

      const disabled = await api('PUT', `/api/v2.0/robots/${robot.id}`, { disable: true })
      assert.equal(disabled.status, 200, await disabled.text())
      const disabledPull = await pull(`${A}/robot:v1`, robotCreds, true)
      assert.notEqual(disabledPull.result.code, 0, 'a disabled robot must not pull')
      assert.match(disabledPull.result.stderr, refused)
    }),
  )

  it(
    '6. honours the scope of a bearer token: one repository, pull only',
    withServerLogs(server, async () => {
      await push('x', `${A}/x:v1`, bobCreds)
      await push('y', `${A}/y:v1`, bobCreds)
      const bobAuth = basic(bob.username, bob.password)

      const t = await token(berth!, [`repository:${A}/x:pull`], bobAuth)
      assert.deepEqual(decodeJwt(t.token).payload.access, [{ type: 'repository', name: `${A}/x`, actions: ['pull'] }])
      // A scope bob holds nothing in is granted as nothing.
      const none = await token(berth!, [`repository:${B}/x:pull,push`], bobAuth)
      assert.deepEqual(decodeJwt(none.token).payload.access, [{ type: 'repository', name: `${B}/x`, actions: [] }])

      const listed = await fetch(`${berth!.url}/v2/${A}/x/tags/list`, { headers: bearer(t.token) })
      const listedBody = await listed.text()
      assert.equal(listed.status, 200, listedBody)
      assert.deepEqual((JSON.parse(listedBody) as { tags: string[] }).tags, ['v1'])

      const otherRepo = await fetch(`${berth!.url}/v2/${A}/y/tags/list`, { headers: bearer(t.token) })
      const otherBody = await otherRepo.text()
      assert.equal(otherRepo.status, 401, otherBody)
      const otherChallenge = bearerChallenge(otherRepo.headers.get('www-authenticate'))
      assert.equal(otherChallenge?.error, 'insufficient_scope', `WWW-Authenticate: ${otherRepo.headers.get('www-authenticate')}`)
      assert.equal(otherChallenge?.scope, `repository:${A}/y:pull`)

      const upload = await fetch(`${berth!.url}/v2/${A}/x/blobs/uploads/`, { method: 'POST', headers: bearer(t.token) })
      const uploadBody = await upload.text()
      assert.equal(upload.status, 401, `POST blobs/uploads/ with a pull-only token: ${uploadBody}`)
      assert.equal(bearerChallenge(upload.headers.get('www-authenticate'))?.error, 'insufficient_scope')

      const manifest = await fetch(`${berth!.url}/v2/${A}/x/manifests/v1`, { headers: { ...bearer(t.token), accept: 'application/vnd.oci.image.manifest.v1+json' } })
      const manifestBody = Buffer.from(await manifest.arrayBuffer())
      assert.equal(manifest.status, 200)
      const put = await fetch(`${berth!.url}/v2/${A}/x/manifests/v2`, {
        method: 'PUT',
        headers: { ...bearer(t.token), 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
        body: manifestBody,
      })
      const putBody = await put.text()
      assert.equal(put.status, 401, `PUT manifests/v2 with a pull-only token: ${putBody}`)
      assert.equal(bearerChallenge(put.headers.get('www-authenticate'))?.error, 'insufficient_scope')
      assert.deepEqual(await tagsAsAdmin(`${A}/x`), ['v1'], 'the refused PUT tagged nothing')
    }),
  )

  it(
    '7. issues tokens for the configured lifetime, and refuses tampered tokens and tokens of another instance',
    withServerLogs(server, async () => {
      await push('lib', 'library/auth-lib:v1', berth!.creds) // as in test 2: the repository the tokens below are for
      const scope = 'repository:library/auth-lib:pull'
      const route = `${berth!.url}/v2/library/auth-lib/tags/list`

      const t = await token(berth!, [scope], berth!.authorization)
      const { header, payload } = decodeJwt(t.token)
      assert.equal(header.alg, 'ES256')
      assert.equal(typeof payload.iat, 'number')
      assert.equal((payload.exp as number) - (payload.iat as number), 60, 'BERTH_AUTH_TOKEN_TTL_MINUTES=1: exp - iat')
      assert.equal(t.expires_in, 60)
      assert.equal(payload.aud, 'berth-registry')

      const good = await fetch(route, { headers: bearer(t.token) })
      await good.arrayBuffer()
      assert.equal(good.status, 200, 'the untampered token is accepted')

      const tampered = await fetch(route, { headers: bearer(tamperSignature(t.token)) })
      const tamperedBody = await tampered.text()
      assert.equal(tampered.status, 401, `a token with a tampered signature: ${tamperedBody}`)

      // The other instance grants the same scope (library exists there too), signed with its own key.
      const foreign = await token(other!, [scope], other!.authorization)
      const foreignJwt = decodeJwt(foreign.token)
      assert.deepEqual(foreignJwt.payload.access, [{ type: 'repository', name: 'library/auth-lib', actions: ['pull'] }])
      assert.notEqual(foreignJwt.header.kid, header.kid, 'each instance signs with its own key')
      const refusedForeign = await fetch(route, { headers: bearer(foreign.token) })
      const foreignBody = await refusedForeign.text()
      assert.equal(refusedForeign.status, 401, `a token from another instance: ${foreignBody}`)
    }),
  )

  it(
    '8. refuses a wrong password, in skopeo and at the token service',
    withServerLogs(server, async () => {
      const r = await push('wrong', 'library/wrong-password:v1', `${berth!.username}:wrong`, true)
      assert.notEqual(r.code, 0, 'a push with a wrong password must fail')
      assert.match(r.stderr, refused)
      assert.equal(await tagsAsAdmin('library/wrong-password'), null)

      const res = await fetch(`${berth!.url}/service/token?service=berth-registry&scope=repository:library/auth-lib:pull`, {
        headers: { authorization: basic(berth!.username, 'wrong') },
      })
      const body = await res.text()
      assert.equal(res.status, 401, body)
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
      const errors = (JSON.parse(body) as { errors: { code: string; message: string }[] }).errors
      assert.equal(errors[0]?.code, 'UNAUTHORIZED', body)
      assert.equal(typeof errors[0]?.message, 'string')
    }),
  )
})
