// Storage limits between what people type and Harbor's bytes, and the usage bar.
import { describe, expect, it } from 'vitest'
import { render, screen } from '@testing-library/react'
import { fromBytes, toBytes, usageFraction, usageVariant } from './quota'
import { QuotaUsage } from './QuotaUsage'

const GiB = 1024 ** 3

describe('toBytes', () => {
  it('converts binary units, decimals included', () => {
    expect(toBytes('10', 'GiB')).toBe(10 * GiB)
    expect(toBytes('1.5', 'GiB')).toBe(1.5 * GiB)
    expect(toBytes('1,5', 'GiB')).toBe(1.5 * GiB)
    expect(toBytes('512', 'MiB')).toBe(512 * 1024 ** 2)
    expect(toBytes('20', 'MB')).toBe(20_000_000)
    expect(toBytes(' 2 ', 'TiB')).toBe(2 * 1024 ** 4)
  })
  it('refuses what Harbor would refuse: zero, negative, not a number, too large', () => {
    for (const bad of ['', '0', '-1', 'abc', '1e3', '1.2.3']) expect(toBytes(bad, 'GiB')).toBeNull()
    expect(toBytes('99999999', 'TiB')).toBeNull()
  })
})

describe('fromBytes', () => {
  it('shows a limit in the unit it reads shortest in, binary or decimal', () => {
    expect(fromBytes(-1)).toEqual({ value: '', unit: 'GB' })
    expect(fromBytes(10 * GiB)).toEqual({ value: '10', unit: 'GiB' })
    expect(fromBytes(1.5 * GiB)).toEqual({ value: '1.5', unit: 'GiB' })
    expect(fromBytes(300 * 1024 ** 2)).toEqual({ value: '300', unit: 'MiB' })
    expect(fromBytes(3 * 1024 ** 4)).toEqual({ value: '3', unit: 'TiB' })
    expect(fromBytes(20_000_000)).toEqual({ value: '20', unit: 'MB' })
    expect(fromBytes(2_500_000_000)).toEqual({ value: '2.5', unit: 'GB' })
    expect(fromBytes(1_000_000_000_000)).toEqual({ value: '1', unit: 'TB' })
    expect(fromBytes(1024)).toEqual({ value: '0.001024', unit: 'MB' })
  })
  it('round-trips', () => {
    for (const b of [GiB, 5 * GiB, 700 * 1024 ** 2, 2 * 1024 ** 4, 20_000_000, 3_000_000_000_000]) {
      const { value, unit } = fromBytes(b)
      expect(toBytes(value, unit)).toBe(b)
    }
  })
})

describe('usage', () => {
  it('is a fraction of the limit, none without one', () => {
    expect(usageFraction(5, -1)).toBeNull()
    expect(usageFraction(5, 10)).toBe(0.5)
    expect(usageFraction(15, 10)).toBe(1.5)
    expect(usageFraction(0, 0)).toBe(1)
  })
  it('warns from 80 % and is danger when full', () => {
    expect(usageVariant(null)).toBeUndefined()
    expect(usageVariant(0.79)).toBeUndefined()
    expect(usageVariant(0.8)).toBe('warning')
    expect(usageVariant(1)).toBe('danger')
  })
  it('draws a bar against a limit and only the bytes without one', () => {
    const { unmount } = render(<QuotaUsage used={9 * GiB} hard={10 * GiB} name="team" />)
    const bar = screen.getByRole('progressbar', { name: 'Storage used by team' })
    expect(bar.getAttribute('aria-valuenow')).toBe('90')
    expect(bar.getAttribute('aria-valuetext')).toBe('9.7 GB of 10.7 GB')
    unmount()
    render(<QuotaUsage used={1000} hard={-1} name="team" />)
    expect(screen.queryByRole('progressbar')).toBeNull()
    expect(screen.getByText('1 kB (no limit)')).toBeTruthy()
  })
})
