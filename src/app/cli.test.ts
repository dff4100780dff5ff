// The admin CLI, run as the built `berth` process against a fresh data dir (SQLite), and once
// against PostgreSQL: help, config check, users, passwords, projects, robots and exit statuses.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { openDb } from '../metadata/db.js'
import { storesOver, type Stores } from '../metadata/stores.js'
import { NO_QUERY } from '../metadata/list-query.js'
import { verifyPassword } from '../auth/password.js'
import { createTestDatabase, dialectSkip } from '../../test/support/databases.js'

const CLI = join(process.cwd(), 'dist/src/app/cli.js')
const ADMIN_PASSWORD = 'Cli-Admin-Passw0rd'

type Result = { status: number | null; stdout: string; stderr: string }

/** Runs `berth args...` with only PATH and `env` in the environment (no BERTH_* from the shell). */
function berth(args: string[], env: Record<string, string> = {}, input?: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s))
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s))
    // A guard against a command that never ends, not a speed check: under a full test run a
    // command (a node start, migrations on a fresh database) can take many seconds.
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000)
    child.on('error', reject)
    child.on('close', (status) => {
      clearTimeout(timer)
      resolve({ status, stdout, stderr })
    })
    child.stdin.end(input ?? '')
  })
}

/** A fresh SQLite data dir; `run` runs berth on it; `stores` opens its database while fn runs. */
async function withDataDir(fn: (d: { run: (args: string[], input?: string, env?: Record<string, string>) => Promise<Result>; stores: <T>(f: (s: Stores) => Promise<T>) => Promise<T> }) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-cli-'))
  const env = { BERTH_DATA_DIR: dir, BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD }
  try {
    await fn({
      run: (args, input, extra = {}) => berth(args, { ...env, ...extra }, input),
      stores: async (f) => {
        const db = await openDb(join(dir, 'berth.db'))
        try {
          return await f(storesOver(db.kysely))
        } finally {
          await db.close()
        }
      },
    })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

function ok(r: Result): Result {
  assert.equal(r.status, 0, `exit ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)
  return r
}

function fails(r: Result, status: number, message: RegExp): void {
  assert.equal(r.status, status, `expected exit ${status}, got ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)
  assert.match(r.stderr, /^berth: /)
  assert.match(r.stderr, message)
}

function printedSecret(stdout: string, label: string): string {
  const m = new RegExp(`^${label}: (\\S+)$`, 'm').exec(stdout)
  assert.ok(m, `no "${label}:" line in ${stdout}`)
  return m[1]!
}

const COMMANDS: Record<string, string[]> = {
  config: ['check'],
  admin: ['reset-password'],
  users: ['list', 'create', 'delete', 'set-admin'],
  projects: ['list', 'create', 'delete'],
  robots: ['list', 'create', 'delete'],
}

// Two tests at a time: each starts several CLI processes in a row, and all at once crowd out the
// rest of a full run on two cores.
describe('berth admin CLI', { concurrency: 2 }, () => {
  it('has help for every command, group and the whole', async () => {
    const all = ok(await berth(['help']))
    for (const c of ['serve', 'migrate']) assert.match(all.stdout, new RegExp(`berth ${c}`))
    for (const [group, commands] of Object.entries(COMMANDS)) for (const c of commands) assert.ok(all.stdout.includes(`berth ${group} ${c}`), `${group} ${c} missing from berth help`)
    assert.equal(ok(await berth(['--help'])).stdout, all.stdout)
    const runs = Object.entries(COMMANDS).flatMap(([group, commands]) => [
      berth([group, '--help']).then((r) => {
        for (const c of commands) assert.ok(ok(r).stdout.includes(`berth ${group} ${c}`), `${group} ${c} missing from berth ${group} --help`)
      }),
      ...commands.flatMap((c) => [
        berth([group, c, '--help']).then((r) => assert.match(ok(r).stdout, new RegExp(`^Usage: berth ${group} ${c}`))),
      ]),
    ])
    await Promise.all(runs)
    assert.match(ok(await berth(['help', 'users', 'create'])).stdout, /^Usage: berth users create <name>[^]*--password-stdin/)
    assert.match(ok(await berth(['help', 'users'])).stdout, /^Usage: berth users <command>/)
    assert.match(ok(await berth(['robots', 'create', '-h'])).stdout, /--actions/)
    assert.match(ok(await berth(['serve', '--help'])).stdout, /^Usage: berth serve/)
  })

  it('answers usage errors with exit 2', async () => {
    const runs: [string[], RegExp][] = [
      [['frobnicate'], /unknown command "frobnicate"/],
      [['users', 'frob'], /unknown command "users frob"/],
      [['users'], /users: which command\?/],
      [['users', 'create'], /missing argument <name>/],
      [['users', 'delete', 'a', 'b'], /unexpected argument "b"/],
      [['users', 'list', '--bogus'], /Unknown option '--bogus'/],
      [['users', 'set-admin', 'bob', 'maybe'], /must be true or false/],
      [['robots', 'create', 'ci', '--actions', 'pull'], /give --project P/],
      [['robots', 'create', 'ci', '--project', 'library'], /--actions is required/],
      [['robots', 'create', 'ci', '--project', 'library', '--actions', 'frob'], /unknown action "frob"/],
      [['robots', 'create', 'ci', '--project', 'library', '--actions', 'pull', '--duration', 'soon'], /--duration must be/],
    ]
    await Promise.all(runs.map(async ([args, message]) => fails(await berth(args), 2, message)))
  })

  it('config check prints the effective settings with secrets masked, or exits 78 naming the key', async () => {
    const key = 'k'.repeat(40)
    const r = ok(await berth(['config', 'check'], { BERTH_SECRET_KEY: key, BERTH_DATA_DIR: '/tmp/berth-cli-check', BERTH_DATABASE_URL: 'postgres://u:dbpass@db/berth' }))
    assert.match(r.stdout, /^secret_key: '\*{8}'$/m)
    assert.ok(!r.stdout.includes(key) && !r.stdout.includes('dbpass'), r.stdout)
    const doc = parseYaml(r.stdout) as { http: { port: number }; data_dir: string; database: { url: string } }
    assert.equal(doc.http.port, 5000)
    assert.equal(doc.data_dir, '/tmp/berth-cli-check')
    assert.equal(doc.database.url, 'postgres://u:********@db/berth')
    const bad = await berth(['config', 'check'], { BERTH_HTTP_PORT: 'abc' })
    fails(bad, 78, /^berth: invalid configuration: config key http\.port: expected a number, got "abc"/)
    fails(await berth(['config', 'check', '--config', '/nonexistent/berth.yml']), 78, /cannot read config file \/nonexistent\/berth\.yml/)
  })

  it('users create, list, set-admin and delete; the printed password works', () =>
    withDataDir(async ({ run, stores }) => {
      const created = ok(await run(['users', 'create', 'alice', '--email', 'alice@example.com', '--realname', 'Alice A']))
      assert.match(created.stdout, /created user "alice"/)
      const password = printedSecret(created.stdout, 'password')
      ok(await run(['users', 'create', 'bob', '--admin', '--password-stdin'], 'Bob-Passw0rd\n'))
      fails(await run(['users', 'create', 'carol', '--password-stdin'], 'weak\n'), 1, /password must be 8 to 128/)
      fails(await run(['users', 'create', 'alice']), 1, /^berth: username is already in use\n$/)
      const listed = JSON.parse(ok(await run(['users', 'list', '--json'])).stdout) as { username: string; email: string; sysadmin_flag: boolean }[]
      assert.deepEqual(
        listed.map((u) => [u.username, u.sysadmin_flag]),
        [
          ['admin', true],
          ['alice', false],
          ['bob', true],
        ],
      )
      assert.equal(listed[1]!.email, 'alice@example.com')
      assert.match(ok(await run(['users', 'list'])).stdout, /^ID +USERNAME +ADMIN[^\n]*\n1 +admin +yes[^\n]*\n2 +alice +no /)
      await stores(async (s) => {
        assert.ok(await verifyPassword(password, (await s.users.get('alice'))!.passwordHash))
        assert.ok(await verifyPassword('Bob-Passw0rd', (await s.users.get('bob'))!.passwordHash))
        assert.equal((await s.users.get('carol')), null)
        const audit = await s.audit.list(NO_QUERY)
        assert.ok(audit.items.some((e) => e.username === 'cli' && e.operation === 'create' && e.resource === 'alice' && e.clientIp === 'cli'))
      })
      ok(await run(['users', 'set-admin', 'alice', 'true']))
      ok(await run(['users', 'set-admin', 'bob', 'false']))
      fails(await run(['users', 'set-admin', 'admin', 'false']), 1, /administrator flag of admin cannot be changed/)
      const after = JSON.parse(ok(await run(['users', 'list', '--json'])).stdout) as { username: string; sysadmin_flag: boolean }[]
      assert.deepEqual(after.map((u) => u.sysadmin_flag), [true, true, false])
      ok(await run(['users', 'delete', 'bob']))
      fails(await run(['users', 'delete', 'bob']), 1, /^berth: user bob not found\n$/)
      fails(await run(['users', 'delete', 'admin']), 1, /admin user cannot be deleted/)
      assert.deepEqual((JSON.parse(ok(await run(['users', 'list', '--json'])).stdout) as { username: string }[]).map((u) => u.username), ['admin', 'alice'])
    }))

  it('admin reset-password checks the policy, changes the hash, and refuses LDAP users', () =>
    withDataDir(async ({ run, stores }) => {
      ok(await run(['migrate']))
      ok(await run(['users', 'list']))
      const hashOf = (name: string) => stores(async (s) => (await s.users.get(name))!.passwordHash)
      const before = await hashOf('admin')
      assert.ok(await verifyPassword(ADMIN_PASSWORD, before))
      fails(await run(['admin', 'reset-password', '--password-stdin'], 'short\n'), 1, /^berth: password must be 8 to 128 characters long\n$/)
      fails(await run(['admin', 'reset-password', '--password-stdin'], 'alllowercase1\n'), 1, /must contain at least one upper-case letter/)
      assert.equal(await hashOf('admin'), before)
      const reset = ok(await run(['admin', 'reset-password', '--password-stdin'], 'New-Admin-Passw0rd\r\n'))
      assert.doesNotMatch(reset.stdout, /password: /)
      const after = await hashOf('admin')
      assert.notEqual(after, before)
      assert.ok(await verifyPassword('New-Admin-Passw0rd', after))
      const generated = printedSecret(ok(await run(['admin', 'reset-password'])).stdout, 'password')
      assert.ok(await verifyPassword(generated, await hashOf('admin')))
      ok(await run(['users', 'create', 'dave', '--password-stdin'], 'Dave-Passw0rd\n'))
      const davePassword = printedSecret(ok(await run(['admin', 'reset-password', '--username', 'dave'])).stdout, 'password')
      assert.ok(await verifyPassword(davePassword, await hashOf('dave')))
      fails(await run(['admin', 'reset-password', '-u', 'nobody']), 1, /^berth: user nobody not found\n$/)
      await stores(async (s) => {
        await s.users.createIfAbsent({ username: 'erin', email: null, realname: '', comment: '', passwordHash: '!ldap', sysadmin: false, ldapDn: 'uid=erin,dc=example,dc=org' })
        const audit = await s.audit.list(NO_QUERY)
        assert.equal(audit.items.filter((e) => e.username === 'cli' && e.operation === 'update' && e.resource === 'admin').length, 2)
        assert.equal(audit.items.filter((e) => e.username === 'cli' && e.operation === 'update' && e.resource === 'dave').length, 1)
      })
      fails(await run(['admin', 'reset-password', '--username', 'erin']), 1, /erin is an LDAP user/)
      assert.equal(await hashOf('erin'), '!ldap')
    }))

  it('projects create, list and delete; a project with repositories is not deleted', () =>
    withDataDir(async ({ run, stores }) => {
      assert.match(ok(await run(['projects', 'create', 'web', '--public'])).stdout, /created public project "web"/)
      ok(await run(['projects', 'create', 'scratch']))
      fails(await run(['projects', 'create', 'web']), 1, /^berth: project web already exists\n$/)
      fails(await run(['projects', 'create', 'Bad_Name!']), 1, /^berth: project name must be/)
      const listed = JSON.parse(ok(await run(['projects', 'list', '--json'])).stdout) as { name: string; owner_name: string; metadata: { public: string } }[]
      assert.deepEqual(
        listed.map((p) => [p.name, p.metadata.public]),
        [
          ['library', 'true'],
          ['scratch', 'false'],
          ['web', 'true'],
        ],
      )
      assert.equal(listed.find((p) => p.name === 'web')!.owner_name, 'admin')
      await stores(async (s) => void (await s.repositories.ensure((await s.projects.get('web'))!.id, 'web/app')))
      fails(await run(['projects', 'delete', 'web']), 1, /^berth: project web still has repositories; delete them first\n$/)
      ok(await run(['projects', 'delete', 'scratch']))
      fails(await run(['projects', 'delete', 'scratch']), 1, /^berth: project not found\n$/)
      const table = ok(await run(['projects', 'list'])).stdout
      assert.match(table, /^ID +NAME +PUBLIC +REPOSITORIES +OWNER +CREATED\n1 +library +yes +0 +admin +\S+\n2 +web +yes +1 +admin +\S+\n$/)
    }))

  it('robots create prints the secret once; list and delete', () =>
    withDataDir(async ({ run }) => {
      ok(await run(['projects', 'create', 'web']))
      const created = ok(await run(['robots', 'create', 'ci', '--project', 'web', '--actions', 'pull,push', '--duration', '7']))
      assert.equal(printedSecret(created.stdout, 'name'), 'robot$web+ci')
      assert.match(printedSecret(created.stdout, 'secret'), /^[\w-]{20,}$/)
      assert.match(created.stderr, /shown only this once/)
      const system = JSON.parse(ok(await run(['robots', 'create', 'mirror', '--system', '--projects', '*', '--actions', 'pull', '--duration', 'never', '--json'])).stdout) as { name: string; secret: string; expires_at: number }
      assert.equal(system.name, 'robot$mirror')
      assert.equal(system.expires_at, -1)
      assert.ok(system.secret.length >= 20)
      fails(await run(['robots', 'create', 'ci', '--project', 'web', '--actions', 'pull']), 1, /^berth: robot account robot\$web\+ci already exists\n$/)
      fails(await run(['robots', 'create', 'x', '--project', 'nope', '--actions', 'pull']), 1, /^berth: project not found\n$/)
      fails(await run(['robots', 'create', 'x', '--project', 'web', '--actions', 'project:delete']), 1, /project:delete cannot be granted/)
      type RobotJson = { id: number; name: string; level: string; duration: number; permissions: { namespace: string; access: { resource: string; action: string }[] }[] }
      const all = JSON.parse(ok(await run(['robots', 'list', '--json'])).stdout) as RobotJson[]
      assert.deepEqual(all.map((r) => [r.name, r.level]), [['robot$web+ci', 'project'], ['robot$mirror', 'system']])
      assert.equal(all[0]!.duration, 7)
      assert.deepEqual(all[0]!.permissions, [{ kind: 'project', namespace: 'web', access: [{ resource: 'repository', action: 'pull' }, { resource: 'repository', action: 'push' }] }])
      const ofWeb = JSON.parse(ok(await run(['robots', 'list', '--project', 'web', '--json'])).stdout) as RobotJson[]
      assert.deepEqual(ofWeb.map((r) => r.name), ['robot$web+ci'])
      assert.match(ok(await run(['robots', 'list'])).stdout, /\n\d+ +robot\$web\+ci +project +web=pull,push +no +\d{4}-/)
      fails(await run(['robots', 'list', '--project', 'nope']), 1, /^berth: project nope not found\n$/)
      ok(await run(['robots', 'delete', 'web+ci']))
      ok(await run(['robots', 'delete', String(all[1]!.id)]))
      fails(await run(['robots', 'delete', 'robot$web+ci']), 1, /^berth: robot account robot\$web\+ci not found\n$/)
      assert.deepEqual(JSON.parse(ok(await run(['robots', 'list', '--json'])).stdout), [])
    }))

  it('works on PostgreSQL', async (t) => {
    const skip = await dialectSkip('postgres')
    if (skip.skip !== undefined) return t.skip(skip.skip)
    const database = await createTestDatabase('postgres')
    try {
      await withDataDir(async ({ run }) => {
        const env = { BERTH_DATABASE_URL: database.url }
        const created = ok(await run(['users', 'create', 'alice'], undefined, env))
        printedSecret(created.stdout, 'password')
        ok(await run(['projects', 'create', 'web'], undefined, env))
        const robot = ok(await run(['robots', 'create', 'ci', '--project', 'web', '--actions', 'pull'], undefined, env))
        assert.equal(printedSecret(robot.stdout, 'name'), 'robot$web+ci')
        const users = JSON.parse(ok(await run(['users', 'list', '--json'], undefined, env)).stdout) as { username: string }[]
        assert.deepEqual(users.map((u) => u.username), ['admin', 'alice'])
        const robots = JSON.parse(ok(await run(['robots', 'list', '--json'], undefined, env)).stdout) as { name: string }[]
        assert.deepEqual(robots.map((r) => r.name), ['robot$web+ci'])
        ok(await run(['admin', 'reset-password', '--password-stdin'], 'Pg-Admin-Passw0rd\n', env))
        fails(await run(['projects', 'delete', 'nope'], undefined, env), 1, /^berth: project not found\n$/)
        assert.match(ok(await run(['config', 'check'], undefined, env)).stdout, /^# database: postgres:\/\//m)
      })
    } finally {
      await database.drop()
    }
  })
})
