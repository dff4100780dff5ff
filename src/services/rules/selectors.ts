// Harbor's rule selectors, shared by tag immutability and tag retention: which repositories of a
// project (scope selectors) and which tags (tag selectors) a rule covers. The wire shape is
// Harbor's `RetentionSelector` / `ImmutableSelector`:
//
//   tag_selectors:   [{ kind: "doublestar", decoration: "matches" | "excludes", pattern, extras? }]
//   scope_selectors: { repository: [{ kind: "doublestar", decoration: "repoMatches" | "repoExcludes", pattern }] }
//
// Patterns are doublestar globs (`**`, `*`, `?`, `{a,b}`, `[...]`; src/lib/glob.ts) matched
// against the whole tag, and against the repository name WITHOUT its project (`library/a/b` is
// matched as `a/b`), as Harbor does. An empty pattern matches everything (Harbor's rule).
// Several selectors in one list must all select (Harbor applies them one after another).
//
// `extras` is a JSON string; `{"untagged": true|false}` says how artifacts without tags fare
// (retention; immutability only ever asks about tags). Harbor's semantics, kept exactly:
// `untagged` defaults to true for `matches` and false for `excludes`, and an untagged artifact
// is selected by `matches` when `untagged` is true and by `excludes` when it is false. So by
// default untagged artifacts are selected either way; `{"untagged":false}` on `matches` leaves
// them out, `{"untagged":true}` on `excludes` excludes them.
import { BerthError } from '../../lib/errors.js'
import { compileGlob } from '../../lib/glob.js'

/** The only selector kind: doublestar globs. (Harbor's retention also has `label`; not yet in Berth.) */
export const DOUBLESTAR = 'doublestar'
export const TAG_DECORATIONS = ['matches', 'excludes'] as const
export const REPOSITORY_DECORATIONS = ['repoMatches', 'repoExcludes'] as const
export type TagDecoration = (typeof TAG_DECORATIONS)[number]
export type RepositoryDecoration = (typeof REPOSITORY_DECORATIONS)[number]

/** Longest pattern accepted (picomatch compiles patterns into regular expressions: keep them small). */
export const MAX_PATTERN_LENGTH = 256
/** Longest `extras` string accepted. */
export const MAX_EXTRAS_LENGTH = 256
/** Most selectors in one list. Harbor's console writes one. */
export const MAX_SELECTORS = 10

/** A selector as Harbor's API carries it, before validation. */
export interface SelectorInput {
  kind?: unknown
  decoration?: unknown
  pattern?: unknown
  extras?: unknown
}

export interface TagSelector {
  kind: typeof DOUBLESTAR
  decoration: TagDecoration
  pattern: string
  /** Harbor's untagged flag (see the header): from `extras`, or the decoration's default. */
  untagged: boolean
  /** The `extras` string as sent, kept so that the rule reads back as it was written. */
  extras?: string
}

export interface RepositorySelector {
  kind: typeof DOUBLESTAR
  decoration: RepositoryDecoration
  pattern: string
}

/** A rule's selectors, validated. */
export interface RuleSelectors {
  tagSelectors: TagSelector[]
  repositorySelectors: RepositorySelector[]
}

/** What a rule is asked about: a repository (without its project) and the tags of one artifact. */
export interface SelectorCandidate {
  repository: string
  tags: readonly string[]
}

/** A rule's selectors compiled once, asked many times. */
export interface CompiledSelectors {
  /** Whether the rule's scope covers the repository (a name without its project). */
  coversRepository(repository: string): boolean
  /** Whether the tag selectors select this one tag (what immutability asks). */
  selectsTag(tag: string): boolean
  /**
   * Whether the rule selects an artifact with these tags in this repository, as Harbor's
   * retention does: a tagged artifact by any of its tags (`matches`: one tag matches;
   * `excludes`: one tag does not), an untagged one by the untagged flag.
   */
  selects(candidate: SelectorCandidate): boolean
}

function bad(message: string): BerthError {
  return new BerthError('BAD_REQUEST', message)
}

function checkPattern(pattern: unknown, where: string): string {
  if (typeof pattern !== 'string') throw bad(`${where}.pattern must be a string`)
  if (pattern.length > MAX_PATTERN_LENGTH) throw bad(`${where}.pattern is longer than ${MAX_PATTERN_LENGTH} characters`)
  if (/[\u0000-\u001f\u007f]/.test(pattern)) throw bad(`${where}.pattern has control characters`)
  if (pattern !== '') compileGlob(pattern, `${where}.pattern`)
  return pattern
}

function checkKind(kind: unknown, where: string): typeof DOUBLESTAR {
  if (kind !== DOUBLESTAR) throw bad(`${where}.kind must be "${DOUBLESTAR}", not ${JSON.stringify(kind)?.slice(0, 64)}`)
  return DOUBLESTAR
}

function checkList(list: unknown, where: string): SelectorInput[] {
  if (!Array.isArray(list)) throw bad(`${where} must be a list of selectors`)
  if (list.length === 0) throw bad(`${where} needs at least one selector`)
  if (list.length > MAX_SELECTORS) throw bad(`${where} has more than ${MAX_SELECTORS} selectors`)
  list.forEach((s, i) => {
    if (typeof s !== 'object' || s === null || Array.isArray(s)) throw bad(`${where}[${i}] must be an object`)
  })
  return list as SelectorInput[]
}

/** Harbor's untagged flag from `extras` (a JSON string), or `fallback` without one. */
export function parseExtras(extras: unknown, fallback: boolean, where = 'extras'): boolean {
  if (extras === undefined || extras === null || extras === '') return fallback
  if (typeof extras !== 'string') throw bad(`${where} must be a JSON string such as "{\\"untagged\\":true}"`)
  if (extras.length > MAX_EXTRAS_LENGTH) throw bad(`${where} is longer than ${MAX_EXTRAS_LENGTH} characters`)
  let parsed: unknown
  try {
    parsed = JSON.parse(extras)
  } catch {
    throw bad(`${where} is not JSON: ${JSON.stringify(extras.slice(0, 64))}`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw bad(`${where} must be a JSON object such as {"untagged":true}`)
  const untagged = (parsed as Record<string, unknown>).untagged
  if (untagged === undefined) return fallback
  if (typeof untagged !== 'boolean') throw bad(`${where}.untagged must be true or false`)
  return untagged
}

/** Validates Harbor's `tag_selectors`; BAD_REQUEST naming the offending field. */
export function parseTagSelectors(list: unknown, where = 'tag_selectors'): TagSelector[] {
  return checkList(list, where).map((s, i) => {
    const at = `${where}[${i}]`
    const kind = checkKind(s.kind, at)
    if (!(TAG_DECORATIONS as readonly unknown[]).includes(s.decoration)) throw bad(`${at}.decoration must be matches or excludes, not ${JSON.stringify(s.decoration)?.slice(0, 64)}`)
    const decoration = s.decoration as TagDecoration
    const pattern = checkPattern(s.pattern, at)
    const untagged = parseExtras(s.extras, decoration === 'matches', `${at}.extras`)
    return { kind, decoration, pattern, untagged, ...(typeof s.extras === 'string' && s.extras !== '' ? { extras: s.extras } : {}) }
  })
}

/**
 * Validates Harbor's `scope_selectors`: an object whose only key is `repository`, a list of
 * repository selectors. BAD_REQUEST naming the offending field.
 */
export function parseScopeSelectors(scope: unknown, where = 'scope_selectors'): RepositorySelector[] {
  if (typeof scope !== 'object' || scope === null || Array.isArray(scope)) throw bad(`${where} must be an object with a repository list`)
  const keys = Object.keys(scope)
  const other = keys.find((k) => k !== 'repository')
  if (other !== undefined) throw bad(`${where} takes only "repository", not ${JSON.stringify(other.slice(0, 64))}`)
  return checkList((scope as Record<string, unknown>).repository, `${where}.repository`).map((s, i) => {
    const at = `${where}.repository[${i}]`
    const kind = checkKind(s.kind, at)
    if (!(REPOSITORY_DECORATIONS as readonly unknown[]).includes(s.decoration)) throw bad(`${at}.decoration must be repoMatches or repoExcludes, not ${JSON.stringify(s.decoration)?.slice(0, 64)}`)
    // Harbor ignores extras on a repository selector; Berth checks it is well formed all the same.
    parseExtras(s.extras, true, `${at}.extras`)
    return { kind, decoration: s.decoration as RepositoryDecoration, pattern: checkPattern(s.pattern, at) }
  })
}

/** Harbor's wire shape of validated selectors. */
export function selectorsJson(s: RuleSelectors): {
  tag_selectors: { kind: string; decoration: string; pattern: string; extras?: string }[]
  scope_selectors: { repository: { kind: string; decoration: string; pattern: string }[] }
} {
  return {
    tag_selectors: s.tagSelectors.map((t) => ({ kind: t.kind, decoration: t.decoration, pattern: t.pattern, ...(t.extras !== undefined ? { extras: t.extras } : {}) })),
    scope_selectors: { repository: s.repositorySelectors.map((r) => ({ kind: r.kind, decoration: r.decoration, pattern: r.pattern })) },
  }
}

function matcher(pattern: string): (s: string) => boolean {
  return pattern === '' ? () => true : compileGlob(pattern)
}

/** Compiles validated selectors (patterns are compiled once here). */
export function compileSelectors(s: RuleSelectors): CompiledSelectors {
  const repositories = s.repositorySelectors.map((r) => ({ test: matcher(r.pattern), exclude: r.decoration === 'repoExcludes' }))
  const tags = s.tagSelectors.map((t) => ({ test: matcher(t.pattern), exclude: t.decoration === 'excludes', untagged: t.untagged }))
  const selectsTag = (tag: string) => tags.every((t) => t.test(tag) !== t.exclude)
  const coversRepository = (repository: string) => repositories.every((r) => r.test(repository) !== r.exclude)
  return {
    coversRepository,
    selectsTag,
    selects: (c) =>
      coversRepository(c.repository) &&
      tags.every((t) => (c.tags.length === 0 ? t.untagged !== t.exclude : c.tags.some((tag) => t.test(tag) !== t.exclude))),
  }
}

/** A repository's name inside its project (`library/a/b` -> `a/b`): what scope selectors match. */
export function repositoryInProject(repository: string): string {
  const slash = repository.indexOf('/')
  return slash < 0 ? repository : repository.slice(slash + 1)
}
