// Replication in the console, in Chromium, against a second Berth on loopback: add the other
// Berth as a registry and test the connection, create a push policy, replicate now, watch the
// execution reach Succeeded with its progress bar full, and read a task's log; the copy is on
// the other side. No script error or CSP violation on the way.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Browser } from 'playwright-core'
import { launchBrowser, missingBrowser, signedInPage, startConsoleServer, tableRows, type ConsoleServer } from '../support/browser.js'
import { ADMIN_AUTH, TEST_ADMIN_PASSWORD } from '../support/berth-app.js'
import { pushImage, withAuthorization } from '../../src/http/oci/oci-test-support.js'

describe('replication pages in Chromium', { skip: missingBrowser() ?? false, timeout: 60_000 }, () => {
  const patch = { jobs: { workers: 3, lease_seconds: 5 }, replication: { reconcile_seconds: 0, task_attempts: 2 } }
  let source: ConsoleServer
  let target: ConsoleServer
  let browser: Browser
  before(async () => {
    ;[source, target, browser] = await Promise.all([startConsoleServer('sqlite', patch), startConsoleServer('sqlite', patch), launchBrowser()])
    const onSource = withAuthorization(source.berth.app, ADMIN_AUTH)
    await pushImage(onSource, 'library/app', 'v1', 'one')
    await pushImage(onSource, 'library/app', 'v2', 'two')
    // A push lands in an existing project of the target: the policy's namespace.
    const project = await target.berth.app.inject({ method: 'POST', url: '/api/v2.0/projects', headers: { authorization: ADMIN_AUTH }, payload: { project_name: 'mirror' } })
    assert.equal(project.statusCode, 201, project.body)
  })
  after(async () => {
    await browser?.close()
    await source?.close()
    await target?.close()
  })

  it('adds a registry, creates a push policy, replicates now and shows the run to its end', async () => {
    const p = await signedInPage(browser, source.url)
    const { page } = p
    // PatternFly's tables have the role grid: found by their accessible name.
    const table = (label: string) => page.locator(`table[aria-label="${label}"]`)

    await page.goto(`${source.url}/admin/registries`)
    await page.getByRole('button', { name: 'New registry' }).click()
    await page.locator('#registry-type').selectOption('berth')
    await page.locator('#registry-name').fill('peer')
    await page.locator('#registry-url').fill(target.url)
    await page.locator('#registry-access-key').fill('admin')
    await page.locator('#registry-access-secret').fill(TEST_ADMIN_PASSWORD)
    await page.getByRole('button', { name: 'Test connection' }).click()
    await page.getByText('The registry answered with these credentials.').waitFor()
    await page.getByRole('dialog').getByRole('button', { name: 'Create', exact: true }).click()
    await page.getByText('Registry peer created').waitFor()
    const registries = await tableRows(page, 'Registries')
    await table('Registries').getByText('Healthy', { exact: true }).waitFor()
    assert.doesNotMatch(await registries.first().innerText(), new RegExp(TEST_ADMIN_PASSWORD), 'the secret is never shown')

    await page.goto(`${source.url}/admin/replications`)
    await page.getByRole('button', { name: 'New policy' }).click()
    await page.locator('#policy-name').fill('to-peer')
    await page.locator('#policy-registry option', { hasText: 'peer' }).waitFor({ state: 'attached' })
    const peer = await page.locator('#policy-registry option', { hasText: 'peer' }).getAttribute('value')
    await page.locator('#policy-registry').selectOption(peer!)
    await page.locator('#policy-filter-name').fill('library/**')
    await page.locator('#policy-namespace').fill('mirror')
    await page.getByRole('dialog').getByRole('button', { name: 'Create', exact: true }).click()
    await page.getByText('Policy to-peer created').waitFor()
    const [stored] = await source.berth.stores.policies.list('to-peer')
    assert.deepEqual(stored!.filters, [{ type: 'name', value: 'library/**' }])
    assert.equal(stored!.destNamespace, 'mirror')

    await page.getByRole('link', { name: 'to-peer' }).click()
    await page.getByRole('heading', { name: 'Executions of to-peer' }).waitFor()
    await page.getByRole('button', { name: 'Replicate now' }).click()
    await page.getByText('Replication of to-peer started').waitFor()
    // The list polls while the run is in progress: no reload is needed to see it end.
    const executions = table('Executions of to-peer')
    await executions.getByText('Succeeded', { exact: true }).waitFor({ timeout: 30_000 })
    await executions.getByText('2 of 2').waitFor()

    await executions.getByRole('link', { name: /^Execution \d+$/ }).click()
    await table('Tasks').getByText('mirror/app:v1').waitFor()
    await page.getByRole('button', { name: /^View log of task \d+$/ }).first().click()
    await page.locator('#task-log').filter({ hasText: /attempt 1/ }).waitFor()

    const onTarget = await target.berth.app.inject({ method: 'HEAD', url: '/v2/mirror/app/manifests/v2', headers: { authorization: ADMIN_AUTH } })
    assert.equal(onTarget.statusCode, 200)
    assert.deepEqual(p.problems, [])
    await p.context.close()
  })
})
