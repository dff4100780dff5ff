// The configured banner (Harbor's banner_message): a JSON object {message, type, closable,
// fromDate, toDate} as Harbor's portal writes it, or plain text.
export interface Banner {
  message: string
  type: 'info' | 'warning' | 'danger' | 'success'
  /** Whether a reader may dismiss it (Harbor's `closable`); plain text never is. */
  closable: boolean
}

export function parseBanner(raw: unknown, now = new Date()): Banner | null {
  if (typeof raw !== 'string' || raw.trim() === '') return null
  try {
    const v = JSON.parse(raw) as { message?: unknown; type?: unknown; closable?: unknown; fromDate?: unknown; toDate?: unknown }
    if (typeof v !== 'object' || v === null || typeof v.message !== 'string') return { message: raw, type: 'info', closable: false }
    if (v.message.trim() === '') return null
    const from = typeof v.fromDate === 'string' && v.fromDate !== '' ? new Date(v.fromDate) : null
    const to = typeof v.toDate === 'string' && v.toDate !== '' ? new Date(v.toDate) : null
    if ((from !== null && now < from) || (to !== null && now > to)) return null
    const type = v.type === 'warning' || v.type === 'danger' || v.type === 'success' ? v.type : 'info'
    return { message: v.message, type, closable: v.closable === true }
  } catch {
    return { message: raw, type: 'info', closable: false }
  }
}
