// The console's frame in Chromium: sign-in (wrong and right password), the projects list
// (create, search, delete), a deep link surviving a reload, the theme switch, sign-out; and no
// script error or CSP violation on the way.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Browser } from 'playwright-core'
import { TEST_ADMIN_PASSWORD } from '../support/berth-app.js'
import { launchBrowser, missingBrowser, openPage, signedInPage, signIn, startConsoleServer, tableRows, type ConsoleServer, waitUntil } from '../support/browser.js'

describe('console in Chromium', { skip: missingBrowser() ?? false }, () => {
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

  it('refuses a wrong password with a message, then signs in', async () => {
    const p = await openPage(browser, { expectErrors: ['status of 401'] })
    await p.page.goto(`${server.url}/projects`)
    await p.page.waitForURL(/\/sign-in\?next=%2Fprojects/)
    await p.page.locator('#principal').fill('admin')
    await p.page.locator('#password').fill('not-the-password')
    await p.page.locator('button[type=submit]').click()
    await p.page.getByRole('alert').filter({ hasText: 'wrong' }).waitFor()
    await signIn(p, server.url)
    await tableRows(p.page, 'Projects')
    assert.deepEqual(p.problems, [])
    await p.context.close()
  })

  it('creates a project, finds it by search, and deletes it', async () => {
    const p = await signedInPage(browser, server.url)
    await p.page.getByRole('button', { name: 'New project' }).click()
    await p.page.locator('#project-name').fill('Bad Name')
    assert.equal(await p.page.getByRole('button', { name: 'Create', exact: true }).isDisabled(), true)
    await p.page.locator('#project-name').fill('team-web')
    await p.page.getByRole('button', { name: 'Create', exact: true }).click()
    await p.page.getByText('Project team-web created').waitFor()
    assert.ok(await server.berth.stores.projects.get('team-web'))

    await p.page.getByLabel('Search projects by name').fill('team')
    await p.page.waitForURL(/q=team/)
    const rows = await tableRows(p.page, 'Projects')
    await waitUntil(p.page, `document.querySelectorAll('table[aria-label="Projects"] tbody tr').length === 1`)
    assert.match(await rows.first().innerText(), /team-web/)

    await p.page.getByRole('button', { name: 'Actions for team-web' }).click()
    await p.page.getByRole('menuitem', { name: 'Delete' }).click()
    await p.page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click()
    await p.page.getByText('Project team-web deleted').waitFor()
    assert.equal(await server.berth.stores.projects.get('team-web'), null)
    assert.deepEqual(p.problems, [])
    await p.context.close()
  })

  it('a deep link survives a reload, the theme switch applies and is remembered', async () => {
    const p = await signedInPage(browser, server.url)
    await p.page.goto(`${server.url}/projects?sort=-creation_time`)
    await tableRows(p.page, 'Projects')
    await p.page.reload()
    await tableRows(p.page, 'Projects')
    assert.match(p.page.url(), /sort=-creation_time/)
    await p.page.getByRole('button', { name: 'Dark' }).click()
    assert.equal(await p.page.evaluate(`document.documentElement.classList.contains('pf-v6-theme-dark')`), true)
    await p.page.reload()
    await tableRows(p.page, 'Projects')
    assert.equal(await p.page.evaluate(`document.documentElement.classList.contains('pf-v6-theme-dark')`), true)
    assert.deepEqual(p.problems, [])
    await p.context.close()
  })

  it('works from the keyboard alone: sign in, skip to the content, open and close a dialog, follow a link', async () => {
    const p = await openPage(browser)
    await p.page.goto(`${server.url}/sign-in`)
    await p.page.locator('#principal').waitFor()
    // The user name field has the focus on arrival.
    assert.equal(await p.page.evaluate(`document.activeElement.id`), 'principal')
    await p.page.keyboard.type('admin')
    await p.page.keyboard.press('Tab')
    await p.page.keyboard.type(TEST_ADMIN_PASSWORD)
    await p.page.keyboard.press('Enter')
    await tableRows(p.page, 'Projects')
    // The first Tab reaches the skip link, which moves the focus into the page's content.
    await p.page.keyboard.press('Tab')
    assert.equal(await p.page.evaluate(`document.activeElement.textContent`), 'Skip to content')
    await p.page.keyboard.press('Enter')
    // From the content, Tab reaches "New project" through the search box; Enter opens the dialog, Escape closes it.
    let reached = false
    for (let i = 0; i < 10 && !reached; i++) {
      await p.page.keyboard.press('Tab')
      reached = (await p.page.evaluate(`document.activeElement.textContent`)) === 'New project'
    }
    assert.ok(reached, 'Tab never reached "New project"')
    // The focused control shows it has the focus (a visible outline).
    assert.notEqual(await p.page.evaluate(`getComputedStyle(document.activeElement).outlineStyle`), 'none')
    await p.page.keyboard.press('Enter')
    await p.page.locator('#project-name').waitFor()
    assert.equal(await p.page.evaluate(`document.activeElement.id`), 'project-name')
    await p.page.keyboard.press('Escape')
    await p.page.locator('#project-name').waitFor({ state: 'detached' })
    // Links in the list are reachable and followed with Enter.
    await p.page.locator('table[aria-label="Projects"] a', { hasText: 'library' }).focus()
    await p.page.keyboard.press('Enter')
    await p.page.waitForURL(/\/projects\/\d+\/repositories/)
    assert.deepEqual(p.problems, [])
    await p.context.close()
  })

  it('signs out: back to sign-in, and the session no longer opens the API', async () => {
    const p = await signedInPage(browser, server.url)
    await p.page.getByRole('button', { name: /^User menu/ }).click()
    await p.page.getByRole('menuitem', { name: 'Sign out' }).click()
    await p.page.waitForURL(/\/sign-in/)
    const status = await p.page.evaluate(`fetch('/api/v2.0/users/current').then((r) => r.status)`)
    assert.equal(status, 401)
    await p.context.close()
  })
})
