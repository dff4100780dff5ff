// Message catalogues: locales/<language>/<area>.json, flat keys that start with the area's
// name ("projects.create.title"), ICU message syntax for plurals and values
// ("{count, plural, one {# tag} other {# tags}}"). A language's files are loaded when it is
// chosen (one small chunk each), merged into i18next's single namespace.
// The choice is remembered in localStorage; on a first visit it comes from the browser.
import i18n from 'i18next'
import ICU from 'i18next-icu'
import resourcesToBackend from 'i18next-resources-to-backend'
import { initReactI18next } from 'react-i18next'
import { closestLanguage, LANGUAGE_CODES, type LanguageCode } from './languages'

const catalogues = import.meta.glob<{ default: Record<string, string> }>('../locales/*/*.json')

async function loadLanguage(language: string): Promise<Record<string, string>> {
  const prefix = `../locales/${language}/`
  const files = Object.keys(catalogues).filter((p) => p.startsWith(prefix))
  const parts = await Promise.all(files.map((p) => catalogues[p]!()))
  return Object.assign({}, ...parts.map((m) => m.default))
}

export const LANGUAGE_KEY = 'berth.language'

export function initialLanguage(): LanguageCode {
  const saved = typeof localStorage !== 'undefined' ? localStorage.getItem(LANGUAGE_KEY) : null
  if (saved !== null && LANGUAGE_CODES.includes(saved)) return saved as LanguageCode
  return closestLanguage(typeof navigator !== 'undefined' ? navigator.languages ?? [navigator.language] : [])
}

export async function setupI18n(language: string = initialLanguage()): Promise<typeof i18n> {
  await i18n
    .use(ICU)
    .use(resourcesToBackend((lng: string) => loadLanguage(lng)))
    .use(initReactI18next)
    .init({
      lng: language,
      fallbackLng: 'en',
      supportedLngs: [...LANGUAGE_CODES],
      load: 'currentOnly',
      keySeparator: false,
      nsSeparator: false,
      interpolation: { escapeValue: false },
      returnNull: false,
      showSupportNotice: false,
      react: { useSuspense: true },
    })
  syncDocument(i18n.language)
  i18n.on('languageChanged', syncDocument)
  return i18n
}

function syncDocument(language: string): void {
  if (typeof document !== 'undefined') document.documentElement.lang = language
}

export async function changeLanguage(language: LanguageCode): Promise<void> {
  localStorage.setItem(LANGUAGE_KEY, language)
  await i18n.changeLanguage(language)
}

export default i18n
