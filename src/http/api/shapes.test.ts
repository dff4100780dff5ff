// The body rule: Harbor's read-only fields pass the body validator and are removed before a
// handler sees them; other unknown fields, or a tolerated field of the wrong type, are refused.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Ajv } from 'ajv'
import { ignoredKeyword, ProjectUpdateBody, RobotCreationBody, RobotUpdateBody, UserCreationBody } from './shapes.js'

function validator(schema: object) {
  const ajv = new Ajv({ removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false, strict: false })
  ajv.addKeyword(ignoredKeyword)
  return ajv.compile(schema)
}

describe('request bodies: tolerated Harbor fields', () => {
  it('read-only robot fields are accepted and removed; what Berth uses stays', () => {
    const validate = validator(RobotUpdateBody)
    const body: Record<string, unknown> = { id: 7, editable: false, expires_at: 1, creation_time: 'x', update_time: 'y', creator_type: 'local', creator_ref: 1, secret: 'S3cret-secret', description: 'kept', permissions: [{ kind: 'project', namespace: 'p', access: [{ resource: 'repository', action: 'pull', effect: 'allow' }] }] }
    assert.ok(validate(body), JSON.stringify(validate.errors))
    assert.deepEqual(body, { description: 'kept', permissions: [{ kind: 'project', namespace: 'p', access: [{ resource: 'repository', action: 'pull' }] }] })
  })

  it('nested read-only fields go too (a project PUT back whole, its allowlist with ids)', () => {
    const validate = validator(ProjectUpdateBody)
    const body: Record<string, unknown> = { project_id: 1, name: 'p', owner_id: 1, current_user_role_ids: [1], metadata: { auto_scan: 'true' }, cve_allowlist: { id: 3, project_id: 1, items: [{ cve_id: 'CVE-2024-1' }], creation_time: 't' } }
    assert.ok(validate(body), JSON.stringify(validate.errors))
    assert.deepEqual(body, { metadata: { auto_scan: 'true' }, cve_allowlist: { items: [{ cve_id: 'CVE-2024-1' }] } })
  })

  it('an unknown field is refused, and so is a tolerated one of the wrong type', () => {
    const robot = validator(RobotCreationBody)
    const base = { name: 'r', level: 'project', duration: -1, permissions: [] }
    assert.equal(robot({ ...base, secret_hash: 'x' }), false)
    assert.equal(robot.errors?.[0]?.keyword, 'additionalProperties')
    assert.equal(robot({ ...base, editable: 'no' }), false)
    const user = validator(UserCreationBody)
    for (const field of ['sysadmin_flag', 'user_id', 'admin_role_in_auth']) assert.equal(user({ username: 'u', password: 'p', [field]: true }), false, field)
  })
})
