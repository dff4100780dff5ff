// The administrators' pages in Chromium: a garbage collection dry run started from the console
// shows in the history and its log opens; a project's storage limit set in the quota editor
// reaches the server; the overview's health cards and a failure of background work show.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Browser } from 'playwright-core'
import { launchBrowser, missingBrowser, signedInPage, startConsoleServer, tableRows, type ConsoleServer } from '../support/browser.js'

describe('system pages in Chromium', { skip: missingBrowser() ?? false }, () => {
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

  it('runs a garbage collection dry run and shows it in the history, with its log', async () => {
    const p = await signedInPage(browser, server.url)
    await p.page.goto(`${server.url}/admin/gc`)
    await p.page.getByRole('button', { name: 'Dry run' }).click()
    await p.page.getByText(/Dry run \d+ started/).waitFor()
    const rows = await tableRows(p.page, 'Garbage collection runs')
    // The history refreshes by itself until the run has ended.
    await p.page.locator('table[aria-label="Garbage collection runs"] tbody tr').filter({ hasText: 'Succeeded' }).first().waitFor({ timeout: 20_000 })
    const row = await rows.first().innerText()
    assert.match(row, /Manual/)
    assert.match(row, /Yes/, 'the run is marked as a dry run')
    assert.match(row, /would be freed/)
    const [run] = (await server.berth.stores.executions.list('GARBAGE_COLLECTION', { conditions: [], sort: [], page: 1, pageSize: 5 })).items
    assert.equal(run?.extraAttrs.dry_run, true)

    await p.page.getByRole('button', { name: `Log of run ${run!.id}` }).click()
    const dialog = p.page.getByRole('dialog', { name: `Log of run ${run!.id}` })
    await dialog.getByText(/dry_run=true/).waitFor()
    await dialog.getByRole('button', { name: 'Close' }).click()
    await dialog.waitFor({ state: 'detached' })
    assert.deepEqual(p.problems, [])
    await p.context.close()
  })

  it("sets a project's storage limit, and makes it unlimited again", async () => {
    const created = await server.berth.app.inject({
      method: 'POST',
      url: '/api/v2.0/projects',
      headers: { authorization: `Basic ${Buffer.from(`admin:${server.berth.config.admin.password}`).toString('base64')}` },
      payload: { project_name: 'quota-web' },
    })
    assert.equal(created.statusCode, 201)
    const id = Number(/(\d+)$/.exec(String(created.headers.location))![1])
    const p = await signedInPage(browser, server.url)
    await p.page.goto(`${server.url}/admin/quotas`)
    await tableRows(p.page, 'Project quotas')
    await p.page.getByRole('button', { name: 'Edit the storage limit of quota-web' }).click()
    const dialog = p.page.getByRole('dialog', { name: 'Storage limit of quota-web' })
    await dialog.getByLabel('Unlimited').uncheck()
    await dialog.locator('#quota-limit').fill('1.5')
    await dialog.getByLabel('Unit').selectOption('GiB')
    await dialog.getByRole('button', { name: 'Save' }).click()
    await p.page.getByText('Storage limit of quota-web saved').waitFor()
    assert.equal((await server.berth.stores.quotas.get(id))?.hard, 1.5 * 1024 ** 3)
    const row = p.page.locator('table[aria-label="Project quotas"] tbody tr').filter({ hasText: 'quota-web' })
    await row.getByRole('progressbar', { name: 'Storage used by quota-web' }).waitFor()

    await p.page.getByRole('button', { name: 'Edit the storage limit of quota-web' }).click()
    assert.equal(await dialog.locator('#quota-limit').inputValue(), '1.5')
    await dialog.getByLabel('Unlimited').check()
    await dialog.getByRole('button', { name: 'Save' }).click()
    await dialog.waitFor({ state: 'detached' })
    await row.filter({ hasText: 'Unlimited' }).waitFor()
    assert.equal((await server.berth.stores.quotas.get(id))?.hard, -1)
    assert.deepEqual(p.problems, [])
    await p.context.close()
  })

  it("shows the overview's health of each component, and a failure of background work", async () => {
    const runId = (await server.berth.stores.executions.start({ vendorType: 'PURGE_AUDIT', vendorId: 0, trigger: 'SCHEDULE', concurrent: true }))!
    await server.berth.stores.executions.end(runId, 'Error', 'database timeout')
    const p = await signedInPage(browser, server.url, { theme: 'dark' })
    await p.page.goto(`${server.url}/admin/overview`)
    const health = p.page.getByRole('region', { name: 'Health' })
    for (const component of ['Core', 'Database', 'Storage']) {
      await health.getByRole('term').filter({ hasText: component }).waitFor()
    }
    assert.equal(await health.getByText('Healthy', { exact: true }).count(), 4, 'the overall status and three components')
    const failures = p.page.getByRole('region', { name: 'Recent failures' })
    await failures.getByRole('link', { name: `Audit log purge · run ${runId}` }).waitFor()
    await failures.getByText('database timeout').waitFor()
    // library (public) and quota-web (private), from the test before.
    await p.page.getByRole('region', { name: 'Projects and repositories' }).getByText('2 (1 public, 1 private)').waitFor()
    assert.deepEqual(p.problems, [])
    await p.context.close()
  })
})
