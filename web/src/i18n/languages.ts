// The console's languages: Harbor's ten plus Japanese. `code` is a BCP 47 tag, used both for
// the message catalogue (locales/<code>/) and for Intl formatting.
export const LANGUAGES = [
  { code: 'en', name: 'English' },
  { code: 'zh-CN', name: '简体中文' },
  { code: 'zh-TW', name: '繁體中文' },
  { code: 'ja', name: '日本語' },
  { code: 'ko', name: '한국어' },
  { code: 'de', name: 'Deutsch' },
  { code: 'fr', name: 'Français' },
  { code: 'es', name: 'Español' },
  { code: 'pt-BR', name: 'Português (Brasil)' },
  { code: 'tr', name: 'Türkçe' },
  { code: 'ru', name: 'Русский' },
] as const

export type LanguageCode = (typeof LANGUAGES)[number]['code']
export const LANGUAGE_CODES: readonly string[] = LANGUAGES.map((l) => l.code)

/** The supported language closest to a browser's preference ('pt' -> 'pt-BR', 'zh-HK' -> 'zh-TW', 'de-AT' -> 'de'). */
export function closestLanguage(wanted: readonly string[]): LanguageCode {
  for (const raw of wanted) {
    const tag = raw.trim()
    const exact = LANGUAGES.find((l) => l.code.toLowerCase() === tag.toLowerCase())
    if (exact) return exact.code
    const lower = tag.toLowerCase()
    if (lower.startsWith('zh')) return /-(tw|hk|mo|hant)/.test(lower) ? 'zh-TW' : 'zh-CN'
    const base = lower.split('-')[0]
    const byBase = LANGUAGES.find((l) => l.code.split('-')[0]!.toLowerCase() === base)
    if (byBase) return byBase.code
  }
  return 'en'
}
