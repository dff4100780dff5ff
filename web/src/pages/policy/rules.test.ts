// Rules in words for every template, and retention and immutability forms to request bodies and back.
import { describe, expect, it } from 'vitest'
import i18n from 'i18next'
import { describeRetentionRule, immutableRuleBody, includesUntagged, NEW_RETENTION_RULE, retentionPolicyBody, retentionRuleBody, retentionRuleErrors, retentionRuleForm, type RetentionRule } from './rules'

const t = i18n.t.bind(i18n)

function rule(template: string, n: number | undefined, o: { repo?: [string, string]; tag?: [string, string]; extras?: string; disabled?: boolean } = {}): RetentionRule {
  const [repoDecoration, repoPattern] = o.repo ?? ['repoMatches', '**']
  const [tagDecoration, tagPattern] = o.tag ?? ['matches', 'v*']
  return {
    id: 1,
    priority: 0,
    disabled: o.disabled ?? false,
    action: 'retain',
    template,
    params: n === undefined ? {} : { [template]: n },
    scope_selectors: { repository: [{ kind: 'doublestar', decoration: repoDecoration, pattern: repoPattern }] },
    tag_selectors: [{ kind: 'doublestar', decoration: tagDecoration, pattern: tagPattern, ...(o.extras !== undefined ? { extras: o.extras } : {}) }],
  }
}

describe('a retention rule in words', () => {
  const untaggedOff = '{"untagged":false}'
  it.each([
    ['latestPushedK', 10, 'Retain the 10 most recently pushed artifacts of repositories matching **, tags matching v*'],
    ['latestPushedK', 1, 'Retain the most recently pushed artifact of repositories matching **, tags matching v*'],
    ['latestPulledN', 3, 'Retain the 3 most recently pulled artifacts of repositories matching **, tags matching v*'],
    ['nDaysSinceLastPush', 7, 'Retain the artifacts pushed within the last 7 days of repositories matching **, tags matching v*'],
    ['nDaysSinceLastPull', 1, 'Retain the artifacts pulled within the last day of repositories matching **, tags matching v*'],
    ['always', undefined, 'Retain all artifacts of repositories matching **, tags matching v*'],
  ])('%s %s', (template, n, sentence) => {
    expect(describeRetentionRule(t, rule(template, n, { extras: untaggedOff }))).toBe(sentence)
  })

  it('says when untagged artifacts are included, and names excluded repositories and tags', () => {
    expect(describeRetentionRule(t, rule('latestPushedK', 2, { repo: ['repoExcludes', 'tmp/**'], tag: ['excludes', 'dev-*'] }))).toBe(
      'Retain the 2 most recently pushed artifacts of repositories excluding tmp/**, tags excluding dev-*, untagged artifacts included',
    )
  })

  it("reads Harbor's untagged flag the other way round on excludes, and its defaults when extras is absent", () => {
    const sel = (decoration: string, extras?: string) => [{ kind: 'doublestar', decoration, pattern: '*', ...(extras !== undefined ? { extras } : {}) }]
    expect(includesUntagged(sel('matches'))).toBe(true)
    expect(includesUntagged(sel('matches', '{"untagged":false}'))).toBe(false)
    expect(includesUntagged(sel('excludes'))).toBe(true)
    expect(includesUntagged(sel('excludes', '{"untagged":true}'))).toBe(false)
  })
})

describe('the retention rule form', () => {
  it('becomes the rule body the API takes', () => {
    expect(retentionRuleBody({ ...NEW_RETENTION_RULE, param: ' 5 ', tagPattern: ' v* ', includeUntagged: true }, true)).toEqual({
      action: 'retain',
      template: 'latestPushedK',
      disabled: false,
      params: { latestPushedK: 5 },
      scope_selectors: { repository: [{ kind: 'doublestar', decoration: 'repoMatches', pattern: '**' }] },
      tag_selectors: [{ kind: 'doublestar', decoration: 'matches', pattern: 'v*', extras: '{"untagged":true}' }],
    })
  })

  it('writes the untagged flag the way Harbor reads it on excludes', () => {
    const body = retentionRuleBody({ ...NEW_RETENTION_RULE, tagDecoration: 'excludes', includeUntagged: true }, true)
    expect(body.tag_selectors?.[0]?.extras).toBe('{"untagged":false}')
  })

  it('sends no parameter for a template that takes none', () => {
    expect(retentionRuleBody({ ...NEW_RETENTION_RULE, template: 'always', param: '10' }, false).params).toEqual({})
  })

  it('reads a stored rule back into the same form', () => {
    const form = { ...NEW_RETENTION_RULE, template: 'nDaysSinceLastPull', param: '30', repoDecoration: 'repoExcludes' as const, repoPattern: 'cache/**', disabled: true }
    const body = retentionRuleBody(form, true)
    const stored = { id: 1, priority: 0, ...body } as RetentionRule
    expect(retentionRuleForm(stored)).toEqual(form)
  })

  it('refuses an empty pattern and a count that is not a whole number', () => {
    expect(retentionRuleErrors({ ...NEW_RETENTION_RULE, repoPattern: ' ', param: '1.5' }, true)).toEqual({ repoPattern: 'policy.selector.patternRequired', param: 'policy.retention.paramInvalid' })
    expect(retentionRuleErrors({ ...NEW_RETENTION_RULE, param: '' }, false)).toEqual({})
  })

  it('puts the rules and the schedule in a policy of the project', () => {
    expect(retentionPolicyBody(7, [], '0 0 0 * * *')).toEqual({ algorithm: 'or', rules: [], trigger: { kind: 'Schedule', settings: { cron: '0 0 0 * * *' }, references: {} }, scope: { level: 'project', ref: 7 } })
  })
})

describe('the immutability rule form', () => {
  it('becomes the rule body the API takes', () => {
    expect(immutableRuleBody({ repoDecoration: 'repoMatches', repoPattern: 'web/**', tagDecoration: 'excludes', tagPattern: 'latest' })).toEqual({
      action: 'immutable',
      template: 'immutable_template',
      disabled: false,
      params: {},
      scope_selectors: { repository: [{ kind: 'doublestar', decoration: 'repoMatches', pattern: 'web/**' }] },
      tag_selectors: [{ kind: 'doublestar', decoration: 'excludes', pattern: 'latest' }],
    })
  })
})
