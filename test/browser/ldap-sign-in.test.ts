// An LDAP user signs in to the console through the same form as database users (against a
// real slapd), and the page names the directory when such a user looks for a password reset.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Browser } from 'playwright-core'
import { Value } from '@sinclair/typebox/value'
import { ConfigSchema, type Config } from '../../src/app/config.js'
import { launchBrowser, missingBrowser, openPage, signIn, startConsoleServer, tableRows, type ConsoleServer } from '../support/browser.js'
import { missingSlapd, startSlapd, USERS, type Slapd } from '../support/slapd.js'

describe('console sign-in of LDAP users', { skip: missingBrowser() ?? missingSlapd() ?? false }, () => {
  let slapd: Slapd
  let server: ConsoleServer
  let browser: Browser
  before(async () => {
    slapd = await startSlapd()
    const auth = (Value.Default(ConfigSchema, {}) as Config).auth
    server = await startConsoleServer('sqlite', { auth: { ...auth, mode: 'ldap_auth', ldap: slapd.settings() } })
    browser = await launchBrowser()
  })
  after(async () => {
    await browser?.close()
    await server?.close()
    await slapd?.stop()
  })

  it('signs in with the directory password and shows the user their projects', async () => {
    const p = await openPage(browser)
    await signIn(p, server.url, 'alice', USERS.alice.password)
    await tableRows(p.page, 'Projects')
    await p.page.getByRole('button', { name: /^User menu: alice/ }).waitFor()
    const me = (await p.page.evaluate(`fetch('/api/v2.0/users/current').then((r) => r.json())`)) as { username: string; email: string }
    assert.equal(me.username, 'alice')
    assert.equal(me.email, USERS.alice.mail)
    assert.deepEqual(p.problems, [])
    await p.context.close()
  })

  it('refuses a wrong directory password on the form', async () => {
    const p = await openPage(browser, { expectErrors: ['status of 401'] })
    await p.page.goto(`${server.url}/sign-in`)
    await p.page.locator('#principal').fill('alice')
    await p.page.locator('#password').fill('Wrong-Pass1')
    await p.page.locator('button[type=submit]').click()
    await p.page.getByRole('alert').filter({ hasText: 'wrong' }).waitFor()
    assert.match(p.page.url(), /\/sign-in/)
    await p.context.close()
  })
})
