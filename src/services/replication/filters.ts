// Which artifacts a policy takes, and where they land: Harbor's filters (repository name and tag
// globs with `**`, `*`, `?`, `{a,b}`, matched or excluded; labels; resource type) and its
// destination namespace with flattening.
import { BerthError } from '../../lib/errors.js'
import { compileGlob, isGlob } from '../../lib/glob.js'
import type { PolicyFilter } from '../../metadata/replication-store.js'

export interface Candidate {
  repository: string
  /** Undefined for an artifact pushed by digest (a signature or SBOM): tag filters do not apply. */
  tag?: string
  labels?: readonly string[]
  /** 'image' or 'artifact' (Harbor's resource types); everything Berth stores is both. */
  resourceType?: string
}

/** Checks a policy's filters and returns a matcher over candidates. BAD_REQUEST for a malformed filter. */
export function compileFilters(filters: readonly PolicyFilter[]): { matches(c: Candidate): boolean; matchesRepository(repository: string): boolean } {
  const checks = filters.map((f) => {
    const exclude = f.decoration === 'excludes'
    if (f.decoration !== undefined && f.decoration !== 'matches' && f.decoration !== 'excludes') {
      throw new BerthError('BAD_REQUEST', `filter decoration must be matches or excludes, not ${JSON.stringify(f.decoration)}`)
    }
    switch (f.type) {
      case 'name':
      case 'tag': {
        if (typeof f.value !== 'string' || f.value === '') throw new BerthError('BAD_REQUEST', `a ${f.type} filter takes a non-empty pattern`)
        const m = compileGlob(f.value, 'filter pattern')
        const key = f.type === 'name' ? 'repository' : 'tag'
        return { type: f.type, test: (c: Candidate) => (key === 'tag' && c.tag === undefined ? true : m(c[key]!) !== exclude) }
      }
      case 'label': {
        const wanted = Array.isArray(f.value) ? f.value : typeof f.value === 'string' && f.value !== '' ? [f.value] : null
        if (wanted === null || wanted.some((v) => typeof v !== 'string')) throw new BerthError('BAD_REQUEST', 'a label filter takes a list of label names')
        return { type: f.type, test: (c: Candidate) => wanted.every((l) => (c.labels ?? []).includes(l)) !== exclude }
      }
      case 'resource': {
        if (f.value !== 'image' && f.value !== 'artifact') throw new BerthError('BAD_REQUEST', 'a resource filter takes image or artifact')
        return { type: f.type, test: () => true }
      }
      default:
        throw new BerthError('BAD_REQUEST', `unknown filter type ${JSON.stringify((f as { type: unknown }).type)}: name, tag, label or resource`)
    }
  })
  return {
    matches: (c) => checks.every((k) => k.test(c)),
    matchesRepository: (repository) => checks.filter((k) => k.type === 'name').every((k) => k.test({ repository })),
  }
}

/**
 * The repositories a policy names outright (name filters without glob characters), or null
 * when it needs a listing: what a source without a catalog (Docker Hub) can still serve.
 */
export function literalRepositories(filters: readonly PolicyFilter[]): string[] | null {
  const names = filters.filter((f) => f.type === 'name' && f.decoration !== 'excludes')
  if (names.length === 0) return null
  const values = names.map((f) => String(f.value))
  if (values.some(isGlob)) return null
  return [...new Set(values)]
}

/**
 * Where a source repository lands. No namespace: the same name. With one, `replaceCount`
 * leading components are replaced by it (-1, Harbor's legacy mode: the project only; more than
 * there are: all but the last, "flatten all levels").
 */
export function destinationRepository(repository: string, namespace: string, replaceCount: number): string {
  if (namespace === '') return repository
  const parts = repository.split('/')
  const drop = replaceCount < 0 ? 1 : Math.min(replaceCount, parts.length - 1)
  return [namespace, ...parts.slice(drop)].join('/')
}
