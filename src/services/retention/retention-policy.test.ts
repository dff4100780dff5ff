// Harbor's retention templates and policy validation, on prepared histories: each template,
// rules OR'ed, include and exclude selectors, untagged handling, repositories no rule covers.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { BerthError } from '../../lib/errors.js'
import { compileRules, decide, parsePolicy, retentionMetadata, storedPolicy, loadPolicy, MAX_RULES, type Candidate } from './retention-policy.js'

const DAY = 86_400_000
const NOW = Date.parse('2026-06-01T00:00:00Z')
const sel = (decoration: string, pattern: string, extras?: string) => ({ kind: 'doublestar', decoration, pattern, ...(extras !== undefined ? { extras } : {}) })

function rule(template: string, n: number | undefined, o: { tags?: object[]; repos?: object[]; disabled?: boolean } = {}) {
  return {
    template,
    action: 'retain',
    params: n === undefined ? {} : { [template]: n },
    disabled: o.disabled ?? false,
    tag_selectors: o.tags ?? [sel('matches', '**')],
    scope_selectors: { repository: o.repos ?? [sel('repoMatches', '**')] },
  }
}

/** Artifact i: pushed i days ago, pulled `pulled[i]` days ago (or never). */
function history(tags: string[][], pulled: (number | null)[] = []): Candidate[] {
  return tags.map((t, i) => ({ digest: `sha256:${String(i).padStart(64, '0')}`, tags: t, pushedAt: NOW - i * DAY, pulledAt: pulled[i] == null ? 0 : NOW - pulled[i]! * DAY }))
}

function deleted(rules: object[], candidates: Candidate[], repository = 'app'): string[] | null {
  const d = decide(compileRules(parsePolicy({ rules })), repository, candidates, NOW)
  return d === null ? null : d.deleted.map((c) => c.tags.join(',') || `untagged:${c.digest.slice(-1)}`)
}

describe('retention policy', () => {
  const five = history([['v5'], ['v4'], ['v3'], ['v2'], ['v1']], [null, 1, 10, 2, 40])

  it('latestPushedK keeps the K most recently pushed', () => {
    assert.deepEqual(deleted([rule('latestPushedK', 2)], five), ['v3', 'v2', 'v1'])
    assert.deepEqual(deleted([rule('latestPushedK', 0)], five), ['v5', 'v4', 'v3', 'v2', 'v1'])
    assert.deepEqual(deleted([rule('latestPushedK', 10)], five), [])
  })

  it('latestPulledN keeps the N most recently pulled; never pulled counts as oldest', () => {
    assert.deepEqual(deleted([rule('latestPulledN', 2)], five), ['v5', 'v3', 'v1'])
  })

  it('nDaysSinceLastPush and nDaysSinceLastPull keep what was pushed or pulled within N days', () => {
    assert.deepEqual(deleted([rule('nDaysSinceLastPush', 2)], five), ['v2', 'v1'])
    assert.deepEqual(deleted([rule('nDaysSinceLastPull', 5)], five), ['v5', 'v3', 'v1'])
  })

  it('always keeps every selected artifact; what no rule selects is deleted', () => {
    assert.deepEqual(deleted([rule('always', undefined, { tags: [sel('matches', 'v{1,2}')] })], five), ['v5', 'v4', 'v3'])
  })

  it("rules are OR'ed: an artifact stays when any rule retains it; disabled rules do nothing", () => {
    const rules = [rule('latestPushedK', 1), rule('always', undefined, { tags: [sel('matches', 'v1')] }), rule('always', undefined, { disabled: true })]
    assert.deepEqual(deleted(rules, five), ['v4', 'v3', 'v2'])
  })

  it('an artifact is selected by any of its tags; excludes select the others', () => {
    const h = history([['latest', 'v3'], ['v2'], ['dev-1']])
    assert.deepEqual(deleted([rule('always', undefined, { tags: [sel('matches', 'v*')] })], h), ['dev-1'])
    assert.deepEqual(deleted([rule('always', undefined, { tags: [sel('excludes', 'dev-*')] })], h), ['dev-1'])
  })

  it('repository selectors: repositories no rule covers are left alone (null), excludes leave them out', () => {
    const rules = [rule('latestPushedK', 1, { repos: [sel('repoMatches', 'web/**')] })]
    assert.equal(deleted(rules, five, 'app'), null)
    assert.deepEqual(deleted(rules, five, 'web/front'), ['v4', 'v3', 'v2', 'v1'])
    assert.equal(deleted([rule('latestPushedK', 1, { repos: [sel('repoExcludes', 'web/**')] })], five, 'web/front'), null)
  })

  it('untagged artifacts: selected by default (matches), left alone with {"untagged":false}, compete for the K slots', () => {
    const h = history([[], ['v2'], [], ['v1']])
    assert.deepEqual(deleted([rule('latestPushedK', 1)], h), ['v2', 'untagged:2', 'v1'])
    assert.deepEqual(deleted([rule('latestPushedK', 1, { tags: [sel('matches', '**', '{"untagged":false}')] })], h), ['v1'])
  })

  it('validation names the field; a stored policy reads back the same', () => {
    const cases: [object, RegExp][] = [
      [{ rules: [rule('latestK', 1)] }, /rules\[0\]\.template must be one of/],
      [{ rules: [rule('latestPushedK', undefined)] }, /params\.latestPushedK is required/],
      [{ rules: [{ ...rule('latestPushedK', 1), params: { latestPushedK: -1 } }] }, /less than zero/],
      [{ rules: [{ ...rule('latestPushedK', 1), params: { latestPushedK: 40_000 } }] }, /larger than 32766/],
      [{ rules: [{ ...rule('latestPushedK', 1), params: { latestPushedK: 1.5 } }] }, /must be an integer/],
      [{ rules: [{ ...rule('always', undefined), params: { always: 1 } }] }, /takes none/],
      [{ rules: [{ ...rule('latestPushedK', 1), params: { latestPushedK: 1, extra: 2 } }] }, /params\.extra is not a parameter/],
      [{ rules: [{ ...rule('latestPushedK', 1), action: 'immutable' }] }, /action must be "retain"/],
      [{ rules: [{ ...rule('latestPushedK', 1), tag_selectors: undefined }] }, /tag_selectors is required/],
      [{ rules: [rule('latestPushedK', 1, { tags: [sel('matches', 'v'.repeat(300))] })] }, /tag_selectors\[0\]\.pattern is longer than 256/],
      [{ algorithm: 'and', rules: [] }, /algorithm must be "or"/],
      [{ rules: Array.from({ length: MAX_RULES + 1 }, () => rule('always', undefined)) }, /at most 15 rules/],
      [{ rules: [], trigger: { kind: 'Event' } }, /trigger\.kind must be "Schedule"/],
      [{ rules: [], trigger: { kind: 'Schedule', settings: { cron: 'every day' } } }, /invalid cron/],
    ]
    for (const [input, message] of cases) {
      assert.throws(() => parsePolicy(input), (err: unknown) => err instanceof BerthError && err.code === 'BAD_REQUEST' && message.test(err.message), JSON.stringify(input).slice(0, 120))
    }
    const p = parsePolicy({ rules: [rule('nDaysSinceLastPull', '7' as unknown as number, { tags: [sel('excludes', 'tmp-*', '{"untagged":true}')] })], trigger: { kind: 'Schedule', settings: { cron: '0 0 3 * * *' } } })
    assert.equal(p.rules[0]!.params.nDaysSinceLastPull, 7)
    assert.deepEqual(loadPolicy(storedPolicy(p)), p)
  })

  it("metadata lists Harbor's five templates with their parameter units", () => {
    const m = retentionMetadata()
    assert.deepEqual(
      m.templates.map((t) => [t.rule_template, t.params.map((x) => x.unit).join()]),
      [
        ['latestPushedK', 'COUNT'],
        ['latestPulledN', 'COUNT'],
        ['nDaysSinceLastPush', 'DAYS'],
        ['nDaysSinceLastPull', 'DAYS'],
        ['always', ''],
      ],
    )
  })
})
