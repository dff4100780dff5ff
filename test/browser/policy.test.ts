// A project's Policy and Webhooks tabs in Chromium: an immutability rule added through the form;
// a retention rule added, shown in words, dry-run, its run appearing (live) with a task that kept
// two of four artifacts; a webhook pointing at a receiver on loopback, a push delivered to it and
// shown in the policy's history, a test send; the stored auth header never shown back; and axe on
// both tabs in both themes.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Browser } from 'playwright-core'
import { launchBrowser, missingBrowser, signedInPage, startConsoleServer, tableRows, type ConsoleServer } from '../support/browser.js'
import { describeViolations, seriousViolations } from '../support/axe.js'
import { ADMIN_AUTH } from '../support/berth-app.js'
import { pushRaw, randomImage } from '../support/raw-images.js'
import { Receiver } from '../support/webhook-receiver.js'
import { waitUntil } from '../support/until.js'

describe('policy and webhooks tabs in Chromium', { skip: missingBrowser() ?? false }, () => {
  let server: ConsoleServer
  let browser: Browser
  let receiver: Receiver
  let projectId: number
  const push = async (tag: string) => {
    const r = await pushRaw(server.url, ADMIN_AUTH, randomImage('library/app', tag, [64]))
    assert.ok(r.ok, JSON.stringify(r))
  }
  const api = async (path: string) => {
    const res = await fetch(`${server.url}/api/v2.0${path}`, { headers: { authorization: ADMIN_AUTH } })
    assert.equal(res.status, 200, path)
    return res.json() as Promise<any>
  }

  before(async () => {
    server = await startConsoleServer('sqlite')
    browser = await launchBrowser()
    receiver = await new Receiver().start()
    for (const tag of ['v1', 'v2', 'v3', 'dev']) await push(tag)
    projectId = (await api('/projects/library')).project_id
  })
  after(async () => {
    await browser?.close()
    await receiver?.stop()
    await server?.close()
  })

  it('adds a tag immutability rule', async () => {
    const p = await signedInPage(browser, server.url)
    await p.page.goto(`${server.url}/projects/${projectId}/policy?section=immutability`)
    await p.page.getByRole('button', { name: 'Add rule' }).click()
    await p.page.locator('#immutable-tag-pattern').fill('v1')
    await p.page.getByRole('dialog').getByRole('button', { name: 'Add', exact: true }).click()
    await p.page.getByText('Immutability rule added').waitFor()
    const rows = await tableRows(p.page, 'Tag immutability')
    assert.match(await rows.first().innerText(), /matching \*\*[\s\S]*matching v1[\s\S]*Enabled/)
    const rules = await api('/projects/library/immutabletagrules')
    assert.equal(rules.length, 1)
    assert.equal(rules[0].tag_selectors[0].pattern, 'v1')
    assert.deepEqual(p.problems, [])
    await p.context.close()
  })

  it('adds a retention rule, shows it in words, and a dry run appears in the runs with its task', async () => {
    const p = await signedInPage(browser, server.url)
    await p.page.goto(`${server.url}/projects/${projectId}/policy`)
    await p.page.getByRole('button', { name: 'Add rule' }).click()
    await p.page.locator('#retention-tag-pattern').fill('v*')
    await p.page.locator('#retention-param').fill('2')
    await p.page.getByRole('dialog').getByRole('button', { name: 'Add', exact: true }).click()
    await p.page.getByText('Retain the 2 most recently pushed artifacts of repositories matching **, tags matching v*').waitFor()
    const project = await api('/projects/library')
    assert.ok(project.metadata.retention_id, 'the project points at its new policy')

    await p.page.getByRole('button', { name: 'Dry run' }).click()
    const runs = await tableRows(p.page, 'Runs')
    assert.match(await runs.first().innerText(), /Dry run/)
    // The list polls while the run is going, so it turns to Succeeded without a reload.
    await p.page.locator('table[aria-label="Runs"] tbody tr').first().getByText('Succeeded').waitFor({ timeout: 20_000 })
    await p.page.getByRole('button', { name: /^Tasks of run/ }).first().click()
    const tasks = p.page.locator('table[aria-label^="Tasks of run"] tbody tr')
    await tasks.first().waitFor()
    // v2 and v3 by the rule, and v1 because the immutability rule above protects it.
    assert.match(await tasks.first().innerText(), /library\/app[\s\S]*3 of 4/)
    await p.page.getByRole('button', { name: 'Log of library/app' }).click()
    await p.page.getByRole('dialog').getByText('would be deleted').first().waitFor()
    // A dry run deletes nothing.
    assert.equal((await api('/projects/library/repositories/app/artifacts')).length, 4)
    assert.deepEqual(p.problems, [])
    await p.context.close()
  })

  it('creates a webhook to a receiver, a push shows in its delivery history, a test send arrives, and the auth header is never shown back', async () => {
    const p = await signedInPage(browser, server.url)
    await p.page.goto(`${server.url}/projects/${projectId}/webhooks`)
    await p.page.getByRole('button', { name: 'New webhook' }).click()
    await p.page.locator('#webhook-name').fill('ci')
    await p.page.locator('#webhook-address').fill(receiver.url)
    await p.page.locator('#webhook-auth').fill('Bearer s3cret-token')
    await p.page.getByRole('dialog').getByRole('button', { name: 'Add', exact: true }).click()
    await p.page.getByText('Webhook ci created').waitFor()
    await tableRows(p.page, 'Webhooks')

    await push('v9')
    await waitUntil('the push delivered to the receiver', () => receiver.received.length >= 1, { timeoutMs: 20_000, everyMs: 100 })
    assert.equal(receiver.received[0]!.headers.authorization, 'Bearer s3cret-token')

    await p.page.getByRole('button', { name: 'Actions for ci' }).click()
    await p.page.getByRole('menuitem', { name: 'Delivery history' }).click()
    const runs = await tableRows(p.page, 'Delivery history of ci')
    await runs.first().getByText('Succeeded').waitFor({ timeout: 20_000 })
    assert.match(await runs.first().innerText(), /Artifact pushed[\s\S]*1 of 1/)
    await p.page.getByRole('button', { name: /^Deliveries of run/ }).first().click()
    const deliveries = p.page.locator('table[aria-label^="Deliveries of run"] tbody tr')
    await deliveries.first().waitFor()
    assert.match(await deliveries.first().innerText(), /Succeeded[\s\S]*200/)

    const before = receiver.received.length
    await p.page.getByRole('button', { name: 'Actions for ci' }).click()
    await p.page.getByRole('menuitem', { name: 'Send test event' }).click()
    await p.page.getByText(`Test event sent to ${receiver.url}: HTTP 200`).waitFor()
    assert.equal(receiver.received.length, before + 1)
    assert.equal(receiver.received.at(-1)!.headers.authorization, 'Bearer s3cret-token', 'the test send uses the stored header')

    await p.page.getByRole('button', { name: 'Actions for ci' }).click()
    await p.page.getByRole('menuitem', { name: 'Edit' }).click()
    assert.equal(await p.page.locator('#webhook-auth').inputValue(), '')
    assert.equal(await p.page.locator('#webhook-auth').getAttribute('placeholder'), 'Stored (hidden)')
    assert.equal(await p.page.content().then((html) => html.includes('s3cret-token')), false)
    await p.page.getByRole('dialog').getByRole('button', { name: 'Save' }).click()
    await p.page.getByText('Webhook ci saved').waitFor()
    const [policy] = await api('/projects/library/webhook/policies')
    assert.equal(policy.targets[0].auth_header, '*****', 'saving unchanged keeps the stored header')
    assert.deepEqual(p.problems, [])
    await p.context.close()
  })

  for (const theme of ['light', 'dark'] as const) {
    it(`has no serious accessibility violation (${theme})`, async () => {
      const p = await signedInPage(browser, server.url, { theme })
      const failures: string[] = []
      for (const [path, ready] of [
        [`/projects/${projectId}/policy`, 'table[aria-label="Runs"] tbody tr'],
        [`/projects/${projectId}/policy?section=immutability`, 'table[aria-label="Tag immutability"] tbody tr'],
        [`/projects/${projectId}/webhooks`, 'table[aria-label="Webhooks"] tbody tr'],
      ] as const) {
        await p.page.goto(`${server.url}${path}`)
        await p.page.locator(ready).first().waitFor()
        const vs = await seriousViolations(p.page)
        if (vs.length > 0) failures.push(`${path}:\n${describeViolations(vs)}`)
      }
      assert.deepEqual(failures, [])
      assert.deepEqual(p.problems, [])
      await p.context.close()
    })
  }
})
