// Storage limits as people type them (a number and a binary unit) and as Harbor's quotas carry
// them (bytes, -1 for none).
export const QUOTA_UNITS = [
  ['MiB', 1024 ** 2],
  ['GiB', 1024 ** 3],
  ['TiB', 1024 ** 4],
] as const

export type QuotaUnit = (typeof QUOTA_UNITS)[number][0]

export const UNLIMITED = -1

const factorOf = (unit: QuotaUnit) => QUOTA_UNITS.find(([u]) => u === unit)![1]

/** Bytes of a typed limit; null when it is not a positive number or too large to send. */
export function toBytes(value: string, unit: QuotaUnit): number | null {
  const text = value.trim().replace(',', '.')
  if (!/^\d+(\.\d+)?$/.test(text)) return null
  const bytes = Math.round(Number(text) * factorOf(unit))
  return bytes > 0 && Number.isSafeInteger(bytes) ? bytes : null
}

/** A limit in the largest unit that shows it as at least 1 (six significant digits); empty for unlimited. */
export function fromBytes(bytes: number): { value: string; unit: QuotaUnit } {
  if (bytes < 0) return { value: '', unit: 'GiB' }
  let pick: (typeof QUOTA_UNITS)[number] = QUOTA_UNITS[0]
  for (const u of QUOTA_UNITS) if (bytes >= u[1]) pick = u
  return { value: String(Number((bytes / pick[1]).toPrecision(6))), unit: pick[0] }
}

/** How full a quota is, from 0 to 1 (past 1 when over); null without a limit. */
export function usageFraction(used: number, hard: number): number | null {
  if (hard < 0) return null
  if (hard === 0) return 1
  return used / hard
}

/** The Progress variant of a usage: warning from 80 %, danger from 100 %. */
export function usageVariant(fraction: number | null): 'warning' | 'danger' | undefined {
  if (fraction === null || fraction < 0.8) return undefined
  return fraction >= 1 ? 'danger' : 'warning'
}
