// Component tests: the console's English catalogue, loaded synchronously, and a clean DOM after each test.
import { afterEach } from 'vitest'
import { cleanup, configure } from '@testing-library/react'
import i18n from 'i18next'
import ICU from 'i18next-icu'
import { initReactI18next } from 'react-i18next'

const files = import.meta.glob<Record<string, string>>('../locales/en/*.json', { eager: true, import: 'default' })
const en = Object.assign({}, ...Object.values(files))

await i18n.use(ICU).use(initReactI18next).init({ lng: 'en', resources: { en: { translation: en } }, keySeparator: false, nsSeparator: false, interpolation: { escapeValue: false }, react: { useSuspense: false }, showSupportNotice: false })

// findBy* and waitFor give up after 1 s by default, too soon beside the node tests of npm test.
configure({ asyncUtilTimeout: 10_000 })

afterEach(() => cleanup())
