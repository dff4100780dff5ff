// Harbor's rule selectors: validation, globs, excludes, and untagged handling.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { compileSelectors, parseExtras, parseScopeSelectors, parseTagSelectors, repositoryInProject, selectorsJson, type RuleSelectors } from './selectors.js'

const tag = (decoration: string, pattern: string, extras?: string) => ({ kind: 'doublestar', decoration, pattern, ...(extras !== undefined ? { extras } : {}) })
const repo = (decoration: string, pattern: string) => ({ kind: 'doublestar', decoration, pattern })

function rule(tags: object[], repositories: object[] = [repo('repoMatches', '**')]): ReturnType<typeof compileSelectors> {
  return compileSelectors({ tagSelectors: parseTagSelectors(tags), repositorySelectors: parseScopeSelectors({ repository: repositories }) })
}

describe('rule selectors', () => {
  it('tag patterns: * and ? stay within a segment, ** crosses, {a,b} picks, [..] is a class, the whole tag must match', () => {
    const cases: [string, string, boolean][] = [
      ['**', 'anything', true],
      ['*', 'latest', true],
      ['v*', 'v1.2.3', true],
      ['v*', 'release-v1', false],
      ['v?', 'v1', true],
      ['v?', 'v10', false],
      ['{latest,stable}', 'stable', true],
      ['{latest,stable}', 'dev', false],
      ['v{1,2}.*', 'v2.9', true],
      ['v{1,2}.*', 'v3.0', false],
      ['1.[0-4].*', '1.3.7', true],
      ['1.[0-4].*', '1.5.0', false],
      ['release-*', 'release-', true],
      ['prod', 'prod', true],
      ['prod', 'production', false],
      ['', 'whatever', true],
    ]
    for (const [pattern, t, expected] of cases) assert.equal(rule([tag('matches', pattern)]).selectsTag(t), expected, `${pattern} vs ${t}`)
  })

  it('repository patterns match the name without its project: ** crosses segments, * does not', () => {
    const cases: [string, string, boolean][] = [
      ['**', 'a/b/c', true],
      ['app', 'app', true],
      ['app', 'team/app', false],
      ['*', 'app', true],
      ['*', 'a/b', false],
      ['a/**', 'a/b/c', true],
      ['a/*', 'a/b/c', false],
      ['**/nginx', 'mirror/docker/nginx', true],
      ['{web,api}', 'api', true],
      ['{web,api}', 'db', false],
      ['{web,api}/**', 'web/frontend/v2', true],
    ]
    for (const [pattern, name, expected] of cases) assert.equal(rule([tag('matches', '**')], [repo('repoMatches', pattern)]).coversRepository(name), expected, `${pattern} vs ${name}`)
    assert.equal(repositoryInProject('library/a/b'), 'a/b')
    assert.equal(repositoryInProject('library/nginx'), 'nginx')
  })

  it('excludes invert a selector; several selectors must all select', () => {
    const notRc = rule([tag('excludes', '*-rc*')])
    assert.equal(notRc.selectsTag('v1.0'), true)
    assert.equal(notRc.selectsTag('v1.0-rc1'), false)
    const both = rule([tag('matches', 'v*'), tag('excludes', '*-rc*')], [repo('repoMatches', '**'), repo('repoExcludes', 'tmp/**')])
    assert.equal(both.selectsTag('v2'), true)
    assert.equal(both.selectsTag('v2-rc1'), false)
    assert.equal(both.selectsTag('latest'), false)
    assert.equal(both.coversRepository('web'), true)
    assert.equal(both.coversRepository('tmp/x'), false)
  })

  it('an artifact is selected by any of its tags (matches: one matches; excludes: one does not), as Harbor retention selects', () => {
    const matches = rule([tag('matches', 'v*')])
    assert.equal(matches.selects({ repository: 'app', tags: ['latest', 'v1'] }), true)
    assert.equal(matches.selects({ repository: 'app', tags: ['latest', 'dev'] }), false)
    const excludes = rule([tag('excludes', 'v*')])
    assert.equal(excludes.selects({ repository: 'app', tags: ['v1', 'latest'] }), true)
    assert.equal(excludes.selects({ repository: 'app', tags: ['v1', 'v2'] }), false)
    const scoped = rule([tag('matches', '**')], [repo('repoMatches', 'web')])
    assert.equal(scoped.selects({ repository: 'api', tags: ['v1'] }), false)
  })

  it('untagged artifacts: selected by default either way; {"untagged":false} on matches and {"untagged":true} on excludes leave them out', () => {
    const untagged = { repository: 'app', tags: [] }
    assert.equal(rule([tag('matches', '**')]).selects(untagged), true)
    assert.equal(rule([tag('excludes', 'v*')]).selects(untagged), true)
    assert.equal(rule([tag('matches', '**', '{"untagged":false}')]).selects(untagged), false)
    assert.equal(rule([tag('matches', '**', '{"untagged":true}')]).selects(untagged), true)
    assert.equal(rule([tag('excludes', 'v*', '{"untagged":true}')]).selects(untagged), false)
    assert.equal(rule([tag('excludes', 'v*', '{"untagged":false}')]).selects(untagged), true)
    // The flag is exposed for retention, and extras read back as written.
    const parsed = parseTagSelectors([tag('matches', '**', '{"untagged":false}'), tag('excludes', 'x')])
    assert.deepEqual(parsed.map((s) => s.untagged), [false, false])
    const selectors: RuleSelectors = { tagSelectors: parsed, repositorySelectors: parseScopeSelectors({ repository: [repo('repoMatches', '**')] }) }
    assert.deepEqual(selectorsJson(selectors).tag_selectors[0], { kind: 'doublestar', decoration: 'matches', pattern: '**', extras: '{"untagged":false}' })
    assert.equal(parseExtras('{"other":1}', true), true)
  })

  it('refuses malformed selectors with a message naming the field', () => {
    const tagErr = (list: unknown, re: RegExp) => assert.throws(() => parseTagSelectors(list), (e: Error & { code?: string }) => e.code === 'BAD_REQUEST' && re.test(e.message))
    const scopeErr = (scope: unknown, re: RegExp) => assert.throws(() => parseScopeSelectors(scope), (e: Error & { code?: string }) => e.code === 'BAD_REQUEST' && re.test(e.message))
    tagErr('**', /tag_selectors must be a list/)
    tagErr([], /at least one selector/)
    tagErr(Array.from({ length: 11 }, () => tag('matches', '**')), /more than 10 selectors/)
    tagErr([null], /tag_selectors\[0\] must be an object/)
    tagErr([{ ...tag('matches', '**'), kind: 'regexp' }], /tag_selectors\[0\]\.kind must be "doublestar"/)
    tagErr([tag('repoMatches', '**')], /tag_selectors\[0\]\.decoration must be matches or excludes/)
    tagErr([{ kind: 'doublestar', decoration: 'matches', pattern: 7 }], /tag_selectors\[0\]\.pattern must be a string/)
    tagErr([tag('matches', 'x'.repeat(257))], /longer than 256/)
    tagErr([tag('matches', 'a\nb')], /control characters/)
    tagErr([tag('matches', '**', 'untagged')], /extras is not JSON/)
    tagErr([tag('matches', '**', '[true]')], /JSON object/)
    tagErr([tag('matches', '**', '{"untagged":"yes"}')], /untagged must be true or false/)
    tagErr([{ ...tag('matches', '**'), extras: { untagged: true } }], /JSON string/)
    scopeErr([], /must be an object/)
    scopeErr({ repository: [repo('repoMatches', '**')], namespace: [] }, /only "repository", not "namespace"/)
    scopeErr({}, /scope_selectors\.repository must be a list/)
    scopeErr({ repository: [repo('matches', '**')] }, /repository\[0\]\.decoration must be repoMatches or repoExcludes/)
  })

  it('hostile patterns compile quickly and match in bounded time', () => {
    const started = Date.now()
    const r = rule([tag('matches', `${'{a,b}'.repeat(8)}*${'?'.repeat(40)}`)], [repo('repoMatches', `${'**/'.repeat(60)}x`)])
    r.selectsTag('ab'.repeat(100))
    r.coversRepository(`${'a/'.repeat(100)}y`)
    assert.ok(Date.now() - started < 2_000, 'pattern matching took too long')
  })
})
