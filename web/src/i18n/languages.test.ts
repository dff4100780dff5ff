import { describe, expect, it } from 'vitest'
import { closestLanguage, LANGUAGE_CODES } from './languages'

describe('closestLanguage', () => {
  it('takes a supported tag as it is, in any case', () => {
    expect(closestLanguage(['de'])).toBe('de')
    expect(closestLanguage(['PT-br'])).toBe('pt-BR')
    expect(closestLanguage(['zh-TW'])).toBe('zh-TW')
  })

  it('maps a language without its region, or with another region, to the supported one', () => {
    expect(closestLanguage(['pt'])).toBe('pt-BR')
    expect(closestLanguage(['pt-PT'])).toBe('pt-BR')
    expect(closestLanguage(['de-AT'])).toBe('de')
    expect(closestLanguage(['fr-CA'])).toBe('fr')
    expect(closestLanguage(['en-GB'])).toBe('en')
  })

  it('tells traditional from simplified Chinese by region or script', () => {
    expect(closestLanguage(['zh'])).toBe('zh-CN')
    expect(closestLanguage(['zh-SG'])).toBe('zh-CN')
    expect(closestLanguage(['zh-Hans'])).toBe('zh-CN')
    expect(closestLanguage(['zh-HK'])).toBe('zh-TW')
    expect(closestLanguage(['zh-MO'])).toBe('zh-TW')
    expect(closestLanguage(['zh-Hant'])).toBe('zh-TW')
  })

  it('takes the first preference it supports, and English when it supports none', () => {
    expect(closestLanguage(['nl-NL', 'sv', 'ja-JP', 'de'])).toBe('ja')
    expect(closestLanguage(['nl', 'sv'])).toBe('en')
    expect(closestLanguage([])).toBe('en')
    expect(closestLanguage([' '])).toBe('en')
  })

  it('lists English and the ten other languages', () => {
    expect([...LANGUAGE_CODES].sort()).toEqual(['de', 'en', 'es', 'fr', 'ja', 'ko', 'pt-BR', 'ru', 'tr', 'zh-CN', 'zh-TW'])
  })
})
