// The immutability check on its own: which tags it refuses, what it costs (rule loads and tag
// lookups), and how a rule change reaches every node through the bus.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MemoryState } from '../../cache/shared-state.js'
import type { ImmutableRuleRow } from '../../metadata/immutable-rule-store.js'
import type { Stores } from '../../metadata/stores.js'
import type { ProjectService } from '../identity/project-service.js'
import type { AuditLog } from '../audit/audit-log.js'
import { ImmutabilityService, RULES_CHANGED } from './immutability-service.js'

/** Rules of projects in memory, counting how often a project's rules are read. */
class FakeRules {
  readonly rows: ImmutableRuleRow[] = []
  loads = 0
  add(projectId: number, tag: { decoration: string; pattern: string }, repository = { decoration: 'repoMatches', pattern: '**' }, disabled = false): ImmutableRuleRow {
    const rule = {
      action: 'immutable',
      template: 'immutable_template',
      params: {},
      tag_selectors: [{ kind: 'doublestar', ...tag }],
      scope_selectors: { repository: [{ kind: 'doublestar', ...repository }] },
    }
    const row = { id: this.rows.length + 1, projectId, disabled, priority: 0, rule: JSON.stringify(rule), createdAt: '', updatedAt: '' }
    this.rows.push(row)
    return row
  }
  async all(projectId: number): Promise<ImmutableRuleRow[]> {
    this.loads++
    return this.rows.filter((r) => r.projectId === projectId)
  }
}

function serviceOver(rules: FakeRules, o: { bus?: MemoryState['bus']; now?: () => number } = {}): ImmutabilityService {
  const stores = { immutableRules: rules } as unknown as Stores
  return new ImmutabilityService({ stores, projects: {} as ProjectService, audit: {} as AuditLog, ...(o.bus !== undefined ? { bus: o.bus } : {}), ...(o.now !== undefined ? { now: o.now } : {}) })
}

async function refused(p: Promise<void>, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: Error & { code?: string }) => e.code === 'PRECONDITION' && re.test(e.message))
}

describe('immutability check', () => {
  it('refuses a tag an enabled rule selects, in a repository its scope covers (matched without the project)', async () => {
    const rules = new FakeRules()
    rules.add(1, { decoration: 'matches', pattern: 'v*' }, { decoration: 'repoMatches', pattern: '{web,api}/**' })
    rules.add(1, { decoration: 'excludes', pattern: 'dev-*' }, { decoration: 'repoMatches', pattern: 'db' })
    rules.add(1, { decoration: 'matches', pattern: '**' }, { decoration: 'repoMatches', pattern: '**' }, true)
    const s = serviceOver(rules)
    await refused(s.check(1, 'team/web/front', ['latest', 'v1.0'], 'push'), /the tag team\/web\/front:v1\.0 is immutable, cannot be overwritten/)
    await refused(s.check(1, 'team/db', ['stable'], 'delete'), /team\/db:stable is immutable, cannot be deleted/)
    await s.check(1, 'team/web/front', ['latest'], 'push')
    await s.check(1, 'team/db', ['dev-1'], 'delete')
    // Scope selectors see the name without its project: 'team/api/x' is 'api/x'.
    await refused(s.check(1, 'team/api/x', ['v2'], 'delete'), /team\/api\/x:v2/)
    await s.check(1, 'web/x', ['v1'], 'push') // project 'web', repository 'x'
    await s.check(1, 'team/other', ['v1', 'anything'], 'push') // only the disabled rule covers it
    await s.check(2, 'elsewhere/web/x', ['v1'], 'push') // another project's rules do not apply
  })

  it('costs one rule load per project while cached, and no tag lookup unless a rule covers the repository', async () => {
    let now = 1_000
    const rules = new FakeRules()
    rules.add(1, { decoration: 'matches', pattern: 'v*' }, { decoration: 'repoMatches', pattern: 'web' })
    const s = serviceOver(rules, { now: () => now })
    let lookups = 0
    const tags = async () => {
      lookups++
      return ['latest']
    }
    await Promise.all(Array.from({ length: 20 }, () => s.check(1, 'p/api', tags, 'delete')))
    await Promise.all(Array.from({ length: 20 }, () => s.check(7, 'empty/app', tags, 'delete')))
    assert.equal(rules.loads, 2, 'one load per project for concurrent and repeated checks')
    assert.equal(lookups, 0, 'tags are not looked up when no rule covers the repository')
    await s.check(1, 'p/web', tags, 'delete')
    assert.equal(lookups, 1)
    now += 60_000
    await s.check(7, 'empty/app', tags, 'delete')
    assert.equal(rules.loads, 3, 'an expired entry is loaded again')
  })

  it('a rule change reaches every node at once through the bus', async () => {
    const shared = new MemoryState()
    const rules = new FakeRules()
    const nodeA = serviceOver(rules, { bus: shared.bus })
    const nodeB = serviceOver(rules, { bus: shared.bus })
    await nodeA.check(1, 'p/app', ['v1'], 'push')
    await nodeB.check(1, 'p/app', ['v1'], 'push')
    const row = rules.add(1, { decoration: 'matches', pattern: 'v1' })
    // Both nodes have the empty rule list cached; the change is announced.
    await shared.bus.publish(RULES_CHANGED, '1')
    await refused(nodeA.check(1, 'p/app', ['v1'], 'push'), /immutable/)
    await refused(nodeB.check(1, 'p/app', ['v1'], 'push'), /immutable/)
    row.disabled = true
    await shared.bus.publish(RULES_CHANGED, '1')
    await nodeB.check(1, 'p/app', ['v1'], 'push')
    // A message that is not a project id is ignored.
    await shared.bus.publish(RULES_CHANGED, 'nonsense')
  })
})
