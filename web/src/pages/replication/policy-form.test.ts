import { describe, expect, it } from 'vitest'
import type { Policy } from './api-types'
import { emptyPolicyForm, policyBody, policyErrors, policyFormOf, type PolicyForm } from './policy-form'

const form = (patch: Partial<PolicyForm>): PolicyForm => ({ ...emptyPolicyForm(), name: 'p', registryId: 7, ...patch })

describe('policyBody', () => {
  it('a push policy: this registry is the source, the chosen one the destination', () => {
    const b = policyBody(form({ mode: 'push' }))
    expect(b.src_registry).toBeNull()
    expect(b.dest_registry).toEqual({ id: 7 })
  })

  it('a pull policy: the chosen registry is the source, this one the destination', () => {
    const b = policyBody(form({ mode: 'pull' }))
    expect(b.src_registry).toEqual({ id: 7 })
    expect(b.dest_registry).toBeNull()
  })

  it('filters: name, tag with exclusion, labels as a list, resource type; empty ones left out', () => {
    const b = policyBody(form({ nameFilter: ' library/** ', tagFilter: 'dev-*', tagDecoration: 'excludes', labels: 'prod, , signed ', resource: 'image' }))
    expect(b.filters).toEqual([
      { type: 'name', value: 'library/**' },
      { type: 'tag', value: 'dev-*', decoration: 'excludes' },
      { type: 'label', value: ['prod', 'signed'] },
      { type: 'resource', value: 'image' },
    ])
    expect(policyBody(form({})).filters).toEqual([])
  })

  it('a scheduled trigger carries its cron, spaces normalised; other triggers an empty one', () => {
    expect(policyBody(form({ trigger: 'scheduled', cron: ' 0  0 3 * * * ' })).trigger).toEqual({ type: 'scheduled', trigger_settings: { cron: '0 0 3 * * *' } })
    expect(policyBody(form({ trigger: 'event_based', cron: '0 0 3 * * *' })).trigger).toEqual({ type: 'event_based', trigger_settings: { cron: '' } })
  })

  it('namespace, flattening, speed (empty: unlimited) and the switches', () => {
    const b = policyBody(form({ destNamespace: 'mirror', flatten: 100, speed: '512', override: false, enabled: false, replicateDeletion: true, copyByChunk: true }))
    expect(b).toMatchObject({ dest_namespace: 'mirror', dest_namespace_replace_count: 100, speed: 512, override: false, enabled: false, replicate_deletion: true, copy_by_chunk: true })
    expect(policyBody(form({})).speed).toBe(-1)
  })
})

describe('policyFormOf', () => {
  const registry = { id: 7, name: 'b', url: 'https://b', description: '', type: 'berth', insecure: false, credential: {}, status: 'healthy', creation_time: '', update_time: '' }
  const local = { id: 0, name: 'Local', type: 'berth', url: '' }
  const policy: Policy = {
    id: 1,
    name: 'to-b',
    description: 'd',
    src_registry: local,
    dest_registry: registry,
    dest_namespace: 'mirror',
    dest_namespace_replace_count: -1,
    trigger: { type: 'scheduled', trigger_settings: { cron: '0 0 3 * * *' } },
    filters: [
      { type: 'name', value: 'library/**' },
      { type: 'name', value: 'other/**', decoration: 'excludes' },
      { type: 'label', value: ['a', 'b'], decoration: 'excludes' },
    ],
    replicate_deletion: false,
    deletion: false,
    override: true,
    enabled: true,
    speed: -1,
    copy_by_chunk: false,
    single_active_replication: true,
    creation_time: '',
    update_time: '',
  }

  it('reads a stored policy and gives back the same body, filters it has no field for kept', () => {
    const f = policyFormOf(policy)
    expect(f).toMatchObject({ mode: 'push', registryId: 7, nameFilter: 'library/**', labels: 'a, b', labelDecoration: 'excludes', trigger: 'scheduled', cron: '0 0 3 * * *', flatten: 1, speed: '' })
    const b = policyBody(f)
    expect(b.filters).toEqual([
      { type: 'name', value: 'library/**' },
      { type: 'label', value: ['a', 'b'], decoration: 'excludes' },
      { type: 'name', value: 'other/**', decoration: 'excludes' },
    ])
    expect(b.trigger).toEqual(policy.trigger)
  })

  it('a pull policy: the source is the remote', () => {
    expect(policyFormOf({ ...policy, src_registry: registry, dest_registry: local })).toMatchObject({ mode: 'pull', registryId: 7 })
  })
})

describe('policyErrors', () => {
  it('a complete form has none', () => expect(policyErrors(form({}))).toEqual({}))
  it('names what is missing or malformed', () => {
    expect(policyErrors(form({ name: ' ', registryId: null }))).toEqual({ name: 'replication.policy.error.name', registryId: 'replication.policy.error.registry' })
    expect(policyErrors(form({ trigger: 'scheduled', cron: '0 3 * * *' })).cron).toBe('replication.policy.error.cron')
    expect(policyErrors(form({ trigger: 'scheduled', cron: '0 0 3 * * *' })).cron).toBeUndefined()
    expect(policyErrors(form({ mode: 'pull', trigger: 'event_based' })).trigger).toBe('replication.policy.error.eventPull')
    expect(policyErrors(form({ destNamespace: 'Bad Name' })).destNamespace).toBe('replication.policy.error.namespace')
    expect(policyErrors(form({ destNamespace: 'team/mirror' })).destNamespace).toBeUndefined()
    expect(policyErrors(form({ speed: '0' })).speed).toBe('replication.policy.error.speed')
    expect(policyErrors(form({ speed: '1.5' })).speed).toBe('replication.policy.error.speed')
  })
})
