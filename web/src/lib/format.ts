// Numbers, sizes and dates in the console's language (Intl), never hand-formatted.
import { useMemo } from 'react'
import { useTranslation } from 'react-i18next'

const UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte', 'petabyte'] as const

export interface Format {
  number(n: number): string
  /** 1536 -> "1.5 kB" (decimal units, as registries and Docker show sizes). */
  bytes(n: number | null | undefined): string
  date(iso: string | null | undefined): string
  dateTime(iso: string | null | undefined): string
  percent(fraction: number): string
}

export function formatterFor(language: string): Format {
  const num = new Intl.NumberFormat(language)
  const dt = new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'short' })
  const d = new Intl.DateTimeFormat(language, { dateStyle: 'medium' })
  const pct = new Intl.NumberFormat(language, { style: 'percent', maximumFractionDigits: 1 })
  // Whole bytes in words ("1 byte", "791 bytes", plural right in each language); larger units as symbols.
  const unitFormats = UNITS.map((unit) => new Intl.NumberFormat(language, { style: 'unit', unit, unitDisplay: unit === 'byte' ? 'long' : 'short', maximumFractionDigits: 1 }))
  const valid = (iso: string | null | undefined) => {
    if (iso === null || iso === undefined || iso === '') return null
    const t = new Date(iso)
    // Harbor's "never": the zero time.
    return Number.isNaN(t.getTime()) || t.getUTCFullYear() < 1971 ? null : t
  }
  return {
    number: (n) => num.format(n),
    bytes: (n) => {
      if (n === null || n === undefined || !Number.isFinite(n)) return '—'
      let i = 0
      let v = n
      while (Math.abs(v) >= 1000 && i < UNITS.length - 1) {
        v /= 1000
        i++
      }
      return unitFormats[i]!.format(v)
    },
    date: (iso) => {
      const t = valid(iso)
      return t === null ? '—' : d.format(t)
    },
    dateTime: (iso) => {
      const t = valid(iso)
      return t === null ? '—' : dt.format(t)
    },
    percent: (f) => pct.format(f),
  }
}

export function useFormat(): Format {
  const { i18n } = useTranslation()
  return useMemo(() => formatterFor(i18n.language), [i18n.language])
}
