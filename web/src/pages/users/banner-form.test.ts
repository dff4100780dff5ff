import { describe, expect, it } from 'vitest'
import { parseBanner } from '../../lib/banner'
import { bannerJson, momentOf, parseBannerJson } from './banner-form'

describe('bannerJson', () => {
  it("writes Harbor's banner JSON", () => {
    const raw = bannerJson({ message: 'Upgrade tonight', type: 'warning', closable: true, from: '2030-03-01', to: '2030-03-02' })
    expect(JSON.parse(raw)).toEqual({
      message: 'Upgrade tonight',
      type: 'warning',
      closable: true,
      fromDate: new Date(2030, 2, 1).toISOString(),
      toDate: new Date(2030, 2, 2, 23, 59, 59, 999).toISOString(),
    })
  })

  it('writes no banner for an empty message', () => {
    expect(bannerJson({ message: '  ', type: 'danger', closable: true, from: '2030-03-01', to: '' })).toBe('')
  })

  it('is shown by the sign-in page exactly on the days of its range', () => {
    const raw = bannerJson({ message: 'Hello', type: 'success', closable: false, from: '2030-03-01', to: '2030-03-02' })
    expect(parseBanner(raw, new Date(2030, 1, 28, 23, 0))).toBeNull()
    expect(parseBanner(raw, new Date(2030, 2, 1, 0, 1))).toEqual({ message: 'Hello', type: 'success', closable: false })
    expect(parseBanner(raw, new Date(2030, 2, 2, 23, 59))).toEqual({ message: 'Hello', type: 'success', closable: false })
    expect(parseBanner(raw, new Date(2030, 2, 3, 0, 1))).toBeNull()
  })

  it('reads back what it wrote, and plain text as a message', () => {
    const form = { message: 'm', type: 'danger' as const, closable: true, from: '2031-01-05', to: '' }
    expect(parseBannerJson(bannerJson(form))).toEqual(form)
    expect(parseBannerJson('just text')).toEqual({ message: 'just text', type: 'info', closable: false, from: '', to: '' })
    expect(parseBannerJson('{"message":"x","type":"purple"}').type).toBe('info')
  })

  it('leaves days out when not given', () => {
    expect(momentOf('')).toBe('')
  })
})
