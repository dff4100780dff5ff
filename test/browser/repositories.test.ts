// The repository pages in Chromium: images pushed through the registry show up in a nested
// repository, with their tags and a pull command naming this registry; the artifact page shows
// the layers; several artifacts are deleted at once; and the three pages pass axe-core in both themes.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Browser } from 'playwright-core'
import { ADMIN_AUTH } from '../support/berth-app.js'
import { describeViolations, seriousViolations } from '../support/axe.js'
import { launchBrowser, missingBrowser, signedInPage, startConsoleServer, tableRows, type ConsoleServer } from '../support/browser.js'
import { pushRaw, randomImage, type RawImage } from '../support/raw-images.js'

const ARTIFACTS = 'Artifacts'

async function push(url: string, img: RawImage): Promise<void> {
  const outcome = await pushRaw(url, ADMIN_AUTH, img)
  assert.ok(outcome.ok, JSON.stringify(outcome))
}

describe('repository pages in Chromium', { skip: missingBrowser() ?? false }, () => {
  let server: ConsoleServer
  let browser: Browser
  let v1: RawImage
  let projectId: number
  before(async () => {
    server = await startConsoleServer('sqlite')
    browser = await launchBrowser()
    v1 = randomImage('library/team/app', 'v1', [300, 5000])
    await push(server.url, v1)
    // A second tag on v1, and two more images to delete.
    await push(server.url, { ...v1, tag: 'stable', blobs: [] })
    await push(server.url, randomImage('library/team/app', 'v2', [100]))
    await push(server.url, randomImage('library/team/app', 'v3', [100]))
    projectId = (await server.berth.stores.projects.get('library'))!.id
  })
  after(async () => {
    await browser?.close()
    await server?.close()
  })

  it('lists the nested repository, shows the tags and the pull command, and the artifact\'s layers', async () => {
    const p = await signedInPage(browser, server.url)
    await p.page.goto(`${server.url}/projects/${projectId}/repositories`)
    await p.page.getByRole('link', { name: 'library/team/app' }).click()
    await p.page.waitForURL(/\/repositories\/team%2Fapp$/)
    await tableRows(p.page, ARTIFACTS, 3)

    // Filtered by tag on the server: only v1's row, with both its tags.
    await p.page.getByLabel('Filter by tag').fill('stab')
    await p.page.waitForURL(/q=stab/)
    await p.page.waitForFunction(`document.querySelectorAll('table[aria-label="${ARTIFACTS}"] tbody tr').length === 1`)
    const row = (await tableRows(p.page, ARTIFACTS)).first()
    await row.getByText('stable', { exact: true }).waitFor()
    await row.getByText('v1', { exact: true }).waitFor()

    const short = v1.manifestDigest.slice(0, 'sha256:'.length + 12)
    await row.getByRole('button', { name: `Actions for ${short}` }).click()
    await p.page.getByRole('menuitem', { name: 'Pull command' }).click()
    const dialog = p.page.getByRole('dialog')
    const host = new URL(server.url).host
    // The dialog offers the row's first tags (by name) and the digest.
    assert.equal(await dialog.getByRole('textbox', { name: 'By tag stable' }).inputValue(), `docker pull ${host}/library/team/app:stable`)
    assert.equal(await dialog.getByRole('textbox', { name: 'By digest' }).inputValue(), `docker pull ${host}/library/team/app@${v1.manifestDigest}`)
    await dialog.getByRole('button', { name: 'podman' }).click()
    assert.equal(await dialog.getByRole('textbox', { name: 'By tag v1' }).inputValue(), `podman pull ${host}/library/team/app:v1`)
    await p.page.keyboard.press('Escape')

    await row.getByRole('link', { name: short }).click()
    await p.page.waitForURL(new RegExp(`/repositories/team%2Fapp/artifacts/${encodeURIComponent(v1.manifestDigest)}$`))
    await p.page.getByRole('tab', { name: 'Layers' }).click()
    const layers = await tableRows(p.page, 'Layers', 3)
    assert.equal(await layers.count(), 3, 'two layers and the total')
    assert.match(await layers.nth(0).innerText(), /300 byte/)
    assert.match(await layers.nth(1).innerText(), /5 kB/)
    assert.match(await layers.nth(2).innerText(), /2 layers in total/)
    await p.page.getByRole('tab', { name: 'Tags' }).click()
    await tableRows(p.page, 'Tags', 2)
    assert.deepEqual(p.problems, [])
    await p.context.close()
  })

  it('deletes two artifacts through the multi-selection', async () => {
    const p = await signedInPage(browser, server.url)
    await p.page.goto(`${server.url}/projects/${projectId}/repositories/team%2Fapp?sort=push_time`)
    const rows = await tableRows(p.page, ARTIFACTS, 3)
    // Oldest first: v1, then v2 and v3.
    await rows.nth(1).getByRole('checkbox').check()
    await rows.nth(2).getByRole('checkbox').check()
    await p.page.getByRole('button', { name: 'Delete 2 artifacts' }).click()
    await p.page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click()
    await p.page.getByText('2 artifacts deleted').waitFor()
    await p.page.waitForFunction(`document.querySelectorAll('table[aria-label="${ARTIFACTS}"] tbody tr').length === 1`)
    const repo = await server.berth.stores.catalog.getRepository('library/team/app')
    assert.equal(repo?.artifactCount, 1)
    assert.ok(await server.berth.stores.artifacts.getByTag('library/team/app', 'v1'))
    assert.equal(await server.berth.stores.artifacts.getByTag('library/team/app', 'v2'), null)
    assert.deepEqual(p.problems, [])
    await p.context.close()
  })

  for (const theme of ['light', 'dark'] as const) {
    it(`the three pages pass axe-core (${theme})`, async () => {
      const p = await signedInPage(browser, server.url, { theme })
      const pages: [string, string][] = [
        [`/projects/${projectId}/repositories`, 'table[aria-label="Repositories"] tbody tr'],
        [`/projects/${projectId}/repositories/team%2Fapp`, `table[aria-label="${ARTIFACTS}"] tbody tr`],
        [`/projects/${projectId}/repositories/team%2Fapp/artifacts/v1`, 'table[aria-label="Annotations"], dl'],
        [`/projects/${projectId}/repositories/team%2Fapp/artifacts/v1?tab=layers`, 'table[aria-label="Layers"] tbody tr'],
      ]
      const failures: string[] = []
      for (const [path, ready] of pages) {
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
