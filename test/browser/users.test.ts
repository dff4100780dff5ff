// Users and settings in Chromium: an administrator creates a user (the confirmation checked
// before the server is asked) and makes them an administrator; the new administrator, in a
// browser context of their own, sets a banner that the sign-in page then shows, and makes a
// project public from its configuration tab. And axe-core finds no serious or critical
// violation on these pages, in either theme.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Browser } from 'playwright-core'
import { ADMIN_AUTH } from '../support/berth-app.js'
import { launchBrowser, missingBrowser, openPage, signedInPage, startConsoleServer, tableRows, type ConsoleServer, waitUntil } from '../support/browser.js'
import { violationsOnPages } from '../support/axe.js'

const PASSWORD = 'Frank-Passw0rd'

describe('users and settings in Chromium', { skip: missingBrowser() ?? false }, () => {
  let server: ConsoleServer
  let browser: Browser
  before(async () => {
    server = await startConsoleServer('sqlite')
    browser = await launchBrowser()
  })
  after(async () => {
    await browser?.close()
    await server?.close()
  })

  it('creates a user, makes them administrator; they set a banner and make a project public', async () => {
    const admin = await signedInPage(browser, server.url)
    const page = admin.page
    await page.goto(`${server.url}/admin/users`)
    await tableRows(page, 'Users')
    // Nobody sees actions on their own row.
    assert.equal(await page.getByRole('button', { name: 'Actions for admin' }).count(), 0)

    await page.getByRole('button', { name: 'New user' }).click()
    const create = page.getByRole('dialog').getByRole('button', { name: 'Create', exact: true })
    await page.locator('#user-username').fill('frank')
    await page.locator('#user-email').fill('frank@example.com')
    await page.locator('#user-realname').fill('Frank Example')
    await page.locator('#user-password').fill(PASSWORD)
    await page.locator('#user-confirm').fill('Frank-Passw0rx')
    await page.getByText('The passwords do not match.').waitFor()
    assert.equal(await create.isDisabled(), true)
    await page.locator('#user-confirm').fill(PASSWORD)
    await create.click()
    await page.getByText('User frank created').waitFor()
    assert.equal((await server.berth.stores.users.get('frank'))?.realname, 'Frank Example')

    await page.getByLabel('Search users by name').fill('fra')
    await page.waitForURL(/q=fra/)
    await waitUntil(page, `document.querySelectorAll('table[aria-label="Users"] tbody tr').length === 1`)
    await page.getByRole('button', { name: 'Actions for frank' }).click()
    await page.getByRole('menuitem', { name: 'Make administrator' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Make administrator' }).click()
    await page.getByText('frank is now an administrator').waitFor()
    assert.equal((await server.berth.stores.users.get('frank'))?.sysadmin, true)
    assert.deepEqual(admin.problems, [])
    await admin.context.close()

    // The new administrator, in a context of their own.
    const frank = await signedInPage(browser, server.url, { username: 'frank', password: PASSWORD })
    await frank.page.getByRole('link', { name: 'Users' }).waitFor()
    await frank.page.goto(`${server.url}/admin/settings`)
    await frank.page.locator('#banner-message').fill('Maintenance on Sunday')
    await frank.page.locator('#banner-type').selectOption('warning')
    await frank.page.getByRole('button', { name: 'Save', exact: true }).click()
    await frank.page.getByText('Settings saved').waitFor()
    const stored = JSON.parse(String((await server.berth.stores.settings.all()).banner_message)) as Record<string, unknown>
    assert.deepEqual(stored, { message: 'Maintenance on Sunday', type: 'warning', closable: false, fromDate: '', toDate: '' })
    // Only the banner was sent: no other setting was written.
    assert.deepEqual(Object.keys(await server.berth.stores.settings.all()), ['banner_message'])

    const visitor = await openPage(browser)
    await visitor.page.goto(`${server.url}/sign-in`)
    await visitor.page.getByText('Maintenance on Sunday').waitFor()
    assert.deepEqual(visitor.problems, [])
    await visitor.context.close()
    // Signed-in pages show it too, above their content, without a reload.
    await frank.page.getByRole('link', { name: 'Projects' }).click()
    await frank.page.locator('.berth-banner').getByText('Maintenance on Sunday').waitFor()

    const created = await fetch(`${server.url}/api/v2.0/projects`, { method: 'POST', headers: { authorization: ADMIN_AUTH, 'content-type': 'application/json' }, body: JSON.stringify({ project_name: 'shared' }) })
    assert.equal(created.status, 201)
    const project = (await server.berth.stores.projects.get('shared'))!
    assert.equal(project.public, false)
    await frank.page.goto(`${server.url}/projects/${project.id}/configuration`)
    await frank.page.getByLabel('Public', { exact: true }).check()
    await frank.page.getByRole('button', { name: 'Save' }).click()
    await frank.page.getByText('Configuration saved').waitFor()
    assert.equal((await server.berth.stores.projects.get('shared'))?.public, true)
    assert.deepEqual(frank.problems, [])
    await frank.context.close()
  })

  it('switches read-only mode and audit log forwarding from the settings page', async (t) => {
    const admin = await signedInPage(browser, server.url)
    const page = admin.page
    const save = page.getByRole('button', { name: 'Save', exact: true })
    // Whatever happens here, the suite's later tests need a writable registry.
    const thaw = () => server.berth.app.inject({ method: 'PUT', url: '/api/v2.0/configurations', headers: { authorization: ADMIN_AUTH }, payload: { read_only: false, skip_audit_log_database: false, audit_log_forward_endpoint: '' } })
    t.after(thaw)
    await page.goto(`${server.url}/admin/settings`)
    // Entries kept out of the database need an endpoint: the form says so before the server does.
    await page.getByLabel('Do not write audit entries to the database, only forward them').check()
    await page.getByText('Set a syslog endpoint first').waitFor()
    assert.equal(await save.isDisabled(), true)
    await page.locator('#audit-endpoint').fill('udp://127.0.0.1:5514')
    await page.getByLabel('Refuse every change (read-only mode)').check()
    await save.click()
    await page.getByText('Settings saved').waitFor()
    const stored = await server.berth.stores.settings.all()
    assert.deepEqual([stored.read_only, stored.audit_log_forward_endpoint, stored.skip_audit_log_database], [true, 'udp://127.0.0.1:5514', true])
    await page.locator('.berth-banner, [role="alert"], .pf-v6-c-alert').getByText('Read-only mode: pushes', { exact: false }).first().waitFor()
    const refused = await fetch(`${server.url}/api/v2.0/projects`, { method: 'POST', headers: { authorization: ADMIN_AUTH, 'content-type': 'application/json' }, body: JSON.stringify({ project_name: 'frozen' }) })
    assert.equal(refused.status, 403)

    // The same page switches it off again (PUT /configurations stays open while read-only).
    await page.getByLabel('Refuse every change (read-only mode)').uncheck()
    await page.getByLabel('Do not write audit entries to the database, only forward them').uncheck()
    await page.locator('#audit-endpoint').fill('')
    await save.click()
    // Saved when the store says so (the first save's toast may still be shown beside the second's).
    for (let i = 0; (await server.berth.stores.settings.all()).read_only !== false; i++) {
      assert.ok(i < 200, 'read_only was not switched off')
      await new Promise((r) => setTimeout(r, 50))
    }
    const after = await server.berth.stores.settings.all()
    assert.deepEqual([after.read_only, after.audit_log_forward_endpoint, after.skip_audit_log_database], [false, '', false])
    await waitUntil(page, `!document.body.innerText.includes('Read-only mode:')`)
    const created = await fetch(`${server.url}/api/v2.0/projects`, { method: 'POST', headers: { authorization: ADMIN_AUTH, 'content-type': 'application/json' }, body: JSON.stringify({ project_name: 'thawed' }) })
    assert.equal(created.status, 201)
    assert.deepEqual(admin.problems, [])
    await admin.context.close()
  })

  for (const theme of ['light', 'dark'] as const) {
    it(`the pages of this area pass axe-core (${theme})`, async () => {
      const created = await fetch(`${server.url}/api/v2.0/projects`, { method: 'POST', headers: { authorization: ADMIN_AUTH, 'content-type': 'application/json' }, body: JSON.stringify({ project_name: `axe-${theme}`, storage_limit: 1024 ** 3 }) })
      assert.equal(created.status, 201)
      const id = (await server.berth.stores.projects.get(`axe-${theme}`))!.id
      const pages: [path: string, ready: string][] = [
        ['/admin/users', 'table[aria-label="Users"] tbody tr'],
        ['/admin/settings', '#banner-message'],
        [`/projects/${id}/summary`, '[role="progressbar"]'],
        [`/projects/${id}/configuration`, '#config-public'],
      ]
      const p = await signedInPage(browser, server.url, { theme })
      const failures = await violationsOnPages(p.page, server.url, pages)
      assert.deepEqual(failures, [])
      assert.deepEqual(p.problems, [])
      await p.context.close()
    })
  }
})
