// The permission table: docs/permissions.md shows exactly what the code enforces.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { permissionsMarkdown, ROLE_PERMISSIONS, PUBLIC_PERMISSIONS, permissionsOf, ROBOT_GRANTABLE } from './permissions.js'

const docs = new URL('../../../docs/permissions.md', import.meta.url)

describe('permission table', () => {
  it('docs/permissions.md holds the generated table', () => {
    const text = readFileSync(docs, 'utf8')
    const m = /<!-- generated: permissions table -->\n([\s\S]*?)<!-- end generated -->/.exec(text)
    assert.ok(m, 'markers missing in docs/permissions.md')
    assert.equal(m[1], permissionsMarkdown(), 'regenerate the table: node -e "import(\'./dist/src/auth/permissions.js\').then(m=>process.stdout.write(m.permissionsMarkdown()))"')
  })

  it('each role holds everything the role below it holds', () => {
    const chain = [PUBLIC_PERMISSIONS, ROLE_PERMISSIONS.limitedGuest, ROLE_PERMISSIONS.guest, ROLE_PERMISSIONS.developer, ROLE_PERMISSIONS.maintainer, ROLE_PERMISSIONS.projectAdmin]
    for (let i = 1; i < chain.length; i++) {
      const lower = new Set(permissionsOf(chain[i - 1]!))
      const higher = new Set(permissionsOf(chain[i]!))
      for (const p of lower) assert.ok(higher.has(p), `${p} lost at step ${i}`)
    }
  })

  it('robots can be granted nothing that manages people or robots', () => {
    for (const p of ROBOT_GRANTABLE) assert.ok(!/^(member:(create|update|delete)|robot:|project:(update|delete)|metadata:update)/.test(p), p)
  })
})
