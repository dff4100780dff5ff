// Policy filters and destination names, as Harbor users write them.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { compileFilters, destinationRepository, literalRepositories } from './filters.js'

describe('replication filters', () => {
  it('name globs: ** crosses path segments, * does not, {a,b} picks, ? is one character', () => {
    const m = (pattern: string, repo: string) => compileFilters([{ type: 'name', value: pattern }]).matchesRepository(repo)
    assert.equal(m('library/**', 'library/a/b/c'), true)
    assert.equal(m('library/*', 'library/a'), true)
    assert.equal(m('library/*', 'library/a/b'), false)
    assert.equal(m('**', 'any/project/created/later'), true)
    assert.equal(m('{prod,stage}/**', 'stage/web'), true)
    assert.equal(m('{prod,stage}/**', 'dev/web'), false)
    assert.equal(m('team/app?', 'team/app1'), true)
    assert.equal(m('team/app?', 'team/app12'), false)
  })

  it('tags match or exclude; an artifact pushed by digest (no tag) passes tag filters', () => {
    const f = compileFilters([{ type: 'name', value: '**' }, { type: 'tag', value: '*-rc*', decoration: 'excludes' }])
    assert.equal(f.matches({ repository: 'a/b', tag: 'v1.0' }), true)
    assert.equal(f.matches({ repository: 'a/b', tag: 'v1.0-rc1' }), false)
    assert.equal(f.matches({ repository: 'a/b' }), true)
    const only = compileFilters([{ type: 'tag', value: 'v{1,2}.*' }])
    assert.deepEqual(['v1.3', 'v2.0', 'v3.0', 'latest'].map((tag) => only.matches({ repository: 'x/y', tag })), [true, true, false, false])
  })

  it('labels: every listed label must be on the artifact (or none, with excludes)', () => {
    const f = compileFilters([{ type: 'label', value: ['prod', 'signed'] }])
    assert.equal(f.matches({ repository: 'a/b', tag: 't', labels: ['signed', 'prod', 'x'] }), true)
    assert.equal(f.matches({ repository: 'a/b', tag: 't', labels: ['prod'] }), false)
    const not = compileFilters([{ type: 'label', value: ['wip'], decoration: 'excludes' }])
    assert.equal(not.matches({ repository: 'a/b', tag: 't', labels: ['wip'] }), false)
    assert.equal(not.matches({ repository: 'a/b', tag: 't', labels: [] }), true)
  })

  it('refuses malformed filters with a message naming the problem', () => {
    assert.throws(() => compileFilters([{ type: 'colour' as 'name', value: 'red' }]), /unknown filter type "colour"/)
    assert.throws(() => compileFilters([{ type: 'name', value: '' }]), /non-empty pattern/)
    assert.throws(() => compileFilters([{ type: 'tag', value: 'v*', decoration: 'maybe' as 'matches' }]), /matches or excludes/)
    assert.throws(() => compileFilters([{ type: 'label', value: [1 as unknown as string] }]), /list of label names/)
    assert.throws(() => compileFilters([{ type: 'resource', value: 'chart' }]), /image or artifact/)
  })

  it('a policy that names its repositories outright needs no catalog', () => {
    assert.deepEqual(literalRepositories([{ type: 'name', value: 'library/nginx' }, { type: 'tag', value: '1.*' }]), ['library/nginx'])
    assert.equal(literalRepositories([{ type: 'name', value: 'library/*' }]), null)
    assert.equal(literalRepositories([{ type: 'name', value: '{a,b}/web' }]), null)
    assert.equal(literalRepositories([{ type: 'tag', value: 'v1' }]), null)
  })

  it("destination names follow Harbor's namespace and flattening levels", () => {
    const repo = 'a/b/c'
    assert.equal(destinationRepository(repo, '', 1), 'a/b/c')
    assert.equal(destinationRepository(repo, 'ns', -1), 'ns/b/c')
    assert.equal(destinationRepository(repo, 'ns', 0), 'ns/a/b/c')
    assert.equal(destinationRepository(repo, 'ns', 1), 'ns/b/c')
    assert.equal(destinationRepository(repo, 'ns', 2), 'ns/c')
    assert.equal(destinationRepository(repo, 'ns', 9), 'ns/c')
  })
})
