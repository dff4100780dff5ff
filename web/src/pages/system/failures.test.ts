// The overview's failures: where each is looked into, and counted by kind.
import { describe, expect, it } from 'vitest'
import { failureLink, failuresByKind } from './failures'

describe('failureLink', () => {
  it('leads to the page of each kind of work', () => {
    expect(failureLink({ vendor_type: 'GARBAGE_COLLECTION' })).toBe('/admin/gc')
    expect(failureLink({ vendor_type: 'PURGE_AUDIT' })).toBe('/admin/audit-purge')
    expect(failureLink({ vendor_type: 'REPLICATION' })).toBe('/admin/replications')
    expect(failureLink({ vendor_type: 'RETENTION', project_id: 7 })).toBe('/projects/7/policy')
    expect(failureLink({ vendor_type: 'WEBHOOK', project_id: 3 })).toBe('/projects/3/webhooks')
  })
  it('leads nowhere when the project is gone or the kind is unknown', () => {
    expect(failureLink({ vendor_type: 'WEBHOOK' })).toBeNull()
    expect(failureLink({ vendor_type: 'RETENTION' })).toBeNull()
    expect(failureLink({ vendor_type: 'SCAN' })).toBeNull()
  })
})

describe('failuresByKind', () => {
  it('counts failures by kind, the most first, ties by the most recent', () => {
    const at = (h: number) => new Date(Date.UTC(2026, 0, 1, h)).toISOString()
    const counted = failuresByKind([
      { vendor_type: 'WEBHOOK', start_time: at(9) },
      { vendor_type: 'REPLICATION', start_time: at(8) },
      { vendor_type: 'WEBHOOK', start_time: at(7) },
      { vendor_type: 'GARBAGE_COLLECTION', start_time: at(6) },
      { vendor_type: 'REPLICATION', start_time: at(10) },
      { vendor_type: 'PURGE_AUDIT', start_time: at(11) },
    ])
    expect(counted).toEqual([
      { kind: 'REPLICATION', count: 2, latest: at(10) },
      { kind: 'WEBHOOK', count: 2, latest: at(9) },
      { kind: 'PURGE_AUDIT', count: 1, latest: at(11) },
      { kind: 'GARBAGE_COLLECTION', count: 1, latest: at(6) },
    ])
    expect(failuresByKind([])).toEqual([])
  })
})
