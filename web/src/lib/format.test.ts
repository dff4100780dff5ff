import { beforeAll, describe, expect, it } from 'vitest'
import { formatterFor } from './format'

// Dates are shown in the reader's time zone; the test fixes it.
beforeAll(() => {
  process.env.TZ = 'UTC'
})

/** Intl puts narrow and no-break spaces between number and unit or time and AM/PM. */
const plain = (s: string) => s.replace(/\s/g, ' ')
const WHEN = '2024-03-05T14:07:00Z'

describe('formatterFor', () => {
  it('shows sizes in decimal units with one decimal, in the language', () => {
    const en = formatterFor('en')
    expect(plain(en.bytes(0))).toBe('0 bytes')
    expect(plain(en.bytes(1))).toBe('1 byte')
    expect(plain(en.bytes(999))).toBe('999 bytes')
    expect(plain(en.bytes(1536))).toBe('1.5 kB')
    expect(plain(en.bytes(2_500_000))).toBe('2.5 MB')
    expect(plain(en.bytes(3 * 1000 ** 3))).toBe('3 GB')
    expect(plain(en.bytes(1000 ** 6))).toBe('1,000 PB')
    expect(plain(formatterFor('de').bytes(1536))).toBe('1,5 kB')
    expect(plain(formatterFor('de').bytes(1_234_567_890))).toBe('1,2 GB')
    expect(plain(formatterFor('ja').bytes(2_500_000))).toBe('2.5 MB')
  })

  it('shows a dash for a size it does not have', () => {
    const f = formatterFor('en')
    expect(f.bytes(null)).toBe('—')
    expect(f.bytes(undefined)).toBe('—')
    expect(f.bytes(Number.NaN)).toBe('—')
  })

  it('shows dates and times in the language', () => {
    expect(plain(formatterFor('en').date(WHEN))).toBe('Mar 5, 2024')
    expect(plain(formatterFor('en').dateTime(WHEN))).toBe('Mar 5, 2024, 2:07 PM')
    expect(formatterFor('de').date(WHEN)).toBe('05.03.2024')
    expect(formatterFor('de').dateTime(WHEN)).toBe('05.03.2024, 14:07')
    expect(formatterFor('ja').date(WHEN)).toBe('2024/03/05')
    expect(formatterFor('ja').dateTime(WHEN)).toBe('2024/03/05 14:07')
  })

  it("shows a dash for Harbor's zero time, a missing time and one that does not parse", () => {
    for (const language of ['en', 'de', 'ja']) {
      const f = formatterFor(language)
      for (const never of ['0001-01-01T00:00:00Z', '1970-01-01T00:00:00Z', null, undefined, '', 'not a time']) {
        expect(f.date(never)).toBe('—')
        expect(f.dateTime(never)).toBe('—')
      }
    }
  })

  it('groups numbers and shows percentages in the language', () => {
    expect(formatterFor('en').number(1234567)).toBe('1,234,567')
    expect(formatterFor('de').number(1234567)).toBe('1.234.567')
    expect(plain(formatterFor('de').percent(0.125))).toBe('12,5 %')
    expect(formatterFor('ja').percent(0.5)).toBe('50%')
  })
})
