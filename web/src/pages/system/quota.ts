// Storage limits as people type them (a number and a unit) and as Harbor's quotas carry them
// (bytes, -1 for none). Decimal units match how the console shows sizes; binary ones are what
// Harbor's console sets, so both are offered and a limit is shown in the one that reads shortest.
export const QUOTA_UNITS = [
  ['MB', 1000 ** 2],
  ['MiB', 1024 ** 2],
  ['GB', 1000 ** 3],
  ['GiB', 1024 ** 3],
  ['TB', 1000 ** 4],
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

/**
 * A limit as it reads shortest (20000000 -> 20 MB, 1610612736 -> 1.5 GiB) among the units that
 * show it as at least 1, the larger unit on a tie; six significant digits; empty for unlimited.
 */
export function fromBytes(bytes: number): { value: string; unit: QuotaUnit } {
  if (bytes < 0) return { value: '', unit: 'GB' }
  const shown = (factor: number) => String(Number((bytes / factor).toPrecision(6)))
  let best = { value: shown(QUOTA_UNITS[0][1]), unit: QUOTA_UNITS[0][0] as QuotaUnit }
  for (const [unit, factor] of QUOTA_UNITS) {
    if (bytes < factor) continue
    const value = shown(factor)
    if (value.length <= best.value.length) best = { value, unit }
  }
  return best
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
