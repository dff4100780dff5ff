import { describe, expect, it } from 'vitest'
import { accessOfRobot, byResource, permissionsBody, toggled, type Grantable } from './robot-permissions'

const grantable: Grantable = {
  system: [
    { resource: 'audit-log', action: 'list' },
    { resource: 'registry', action: 'read' },
    { resource: 'registry', action: 'list' },
  ],
  project: [
    { resource: 'repository', action: 'pull' },
    { resource: 'repository', action: 'push' },
    { resource: 'artifact', action: 'read' },
    { resource: 'tag', action: 'list' },
  ],
}

describe('robot permissions', () => {
  it('groups pairs by resource in the order the server lists them', () => {
    expect(byResource(grantable.project)).toEqual([
      ['repository', ['pull', 'push']],
      ['artifact', ['read']],
      ['tag', ['list']],
    ])
  })

  it('builds a project robot body from the ticked boxes, in the offered order, without unknown pairs', () => {
    const body = permissionsBody({ system: new Set(), projects: [{ namespace: 'demo', ticked: new Set(['tag:list', 'repository:pull', 'member:create']) }] }, grantable)
    expect(body).toEqual([{ kind: 'project', namespace: 'demo', access: [{ resource: 'repository', action: 'pull' }, { resource: 'tag', action: 'list' }] }])
  })

  it('builds a system robot body: the system entry first, then each project with something ticked', () => {
    const body = permissionsBody(
      {
        system: new Set(['registry:list', 'audit-log:list']),
        projects: [
          { namespace: '*', ticked: new Set(['repository:pull']) },
          { namespace: ' empty ', ticked: new Set() },
          { namespace: '', ticked: new Set(['repository:push']) },
          { namespace: ' team-a ', ticked: new Set(['artifact:read']) },
        ],
      },
      grantable,
    )
    expect(body).toEqual([
      { kind: 'system', namespace: '/', access: [{ resource: 'audit-log', action: 'list' }, { resource: 'registry', action: 'list' }] },
      { kind: 'project', namespace: '*', access: [{ resource: 'repository', action: 'pull' }] },
      { kind: 'project', namespace: 'team-a', access: [{ resource: 'artifact', action: 'read' }] },
    ])
  })

  it('reads a saved robot back into the same ticks (round trip)', () => {
    const access = { system: new Set(['registry:read']), projects: [{ namespace: 'demo', ticked: new Set(['repository:pull', 'repository:push']) }] }
    const again = accessOfRobot(permissionsBody(access, grantable))
    expect(again).toEqual(access)
    expect(permissionsBody(again, grantable)).toEqual(permissionsBody(access, grantable))
  })

  it('nothing ticked is an empty body (the form then asks for a permission)', () => {
    expect(permissionsBody({ system: new Set(), projects: [{ namespace: 'demo', ticked: new Set() }] }, grantable)).toEqual([])
  })

  it('toggles several keys at once without touching the others', () => {
    const start = new Set(['a:x', 'b:y'])
    expect([...toggled(start, ['c:z', 'a:x'], true)].sort()).toEqual(['a:x', 'b:y', 'c:z'])
    expect([...toggled(start, ['a:x'], false)]).toEqual(['b:y'])
    expect([...start].sort()).toEqual(['a:x', 'b:y'])
  })
})
