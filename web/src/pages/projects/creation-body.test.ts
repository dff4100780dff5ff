import { describe, expect, it } from 'vitest'
import { creationBody } from './creation-body'

describe('creationBody', () => {
  it('leaves registry_id out of an ordinary project', () => {
    expect(creationBody({ name: 'app', isPublic: true, limitBytes: -1, registryId: 0 })).toEqual({ project_name: 'app', metadata: { public: true }, storage_limit: -1 })
  })
  it('names the registry of a proxy cache', () => {
    expect(creationBody({ name: 'hub', isPublic: false, limitBytes: 1024, registryId: 7 })).toEqual({ project_name: 'hub', metadata: { public: false }, storage_limit: 1024, registry_id: 7 })
  })
})
