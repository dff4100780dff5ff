// Reads the Prometheus text exposition format (what a scrape returns) for tests: samples with
// their labels, and each metric's TYPE. Written here from the format's description, so that the
// server's output is checked by a reader other than the library that wrote it.
export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

export interface Exposition {
  samples: Sample[]
  types: Map<string, string>
  /** Samples named `name` whose labels include every pair of `labels`. */
  find(name: string, labels?: Record<string, string>): Sample[]
  /** The sum of those samples' values (0 when none). */
  sum(name: string, labels?: Record<string, string>): number
}

function parseValue(raw: string): number {
  if (raw === '+Inf') return Infinity
  if (raw === '-Inf') return -Infinity
  // Go's ParseFloat, which Prometheus uses, takes NaN in any case (prom-client writes Nan).
  if (raw.toLowerCase() === 'nan') return NaN
  const n = Number(raw)
  if (Number.isNaN(n)) throw new Error(`not a sample value: ${JSON.stringify(raw)}`)
  return n
}

/** Parses `name{a="b",c="d"} value [timestamp]` and `name value`. */
function parseSample(line: string): Sample {
  const brace = line.indexOf('{')
  const space = line.indexOf(' ')
  if (brace === -1 || (space !== -1 && space < brace)) {
    const [name, value] = line.split(/\s+/)
    return { name: name!, labels: {}, value: parseValue(value!) }
  }
  const name = line.slice(0, brace)
  const labels: Record<string, string> = {}
  let i = brace + 1
  while (line[i] !== '}') {
    const eq = line.indexOf('=', i)
    const key = line.slice(i, eq).trim()
    if (line[eq + 1] !== '"') throw new Error(`label ${key} not quoted in ${line}`)
    let value = ''
    let j = eq + 2
    for (; line[j] !== '"'; j++) {
      if (j >= line.length) throw new Error(`unterminated label value in ${line}`)
      if (line[j] === '\\') {
        j++
        value += line[j] === 'n' ? '\n' : line[j]
      } else value += line[j]
    }
    labels[key] = value
    i = j + 1
    if (line[i] === ',') i++
  }
  const rest = line.slice(i + 1).trim().split(/\s+/)
  return { name, labels, value: parseValue(rest[0]!) }
}

export function parseExposition(text: string): Exposition {
  const samples: Sample[] = []
  const types = new Map<string, string>()
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    if (line.startsWith('#')) {
      const m = /^# TYPE (\S+) (\S+)$/.exec(line)
      if (m !== null) types.set(m[1]!, m[2]!)
      continue
    }
    samples.push(parseSample(line))
  }
  const find = (name: string, labels: Record<string, string> = {}) => samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
  return { samples, types, find, sum: (name, labels) => find(name, labels).reduce((a, s) => a + s.value, 0) }
}

/** Scrapes `url` (no credentials) and parses the answer; throws unless it is 200. */
export async function scrape(url: string): Promise<Exposition> {
  const res = await fetch(url)
  const text = await res.text()
  if (res.status !== 200) throw new Error(`scrape of ${url}: ${res.status} ${text}`)
  return parseExposition(text)
}
