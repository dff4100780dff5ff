// The console in a real browser: an in-process Berth listening on loopback (serving the built
// console from dist/web) and headless Chromium (Debian's, driven by playwright-core).
// A page opened here records what the browser complains about (script errors, CSP violations,
// failed requests other than the ones a test expects), so every browser test can assert that
// nothing went wrong beyond what it looked at.
// The server's tsconfig has no DOM types: code that runs in the page is passed to
// page.evaluate / waitForFunction as a string expression.
import { existsSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { createTestBerth, TEST_ADMIN_PASSWORD, type ConfigPatch, type TestBerth } from './berth-app.js'
import { CONSOLE_DIR } from '../../src/http/console.js'
import type { Dialect } from '../../src/metadata/schema.js'

export const CHROMIUM = process.env.BERTH_CHROMIUM ?? '/usr/bin/chromium'

/**
 * For `describe(name, { skip: missingBrowser() ?? false }, ...)`: null when Chromium and the built
 * console are there, else a skip reason, printed loudly. In CI (CI=true) it is a failure: this throws.
 */
export function missingBrowser(): string | null {
  const missing: string[] = []
  if (!existsSync(CHROMIUM)) missing.push(`${CHROMIUM} (apt-get install chromium)`)
  if (!existsSync(`${CONSOLE_DIR}/index.html`)) missing.push('the built console (npm run build)')
  if (missing.length === 0) return null
  const reason = `browser tests need ${missing.join(' and ')}`
  if (process.env.CI === 'true') throw new Error(`${reason} (CI=true: a missing tool is a failure)`)
  console.error(`\n!!!!!!!! SKIPPING: ${reason} !!!!!!!!\n`)
  return reason
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] })
}

export interface ConsoleServer {
  berth: TestBerth
  /** http://127.0.0.1:<port> */
  url: string
  close(): Promise<void>
}

/** A Berth on a fresh database, listening on 127.0.0.1 on a free port. */
export async function startConsoleServer(dialect: Dialect = 'sqlite', patch: ConfigPatch = {}): Promise<ConsoleServer> {
  const berth = await createTestBerth(dialect, patch)
  await berth.app.listen({ host: '127.0.0.1', port: 0 })
  const port = (berth.app.server.address() as AddressInfo).port
  return { berth, url: `http://127.0.0.1:${port}`, close: () => berth.destroy() }
}

export interface ConsolePage {
  context: BrowserContext
  page: Page
  /** What went wrong in the page so far: uncaught errors, CSP violations, console errors. */
  problems: string[]
}

export interface PageOptions {
  locale?: string
  theme?: 'light' | 'dark'
  /** Console errors that are expected (e.g. the 401 of a wrong password), as substrings. */
  expectErrors?: string[]
}

/** A new browser context (own cookies and storage) with one page, not signed in. */
export async function openPage(browser: Browser, o: PageOptions = {}): Promise<ConsolePage> {
  const context = await browser.newContext({ locale: o.locale ?? 'en-US', viewport: { width: 1280, height: 800 } })
  if (o.theme !== undefined) await context.addInitScript((theme) => (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }).localStorage.setItem('berth.theme', theme), o.theme)
  const page = await context.newPage()
  const problems: string[] = []
  const expected = (text: string) => (o.expectErrors ?? []).some((e) => text.includes(e))
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  page.on('console', (m) => {
    const text = m.text()
    // A 401 of /users/current is how the console learns that nobody is signed in.
    if (m.type() === 'error' && !/status of 401/.test(text) && !expected(text)) problems.push(`console error: ${text}`)
    if (/Content Security Policy/i.test(text)) problems.push(`CSP: ${text}`)
  })
  return { context, page, problems }
}

/** Signs in through the console's form and waits for the projects page. */
export async function signIn(p: ConsolePage, url: string, username = 'admin', password = TEST_ADMIN_PASSWORD): Promise<void> {
  await p.page.goto(`${url}/sign-in`)
  await p.page.locator('#principal').fill(username)
  await p.page.locator('#password').fill(password)
  await p.page.locator('button[type=submit]').click()
  await p.page.waitForURL((u) => !u.pathname.startsWith('/sign-in'))
}

/** A signed-in page (admin by default). */
export async function signedInPage(browser: Browser, url: string, o: PageOptions & { username?: string; password?: string } = {}): Promise<ConsolePage> {
  const p = await openPage(browser, o)
  await signIn(p, url, o.username, o.password)
  return p
}

/** The rows of the console's list with this accessible name, once at least `atLeast` are shown. */
export async function tableRows(page: Page, label: string, atLeast = 1) {
  const rows = page.locator(`table[aria-label="${label}"] tbody tr`)
  if (atLeast > 0) await rows.nth(atLeast - 1).waitFor()
  return rows
}
