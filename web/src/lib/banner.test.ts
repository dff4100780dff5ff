import { describe, expect, it } from 'vitest'
import { parseBanner } from './banner'

const NOW = new Date('2024-06-15T12:00:00Z')
const json = (v: object) => JSON.stringify(v)

describe('parseBanner', () => {
  it('shows nothing when no banner is set', () => {
    expect(parseBanner(undefined, NOW)).toBeNull()
    expect(parseBanner(null, NOW)).toBeNull()
    expect(parseBanner(42, NOW)).toBeNull()
    expect(parseBanner('', NOW)).toBeNull()
    expect(parseBanner('   ', NOW)).toBeNull()
    expect(parseBanner(json({ message: ' ', type: 'warning' }), NOW)).toBeNull()
  })

  it("reads Harbor's JSON banner with its type", () => {
    expect(parseBanner(json({ message: 'Maintenance at 18:00', type: 'warning', closable: true }), NOW)).toEqual({ message: 'Maintenance at 18:00', type: 'warning', closable: true })
    expect(parseBanner(json({ message: 'Down', type: 'danger' }), NOW)).toEqual({ message: 'Down', type: 'danger', closable: false })
    expect(parseBanner(json({ message: 'Back', type: 'success' }), NOW)).toEqual({ message: 'Back', type: 'success', closable: false })
  })

  it('takes an unknown or missing type as info', () => {
    expect(parseBanner(json({ message: 'Hello', type: 'shout' }), NOW)).toEqual({ message: 'Hello', type: 'info', closable: false })
    expect(parseBanner(json({ message: 'Hello' }), NOW)).toEqual({ message: 'Hello', type: 'info', closable: false })
  })

  it('shows plain text, and JSON that is not a banner, as an info banner of the text itself', () => {
    expect(parseBanner('Welcome to the registry', NOW)).toEqual({ message: 'Welcome to the registry', type: 'info', closable: false })
    expect(parseBanner('{"note": 1}', NOW)).toEqual({ message: '{"note": 1}', type: 'info', closable: false })
    expect(parseBanner('"quoted"', NOW)).toEqual({ message: '"quoted"', type: 'info', closable: false })
    expect(parseBanner('{broken', NOW)).toEqual({ message: '{broken', type: 'info', closable: false })
  })

  it('shows a banner only between its from and to dates', () => {
    const banner = (fromDate: string, toDate: string) => parseBanner(json({ message: 'Window', type: 'info', fromDate, toDate }), NOW)
    expect(banner('2024-06-01T00:00:00Z', '2024-06-30T00:00:00Z')).toEqual({ message: 'Window', type: 'info', closable: false })
    expect(banner('2024-06-16T00:00:00Z', '')).toBeNull()
    expect(banner('', '2024-06-14T00:00:00Z')).toBeNull()
    expect(banner('', '')).toEqual({ message: 'Window', type: 'info', closable: false })
  })
})
