// The language menu and the theme switch, in the masthead and on the sign-in page.
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { Dropdown, DropdownItem, DropdownList, MenuToggle, ToggleGroup, ToggleGroupItem } from '@patternfly/react-core'
import { LANGUAGES } from '../i18n/languages'
import { changeLanguage } from '../i18n/i18n'
import { useTheme } from '../lib/theme'

/** `plain`: the masthead's borderless look; on the sign-in page a bordered toggle reads better in both themes. */
export function LanguageMenu({ plain = true }: { plain?: boolean }) {
  const { t, i18n } = useTranslation()
  const [open, setOpen] = useState(false)
  const current = LANGUAGES.find((l) => l.code === i18n.language) ?? LANGUAGES[0]
  return (
    <Dropdown
      isOpen={open}
      onOpenChange={setOpen}
      toggle={(ref) => (
        <MenuToggle ref={ref} onClick={() => setOpen(!open)} isExpanded={open} variant={plain ? 'plainText' : 'default'} aria-label={t('app.languageOf', { language: current.name })}>
          {current.name}
        </MenuToggle>
      )}
    >
      <DropdownList>
        {LANGUAGES.map((l) => (
          <DropdownItem key={l.code} lang={l.code} onClick={() => void changeLanguage(l.code).then(() => setOpen(false))}>
            {l.name}
          </DropdownItem>
        ))}
      </DropdownList>
    </Dropdown>
  )
}

export function ThemeSwitch() {
  const { t } = useTranslation()
  const [theme, setTheme] = useTheme()
  return (
    <ToggleGroup aria-label={t('app.theme.label')} isCompact>
      <ToggleGroupItem text={t('app.theme.light')} buttonId="theme-light" isSelected={theme === 'light'} onChange={() => setTheme('light')} />
      <ToggleGroupItem text={t('app.theme.dark')} buttonId="theme-dark" isSelected={theme === 'dark'} onChange={() => setTheme('dark')} />
    </ToggleGroup>
  )
}
