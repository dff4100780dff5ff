// The access pages in Chromium: add a member to a project, create a project robot and see its
// secret once (and nowhere after the dialog closes), disable it; and axe-core on every access
// page, in both themes, with no serious or critical violation.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Browser } from 'playwright-core'
import { ADMIN_AUTH, basicAuth } from '../support/berth-app.js'
import { launchBrowser, missingBrowser, signedInPage, startConsoleServer, tableRows, type ConsoleServer } from '../support/browser.js'
import { describeViolations, seriousViolations } from '../support/axe.js'

describe('access pages in Chromium', { skip: missingBrowser() ?? false }, () => {
  let server: ConsoleServer
  let browser: Browser
  let projectId = 0
  /** A request to the API as the admin. */
  const api = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
    const res = await server.berth.app.inject({ method, url: `/api/v2.0${path}`, headers: { authorization: ADMIN_AUTH }, ...(body !== undefined ? { payload: body as object } : {}) })
    assert.ok(res.statusCode < 300, `${method} ${path}: ${res.statusCode} ${res.body}`)
    return res
  }
  /** Whether Basic credentials open the registry. */
  const registryStatus = async (user: string, secret: string) => (await server.berth.app.inject({ method: 'GET', url: '/v2/', headers: { authorization: basicAuth(user, secret) } })).statusCode

  before(async () => {
    server = await startConsoleServer('sqlite')
    browser = await launchBrowser()
    await api('POST', '/projects', { project_name: 'team-web' })
    projectId = (await api('GET', '/projects/team-web')).json().project_id
    await api('POST', '/users', { username: 'alice', password: 'Alice-Passw0rd', email: 'alice@example.com', realname: 'Alice' })
    await api('POST', '/labels', { name: 'release', color: '#3E8635', scope: 'g' })
  })
  after(async () => {
    await browser?.close()
    await server?.close()
  })

  it('adds a member, creates a project robot whose secret is shown once, and disables it', async () => {
    const p = await signedInPage(browser, server.url)
    const { page } = p

    await page.goto(`${server.url}/projects/${projectId}/members`)
    await tableRows(page, 'Members')
    await page.getByRole('button', { name: 'Add member' }).click()
    await page.locator('#member-username').fill('alice')
    await page.locator('#member-add-role').selectOption({ label: 'Maintainer' })
    await page.getByRole('dialog').getByRole('button', { name: 'Add', exact: true }).click()
    await page.getByText('alice added').waitFor()
    await page.waitForFunction(`[...document.querySelectorAll('table[aria-label="Members"] tbody tr')].some((r) => /alice/.test(r.textContent) && /Maintainer/.test(r.textContent))`)
    const members = (await api('GET', '/projects/team-web/members?entityname=alice')).json()
    assert.equal(members[0].role_id, 4)

    await page.goto(`${server.url}/projects/${projectId}/robots`)
    await page.getByRole('button', { name: 'New robot account' }).click()
    await page.locator('#robot-name').fill('ci')
    await page.getByRole('group', { name: 'Repository' }).getByLabel('Pull').check()
    await page.getByLabel('Never expires').check()
    await page.getByRole('dialog').getByRole('button', { name: 'Create', exact: true }).click()
    await page.getByText('Copy the secret now').waitFor()
    const secret = await page.getByRole('textbox', { name: 'Secret', exact: true }).inputValue()
    assert.ok(secret.length >= 16, `secret ${JSON.stringify(secret)}`)
    assert.equal(await page.getByRole('textbox', { name: 'Name', exact: true }).inputValue(), 'robot$team-web+ci')
    assert.equal(await registryStatus('robot$team-web+ci', secret), 200)

    await page.getByRole('button', { name: 'I have copied it' }).click()
    await page.getByRole('dialog').waitFor({ state: 'detached' })
    const rows = await tableRows(page, 'Robot accounts')
    assert.match(await rows.first().innerText(), /robot\$team-web\+ci/)
    assert.ok(!(await page.content()).includes(secret), 'the secret is still in the page')
    await page.reload()
    await tableRows(page, 'Robot accounts')
    assert.ok(!(await page.content()).includes(secret), 'the secret came back after a reload')

    await page.getByRole('button', { name: 'Actions for robot$team-web+ci' }).click()
    await page.getByRole('menuitem', { name: 'Disable' }).click()
    await page.getByText('robot$team-web+ci disabled').waitFor()
    await page.waitForFunction(`/Disabled/.test(document.querySelector('table[aria-label="Robot accounts"] tbody tr').textContent)`)
    const robots = (await api('GET', `/robots?q=${encodeURIComponent(`Level=project,ProjectID=${projectId}`)}`)).json()
    assert.equal(robots[0].disable, true)
    assert.equal(await registryStatus('robot$team-web+ci', secret), 401)

    assert.deepEqual(p.problems, [])
    await p.context.close()
  })

  for (const theme of ['light', 'dark'] as const) {
    it(`axe-core finds nothing serious on the access pages (${theme})`, async () => {
      const p = await signedInPage(browser, server.url, { theme })
      const failures: string[] = []
      const check = async (what: string) => {
        const vs = await seriousViolations(p.page)
        if (vs.length > 0) failures.push(`${what}:\n${describeViolations(vs)}`)
      }
      const pages: [path: string, table: string, open?: string][] = [
        [`/projects/${projectId}/members`, 'Members', 'Add member'],
        [`/projects/${projectId}/robots`, 'Robot accounts', 'New robot account'],
        [`/projects/${projectId}/labels`, 'Labels', 'New label'],
        [`/projects/${projectId}/logs`, 'Logs'],
        ['/admin/robots', 'Robot accounts', 'New robot account'],
        ['/admin/labels', 'Labels', 'New label'],
        ['/admin/logs', 'Audit logs'],
      ]
      for (const [path, table, open] of pages) {
        await p.page.goto(`${server.url}${path}`)
        await p.page.locator(`table[aria-label="${table}"]`).waitFor()
        await p.page.waitForFunction(`!document.querySelector('[aria-busy="true"]')`)
        await check(path)
        if (open !== undefined) {
          await p.page.getByRole('button', { name: open }).click()
          await p.page.getByRole('dialog').waitFor()
          await check(`${path} (${open})`)
        }
      }
      assert.deepEqual(failures, [])
      assert.deepEqual(p.problems, [])
      await p.context.close()
    })
  }
})
