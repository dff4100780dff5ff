// The console's languages in Chromium: the masthead's language menu changes the text at once
// (no reload), the choice is remembered across a reload, and a first visit takes the browser's
// language (de-DE -> German, zh-HK -> traditional Chinese).
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { launchBrowser, missingBrowser, openPage, signedInPage, signIn, startConsoleServer, tableRows, type ConsoleServer } from '../support/browser.js'

const htmlLang = (page: Page) => page.evaluate(`document.documentElement.lang`)

describe('console languages in Chromium', { skip: missingBrowser() ?? false }, () => {
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

  it('switches the language from the masthead at once, and remembers it after a reload', async () => {
    const p = await signedInPage(browser, server.url)
    const { page } = p
    await tableRows(page, 'Projects')
    // A mark on the window: still there afterwards means the page was not reloaded.
    await page.evaluate(`window.berthTestMark = 1`)

    await page.getByRole('button', { name: 'Language' }).click()
    await page.getByRole('menuitem', { name: 'Deutsch' }).click()
    const rows = await tableRows(page, 'Projekte')
    assert.equal(await page.evaluate(`window.berthTestMark`), 1)
    assert.equal(await htmlLang(page), 'de')
    await page.getByRole('link', { name: 'Projekte' }).waitFor()
    await page.getByRole('button', { name: 'Neues Projekt' }).waitFor()
    await page.getByRole('columnheader', { name: 'Erstellt' }).waitFor()
    // Dates follow the language too (useFormat): 05.03.2024, 14:07.
    assert.match(await rows.first().innerText(), /\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}/)
    assert.equal(await page.evaluate(`localStorage.getItem('berth.language')`), 'de')

    await page.reload()
    await tableRows(page, 'Projekte')
    assert.equal(await htmlLang(page), 'de')
    await page.getByRole('button', { name: 'Sprache' }).waitFor()

    // And on to a language of another script, again without a reload.
    await page.evaluate(`window.berthTestMark = 2`)
    await page.getByRole('button', { name: 'Sprache' }).click()
    await page.getByRole('menuitem', { name: '日本語' }).click()
    await tableRows(page, 'プロジェクト')
    assert.equal(await page.evaluate(`window.berthTestMark`), 2)
    assert.equal(await htmlLang(page), 'ja')
    await page.getByRole('button', { name: '新規プロジェクト' }).waitFor()
    assert.deepEqual(p.problems, [])
    await p.context.close()
  })

  it('shows German on a first visit with a German browser, from the sign-in page on', async () => {
    const p = await openPage(browser, { locale: 'de-DE' })
    await p.page.goto(`${server.url}/`)
    await p.page.waitForURL(/\/sign-in/)
    await p.page.getByText('Bei Berth anmelden').waitFor()
    assert.equal(await htmlLang(p.page), 'de')
    await p.page.getByRole('button', { name: 'Anmelden' }).waitFor()
    await signIn(p, server.url)
    await tableRows(p.page, 'Projekte')
    await p.page.getByRole('button', { name: 'Benutzermenü' }).waitFor()
    // Taken from the browser, not stored: nothing was chosen yet.
    assert.equal(await p.page.evaluate(`localStorage.getItem('berth.language')`), null)
    assert.deepEqual(p.problems, [])
    await p.context.close()
  })

  it('shows traditional Chinese to a Hong Kong browser', async () => {
    const p = await openPage(browser, { locale: 'zh-HK' })
    await p.page.goto(`${server.url}/sign-in`)
    await p.page.getByText('登入 Berth').waitFor()
    assert.equal(await htmlLang(p.page), 'zh-TW')
    assert.deepEqual(p.problems, [])
    await p.context.close()
  })
})
