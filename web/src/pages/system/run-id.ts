// The id of a run the server just started, from its Location header (…/system/gc/12).
export function runIdOf(location: string | null): number | null {
  const m = /\/(\d+)$/.exec(location ?? '')
  return m === null ? null : Number(m[1])
}
