import { describe, expect, it } from 'vitest'
import { historyWithLayers, labelChanges, labelState, pullCommand, registryHost, repoInProject, repoParams, repoUrl, shortDigest, summariseIndex, type Reference } from './artifacts'

const DIGEST = `sha256:${'ab'.repeat(32)}`
const label = (id: number) => ({ id, name: `l${id}`, description: '', color: '', scope: 'g', project_id: 0, creation_time: '', update_time: '' })

describe('names in URLs', () => {
  it('a nested repository is one console path segment and %2F (then %252F on the wire) in the API', () => {
    expect(repoUrl(7, 'team/app')).toBe('/projects/7/repositories/team%2Fapp')
    expect(repoUrl(7, 'team/app', DIGEST)).toBe(`/projects/7/repositories/team%2Fapp/artifacts/${encodeURIComponent(DIGEST)}`)
    expect(repoParams('lib', 'team/sub/app')).toEqual({ project_name: 'lib', repository_name: 'team%2Fsub%2Fapp' })
    expect(repoInProject('lib/team/app', 'lib')).toBe('team/app')
    expect(repoInProject('other/app', 'lib')).toBe('other/app')
  })
  it('shortens digests to 12 hex digits', () => {
    expect(shortDigest(DIGEST)).toBe('sha256:abababababab')
  })
})

describe('pull commands', () => {
  it('by tag and by digest, for docker and podman, with the full nested name', () => {
    expect(pullCommand('docker', 'reg.example.com', 'lib/team/app', { tag: 'v1.2' })).toBe('docker pull reg.example.com/lib/team/app:v1.2')
    expect(pullCommand('podman', 'reg.example.com:5000', 'lib/app', { digest: DIGEST })).toBe(`podman pull reg.example.com:5000/lib/app@${DIGEST}`)
  })
  it('the host is systeminfo registry_url without its scheme, else the page host', () => {
    expect(registryHost('https://reg.example.com/', 'localhost:5101')).toBe('reg.example.com')
    expect(registryHost('reg.example.com:8443', 'localhost:5101')).toBe('reg.example.com:8443')
    expect(registryHost(undefined, 'localhost:5101')).toBe('localhost:5101')
    expect(registryHost('  ', '127.0.0.1:5101')).toBe('127.0.0.1:5101')
  })
})

describe('labels of a multi-selection', () => {
  const a = { digest: 'sha256:a', labels: [label(1), label(2)] }
  const b = { digest: 'sha256:b', labels: [label(2)] }
  const c = { digest: 'sha256:c', labels: [] }

  it('says whether all, some or none carry a label', () => {
    expect(labelState([a, b], 2)).toBe('all')
    expect(labelState([a, b, c], 1)).toBe('some')
    expect(labelState([b, c], 1)).toBe('none')
  })
  it('adds only where missing, removes only where present, and leaves untouched labels alone', () => {
    const wanted = new Map([
      [1, true],
      [2, false],
    ])
    expect(labelChanges([a, b, c], wanted)).toEqual({
      add: [
        { digest: 'sha256:b', labelId: 1 },
        { digest: 'sha256:c', labelId: 1 },
      ],
      remove: [
        { digest: 'sha256:a', labelId: 2 },
        { digest: 'sha256:b', labelId: 2 },
      ],
    })
    expect(labelChanges([a, b, c], new Map())).toEqual({ add: [], remove: [] })
    expect(labelChanges([a], new Map([[1, true]]))).toEqual({ add: [], remove: [] })
  })
})

describe('an index', () => {
  const ref = (platform: Record<string, unknown> | undefined, annotations?: Record<string, string>): Reference => ({ parent_id: 1, child_id: 2, child_digest: DIGEST, ...(platform ? { platform } : {}), ...(annotations ? { annotations } : {}) })
  it('lists each platform once, sorted, with variants, and counts attestations apart', () => {
    const s = summariseIndex([
      ref({ os: 'linux', architecture: 'arm64', variant: 'v8' }),
      ref({ os: 'linux', architecture: 'amd64' }),
      ref({ os: 'linux', architecture: 'amd64' }),
      ref({ os: 'unknown', architecture: 'unknown' }, { 'vnd.docker.reference.type': 'attestation-manifest' }),
      ref(undefined),
    ])
    expect(s).toEqual({ platforms: ['linux/amd64', 'linux/arm64/v8'], attestations: 1 })
  })
})

describe('build history', () => {
  it('pairs each step that made a layer with the next layer, in order', () => {
    const layers = [
      { digest: 'sha256:l1', size: 10 },
      { digest: 'sha256:l2', size: 20 },
    ]
    const rows = historyWithLayers([{ created_by: 'ADD' }, { created_by: 'ENV', empty_layer: true }, { created_by: 'RUN' }, { created_by: 'extra' }], layers)
    expect(rows.map((r) => r.layer?.digest ?? null)).toEqual(['sha256:l1', null, 'sha256:l2', null])
  })
})
