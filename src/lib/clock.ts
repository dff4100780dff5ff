// Time as the database stores it: ISO 8601 in UTC, which sorts as text in the same order as time.
export function nowIso(date: Date = new Date()): string {
  return date.toISOString()
}
