// Repository names and references (tags and digests), validated against the distribution spec.
import { BerthError } from '../lib/errors.js'
import { parseDigest, type Digest } from './digest.js'

/** A validated repository name: "<project>/<path...>". */
export type RepoName = string & { readonly __repo: unique symbol }
export type Tag = string & { readonly __tag: unique symbol }
export type Reference = { kind: 'tag'; tag: Tag } | { kind: 'digest'; digest: Digest }

const COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/
/** Clients cap "<host:port>/<name>" at 255 characters; Harbor caps names at 255 too. */
export const MAX_REPO_NAME_LENGTH = 255

export function isRepoName(value: string): value is RepoName {
  if (value.length === 0 || value.length > MAX_REPO_NAME_LENGTH) return false
  const parts = value.split('/')
  return parts.length >= 2 && parts.every((p) => COMPONENT.test(p))
}

/** Parses a repository name or throws NAME_INVALID with the reason. */
export function parseRepoName(value: string): RepoName {
  if (value.length > MAX_REPO_NAME_LENGTH) {
    throw new BerthError('NAME_INVALID', `repository name is longer than ${MAX_REPO_NAME_LENGTH} characters`)
  }
  const parts = value.split('/')
  if (!parts.every((p) => COMPONENT.test(p))) {
    throw new BerthError('NAME_INVALID', 'invalid repository name', { name: value.slice(0, 300) })
  }
  if (parts.length < 2) {
    throw new BerthError('NAME_INVALID', 'repository name must be <project>/<repository>', { name: value })
  }
  return value as RepoName
}

export function projectOf(name: RepoName): string {
  return name.slice(0, name.indexOf('/'))
}

export function isTag(value: string): value is Tag {
  return TAG.test(value)
}

/** A manifest reference: a digest if it contains ':', else a tag. */
export function parseReference(value: string): Reference {
  if (value.includes(':')) return { kind: 'digest', digest: parseDigest(value, 'reference') }
  if (isTag(value)) return { kind: 'tag', tag: value }
  throw new BerthError('MANIFEST_INVALID', 'invalid reference: expected a tag or a digest', { reference: value.slice(0, 200) })
}
