// The audit-log purge's parameters between the form and Harbor's body.
import { describe, expect, it } from 'vitest'
import { includeOperations, operationsOf, retentionHours, retentionOf } from './purge'

describe('retention', () => {
  it('is whole hours or days within Harbor’s bound', () => {
    expect(retentionHours('48', 'hours')).toBe(48)
    expect(retentionHours('30', 'days')).toBe(720)
    expect(retentionHours('0', 'hours')).toBe(0)
    expect(retentionHours('240000', 'hours')).toBe(240_000)
    for (const bad of ['', '-1', '1.5', 'abc', '240001']) expect(retentionHours(bad, 'hours')).toBeNull()
    expect(retentionHours('10001', 'days')).toBeNull()
  })
  it('shows a stored retention in days when it is whole days', () => {
    expect(retentionOf(720)).toEqual({ value: '30', unit: 'days' })
    expect(retentionOf(36)).toEqual({ value: '36', unit: 'hours' })
    expect(retentionOf(0)).toEqual({ value: '0', unit: 'hours' })
  })
})

describe('operations', () => {
  it('are sent in a fixed order, comma-separated', () => {
    expect(includeOperations(new Set(['pull', 'create', 'bogus']))).toBe('create,pull')
    expect(includeOperations(new Set())).toBe('')
  })
  it('are read back, Harbor’s empty meaning all of them', () => {
    expect([...operationsOf('create, delete')]).toEqual(['create', 'delete'])
    expect(operationsOf('').size).toBe(6)
    expect(operationsOf(undefined).size).toBe(6)
  })
})
