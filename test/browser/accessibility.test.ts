// axe-core on the console's main pages, in both themes: no serious or critical WCAG A/AA
// violation (contrast, names of controls, labels of fields, landmarks...).
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Browser } from 'playwright-core'
import { launchBrowser, missingBrowser, openPage, signedInPage, startConsoleServer, type ConsoleServer } from '../support/browser.js'
import { describeViolations, seriousViolations, violationsOnPages } from '../support/axe.js'

/** Console pages and the element that shows each has rendered. */
const PAGES: [path: string, ready: string][] = [
  ['/projects', 'table[aria-label] tbody tr'],
  ['/account', '#email'],
  ['/admin/scanners', 'h1'],
  ['/admin/security-hub', '[data-testid="hub-scanned"]'],
  ['/cve-exports', '.pf-v6-c-empty-state'],
  ['/projects/1/trusted-keys', '.pf-v6-c-empty-state'],
]

describe('accessibility of the console (axe-core)', { skip: missingBrowser() ?? false }, () => {
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

  for (const theme of ['light', 'dark'] as const) {
    it(`the sign-in page (${theme})`, async () => {
      const p = await openPage(browser, { theme })
      await p.page.goto(`${server.url}/sign-in`)
      await p.page.locator('#principal').waitFor()
      const vs = await seriousViolations(p.page)
      assert.equal(vs.length, 0, describeViolations(vs))
      await p.context.close()
    })

    it(`the signed-in pages (${theme})`, async () => {
      const p = await signedInPage(browser, server.url, { theme })
      const failures = await violationsOnPages(p.page, server.url, PAGES)
      assert.deepEqual(failures, [])
      assert.deepEqual(p.problems, [])
      await p.context.close()
    })
  }
})
