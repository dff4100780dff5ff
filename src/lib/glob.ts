// The one glob matcher of Berth, for the patterns Harbor users write in replication filters and
// in retention and immutability selectors: doublestar globs (`**` crosses '/', `*` and `?` do not,
// `{a,b}` alternatives, `[...]` classes), matched against the whole string.
import picomatch from 'picomatch'
import { BerthError } from './errors.js'

const GLOB_OPTIONS = { dot: true, nobrace: false, noextglob: true } as const

/** Compiles `pattern` into a predicate; BAD_REQUEST naming `what` when it cannot be compiled. */
export function compileGlob(pattern: string, what = 'pattern'): (s: string) => boolean {
  try {
    return picomatch(pattern, GLOB_OPTIONS)
  } catch (err) {
    throw new BerthError('BAD_REQUEST', `invalid ${what} ${JSON.stringify(pattern)}: ${(err as Error).message}`)
  }
}

/** Whether `pattern` has glob characters, or names one string outright. */
export function isGlob(pattern: string): boolean {
  return /[*?{}[\]!]/.test(pattern)
}
