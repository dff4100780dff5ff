// Light and dark theme (PatternFly's pf-v6-theme-dark class on <html>): remembered, and on a
// first visit taken from the system's preference.
import { useCallback, useEffect, useState } from 'react'

export type Theme = 'light' | 'dark'
const KEY = 'berth.theme'

export function initialTheme(): Theme {
  const saved = localStorage.getItem(KEY)
  if (saved === 'light' || saved === 'dark') return saved
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'
}

export function applyTheme(theme: Theme): void {
  document.documentElement.classList.toggle('pf-v6-theme-dark', theme === 'dark')
}

export function useTheme(): [Theme, (t: Theme) => void] {
  const [theme, setTheme] = useState<Theme>(initialTheme)
  useEffect(() => applyTheme(theme), [theme])
  const set = useCallback((t: Theme) => {
    localStorage.setItem(KEY, t)
    setTheme(t)
  }, [])
  return [theme, set]
}
