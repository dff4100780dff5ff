// A new team's first day in the console, in Chromium, on SQLite and on PostgreSQL: the admin signs
// in, creates a private project, pushes an image into it with skopeo, finds it and copies its pull
// command, switches the console to German, adds a developer, creates a pull robot whose secret
// works for skopeo and is gone from the page once its dialog closes, runs a garbage collection dry
// run, and signs out. Each step checks what the server did as well as what the page shows, and
// that the page reported no script error or CSP violation.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Browser } from 'playwright-core'
import { writeImage, type ImageFixture } from '../fixtures/oci-layout.js'
import { ADMIN_AUTH, TEST_ADMIN_PASSWORD } from '../support/berth-app.js'
import { missingTools } from '../support/berth-process.js'
import { launchBrowser, missingBrowser, openPage, signIn, startConsoleServer, tableRows, type ConsolePage, type ConsoleServer } from '../support/browser.js'
import { DIALECTS, dialectSkip } from '../support/databases.js'
import { runCommand } from '../support/run-command.js'
import { waitUntil } from '../support/until.js'
import type { Dialect } from '../../src/metadata/schema.js'

/** As in test/e2e/skopeo.test.ts: the host's policy.json must not decide, and a hung request fails with skopeo's message. */
const SKOPEO_FLAGS = ['--insecure-policy', '--command-timeout', '60s']

const skopeo = (args: readonly string[]) => runCommand('skopeo', [...SKOPEO_FLAGS, ...args], { timeoutMs: 90_000 })

/** Chromium and the built console, skopeo, and (for the PostgreSQL suite) the database: the first one missing. */
async function skipReason(dialect: Dialect): Promise<string | false> {
  return missingBrowser() ?? (missingTools(['skopeo']) || ((await dialectSkip(dialect)).skip ?? false))
}

for (const dialect of DIALECTS) {
  describe(`a new team's journey through the console on ${dialect}`, { skip: await skipReason(dialect), timeout: 120_000 }, () => {
    let server: ConsoleServer
    let browser: Browser
    let p: ConsolePage
    let work = ''
    let host = ''
    let image: ImageFixture
    let archive = ''
    let projectId = 0

    /** A request to the API as the admin, which must succeed. */
    const api = async (method: 'GET' | 'POST', path: string, body?: object) => {
      const res = await server.berth.app.inject({ method, url: `/api/v2.0${path}`, headers: { authorization: ADMIN_AUTH }, ...(body !== undefined ? { payload: body } : {}) })
      assert.ok(res.statusCode < 300, `${method} ${path}: ${res.statusCode} ${res.body}`)
      return res
    }

    before(async () => {
      server = await startConsoleServer(dialect)
      host = new URL(server.url).host
      browser = await launchBrowser()
      p = await openPage(browser)
      // One step's failure should not use up the others' time.
      p.page.setDefaultTimeout(15_000)
      // A tiny image (config and two layers) as an oci-archive: an OCI layout in a tar.
      work = mkdtempSync(join(tmpdir(), 'berth-journey-'))
      image = writeImage(join(work, 'layout'), { seed: `journey-${dialect}`, tag: '1.0' })
      archive = join(work, 'app.tar')
      execFileSync('tar', ['--create', `--file=${archive}`, '--directory', join(work, 'layout'), 'oci-layout', 'index.json', 'blobs'])
    })
    after(async () => {
      await browser?.close()
      await server?.close()
      if (work !== '') rmSync(work, { recursive: true, force: true })
    })

    it('signs in as admin through the form', async () => {
      await signIn(p, server.url)
      await tableRows(p.page, 'Projects')
      const me = (await p.page.evaluate(`fetch('/api/v2.0/users/current').then((r) => r.json())`)) as { username: string; sysadmin_flag: boolean }
      assert.equal(me.username, 'admin')
      assert.equal(me.sysadmin_flag, true)
      assert.deepEqual(p.problems, [])
    })

    it('creates the private project team', async () => {
      const { page } = p
      await page.getByRole('button', { name: 'New project' }).click()
      await page.locator('#project-name').fill('team')
      assert.equal(await page.getByLabel('Public').isChecked(), false, 'a new project is private unless asked')
      await page.getByRole('dialog').getByRole('button', { name: 'Create', exact: true }).click()
      await page.getByText('Project team created').waitFor()
      const row = page.locator('table[aria-label="Projects"] tbody tr').filter({ has: page.getByRole('link', { name: 'team', exact: true }) })
      await row.getByText('Private').waitFor()
      const project = await server.berth.stores.projects.get('team')
      assert.equal(project?.public, false)
      projectId = project!.id
      assert.deepEqual(p.problems, [])
    })

    it('pushes team/app:1.0 with skopeo', async () => {
      await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', `admin:${TEST_ADMIN_PASSWORD}`, `oci-archive:${archive}`, `docker://${host}/team/app:1.0`])
      const artifact = await server.berth.stores.artifacts.getByTag('team/app', '1.0')
      assert.equal(artifact?.digest, image.manifest.digest)
    })

    it('finds the image in the console and copies its pull command', async () => {
      const { page } = p
      await page.getByRole('link', { name: 'Projects' }).click()
      await page.getByRole('link', { name: 'team', exact: true }).click()
      await page.waitForURL(new RegExp(`/projects/${projectId}/repositories$`))
      await page.getByRole('link', { name: 'team/app' }).click()
      await page.waitForURL(new RegExp(`/projects/${projectId}/repositories/app$`))
      const row = (await tableRows(page, 'Artifacts')).filter({ hasText: '1.0' })
      await row.getByText('1.0', { exact: true }).waitFor()
      const short = image.manifest.digest.slice(0, 'sha256:'.length + 12)
      await row.getByRole('button', { name: `Actions for ${short}` }).click()
      await page.getByRole('menuitem', { name: 'Pull command' }).click()

      const dialog = page.getByRole('dialog', { name: 'Pull command' })
      const command = `docker pull ${host}/team/app:1.0`
      assert.equal(await dialog.getByRole('textbox', { name: 'By tag 1.0' }).inputValue(), command)
      await p.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url })
      const clipboard = () => page.evaluate(`navigator.clipboard.readText()`)
      await page.evaluate(`navigator.clipboard.writeText('nothing copied yet')`)
      // The tag's command comes before the digest's: the first copy button is the tag's.
      await dialog.getByRole('button', { name: 'Copy to clipboard' }).first().click()
      await waitUntil('the pull command in the clipboard', async () => (await clipboard()) !== 'nothing copied yet', { timeoutMs: 5_000, everyMs: 50 })
      assert.equal(await clipboard(), command)
      await dialog.getByRole('button', { name: 'Close' }).click()
      await dialog.waitFor({ state: 'detached' })
      assert.deepEqual(p.problems, [])
    })

    it('switches the console to German at once, and adds dev1 as a developer in German', async () => {
      await api('POST', '/users', { username: 'dev1', password: 'Dev1-Passw0rd', email: 'dev1@example.com', realname: 'Dev One' })
      const { page } = p
      // A mark on the window: still there afterwards means the page was not reloaded.
      await page.evaluate(`window.berthJourneyMark = 1`)
      await page.getByRole('button', { name: 'Language' }).click()
      await page.getByRole('menuitem', { name: 'Deutsch' }).click()
      await tableRows(page, 'Artefakte')
      await page.getByRole('tab', { name: 'Mitglieder' }).waitFor()
      assert.equal(await page.evaluate(`window.berthJourneyMark`), 1)
      assert.equal(await page.evaluate(`document.documentElement.lang`), 'de')
      assert.equal(await page.evaluate(`localStorage.getItem('berth.language')`), 'de')

      await page.getByRole('tab', { name: 'Mitglieder' }).click()
      await page.waitForURL(new RegExp(`/projects/${projectId}/members$`))
      await tableRows(page, 'Mitglieder')
      await page.getByRole('button', { name: 'Mitglied hinzufügen' }).click()
      const dialog = page.getByRole('dialog', { name: 'Mitglied hinzufügen' })
      await dialog.locator('#member-username').fill('dev1')
      await dialog.locator('#member-add-role').selectOption({ label: 'Entwickler' })
      await dialog.getByRole('button', { name: 'Hinzufügen', exact: true }).click()
      await page.getByText('dev1 hinzugefügt').waitFor()
      await page.locator('table[aria-label="Mitglieder"] tbody tr').filter({ hasText: 'dev1' }).filter({ hasText: 'Entwickler' }).waitFor()
      const members = (await api('GET', '/projects/team/members?entityname=dev1')).json() as { entity_name: string; role_id: number }[]
      assert.deepEqual(
        members.map((m) => [m.entity_name, m.role_id]),
        [['dev1', 2]],
        'dev1 is a developer (role 2)',
      )

      await page.getByRole('button', { name: 'Sprache' }).click()
      await page.getByRole('menuitem', { name: 'English' }).click()
      await tableRows(page, 'Members')
      assert.equal(await page.evaluate(`window.berthJourneyMark`), 1)
      assert.equal(await page.evaluate(`document.documentElement.lang`), 'en')
      assert.deepEqual(p.problems, [])
    })

    it('creates a pull robot whose secret is shown once, works for skopeo, and is gone after the dialog', async () => {
      const { page } = p
      await page.getByRole('tab', { name: 'Robot accounts' }).click()
      await page.waitForURL(new RegExp(`/projects/${projectId}/robots$`))
      await page.getByRole('button', { name: 'New robot account' }).click()
      await page.locator('#robot-name').fill('ci')
      await page.getByRole('group', { name: 'Repository' }).getByLabel('Pull').check()
      await page.getByLabel('Never expires').check()
      await page.getByRole('dialog').getByRole('button', { name: 'Create', exact: true }).click()

      await page.getByText('Copy the secret now').waitFor()
      const name = await page.getByRole('textbox', { name: 'Name', exact: true }).inputValue()
      const secret = await page.getByRole('textbox', { name: 'Secret', exact: true }).inputValue()
      assert.equal(name, 'robot$team+ci')
      assert.ok(secret.length >= 16, `secret ${JSON.stringify(secret)}`)
      const [robot] = (await api('GET', `/robots?q=${encodeURIComponent(`Level=project,ProjectID=${projectId}`)}`)).json() as { name: string; permissions: { namespace: string; access: { resource: string; action: string }[] }[] }[]
      assert.equal(robot?.name, 'robot$team+ci')
      assert.deepEqual(robot.permissions.map((x) => [x.namespace, x.access.map((a) => `${a.resource}:${a.action}`)]), [['team', ['repository:pull']]])

      const inspected = JSON.parse((await skopeo(['inspect', '--tls-verify=false', '--creds', `${name}:${secret}`, `docker://${host}/team/app:1.0`])).stdout) as { Digest: string }
      assert.equal(inspected.Digest, image.manifest.digest)

      await page.getByRole('button', { name: 'I have copied it' }).click()
      await page.getByRole('dialog').waitFor({ state: 'detached' })
      const rows = await tableRows(page, 'Robot accounts')
      assert.match(await rows.first().innerText(), /robot\$team\+ci/)
      assert.ok(!(await page.content()).includes(secret), 'the secret is still in the page')
      await page.reload()
      await tableRows(page, 'Robot accounts')
      assert.ok(!(await page.content()).includes(secret), 'the secret came back after a reload')
      assert.deepEqual(p.problems, [])
    })

    it('runs a garbage collection dry run and sees it succeed in the history, with its log', async () => {
      const { page } = p
      await page.getByRole('link', { name: 'Garbage collection' }).click()
      await page.waitForURL(/\/admin\/gc$/)
      await page.getByRole('button', { name: 'Dry run' }).click()
      await page.getByText(/Dry run \d+ started/).waitFor()
      // The history refreshes by itself until the run has ended.
      const history = page.locator('table[aria-label="Garbage collection runs"] tbody tr')
      await history.filter({ hasText: 'Succeeded' }).first().waitFor({ timeout: 20_000 })
      const [run] = (await server.berth.stores.executions.list('GARBAGE_COLLECTION', { conditions: [], sort: [], page: 1, pageSize: 5 })).items
      assert.equal(run?.status, 'Success')
      assert.equal(run.extraAttrs.dry_run, true)
      assert.match(await history.first().innerText(), /would be freed/)

      await page.getByRole('button', { name: `Log of run ${run.id}` }).click()
      const log = page.getByRole('dialog', { name: `Log of run ${run.id}` })
      await log.getByText(/dry_run=true/).waitFor()
      await log.getByRole('button', { name: 'Close' }).click()
      await log.waitFor({ state: 'detached' })
      assert.deepEqual(p.problems, [])
    })

    it('signs out, and the API answers 401 to the browser and to its old session', async () => {
      const { page } = p
      const sid = (await p.context.cookies(server.url)).find((c) => c.name === 'sid')?.value
      assert.ok(sid, 'the session cookie')
      await page.getByRole('button', { name: /^User menu/ }).click()
      await page.getByRole('menuitem', { name: 'Sign out' }).click()
      await page.waitForURL(/\/sign-in/)
      assert.equal(await page.evaluate(`fetch('/api/v2.0/users/current').then((r) => r.status)`), 401)
      const replayed = await server.berth.app.inject({ method: 'GET', url: '/api/v2.0/users/current', headers: { cookie: `sid=${sid}` } })
      assert.equal(replayed.statusCode, 401, 'the signed-out session is gone on the server')
      assert.deepEqual(p.problems, [])
      await p.context.close()
    })
  })
}
