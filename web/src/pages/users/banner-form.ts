// The banner of the sign-in page and of every page (Harbor's banner_message), as the settings
// form edits it: a message, its type, whether users may close it and an optional range of days.
// Stored as Harbor's portal writes it, JSON {message, type, closable, fromDate, toDate}; read
// back by lib/banner.ts, which shows it only inside the range.
export const BANNER_TYPES = ['info', 'warning', 'danger', 'success'] as const
export type BannerType = (typeof BANNER_TYPES)[number]

export interface BannerForm {
  message: string
  type: BannerType
  closable: boolean
  /** First day shown, YYYY-MM-DD in the browser's time zone; empty for "from now". */
  from: string
  /** Last day shown, YYYY-MM-DD; empty for "until removed". */
  to: string
}

export const NO_BANNER: BannerForm = { message: '', type: 'info', closable: false, from: '', to: '' }

const pad = (n: number) => String(n).padStart(2, '0')

/** A moment as the local day the date input shows, or '' when it is not a date. */
export function dayOf(raw: unknown): string {
  if (typeof raw !== 'string' || raw === '') return ''
  const d = new Date(raw)
  return Number.isNaN(d.getTime()) ? '' : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
}

/** The first (or, with `end`, the last) moment of a local day, as an ISO timestamp. */
export function momentOf(day: string, end = false): string {
  if (day === '') return ''
  const [y, m, d] = day.split('-').map(Number) as [number, number, number]
  return (end ? new Date(y, m - 1, d, 23, 59, 59, 999) : new Date(y, m - 1, d)).toISOString()
}

/** The stored banner_message: Harbor's JSON, or plain text as older settings hold it. */
export function parseBannerJson(raw: string): BannerForm {
  if (raw.trim() === '') return { ...NO_BANNER }
  try {
    const v = JSON.parse(raw) as Record<string, unknown>
    if (typeof v !== 'object' || v === null || typeof v.message !== 'string') return { ...NO_BANNER, message: raw }
    const type = (BANNER_TYPES as readonly unknown[]).includes(v.type) ? (v.type as BannerType) : 'info'
    return { message: v.message, type, closable: v.closable === true, from: dayOf(v.fromDate), to: dayOf(v.toDate) }
  } catch {
    return { ...NO_BANNER, message: raw }
  }
}

/** The banner_message to store: Harbor's JSON, or '' (no banner) when there is no message. */
export function bannerJson(b: BannerForm): string {
  if (b.message.trim() === '') return ''
  return JSON.stringify({ message: b.message, type: b.type, closable: b.closable, fromDate: momentOf(b.from), toDate: momentOf(b.to, true) })
}
