// A project's trusted keys as the console shows and adds them: the kind of each (a cosign key or
// a notation root, by its algorithm), its shortened fingerprint, the add form's POST body and
// what the form checks before sending (the server checks the PEM itself and says why it refuses).
import type { paths } from '../../api/schema'
import { api, ok } from '../../api/client'

export type TrustedKey = paths['/api/v2.0/projects/{project}/trusted-keys']['get']['responses'][200]['content']['application/json'][number]
type KeyBody = NonNullable<paths['/api/v2.0/projects/{project}/trusted-keys']['post']['requestBody']>['content']['application/json']

/** A cosign public key (ecdsa-*, rsa, ed25519) or a notation root certificate (x509). */
export type KeyKind = 'cosign' | 'notation'
export const kindOf = (algorithm: string): KeyKind => (algorithm === 'x509' ? 'notation' : 'cosign')

/** How many keys of each kind a project trusts. */
export function trustCounts(keys: readonly Pick<TrustedKey, 'algorithm'>[]): Record<KeyKind, number> {
  const counts = { cosign: 0, notation: 0 }
  for (const k of keys) counts[kindOf(k.algorithm)]++
  return counts
}

/** Hex characters of a fingerprint shown in lists; the copy button copies all of it. */
const SHOWN = 16
export const shortFingerprint = (fp: string): string => (fp.length > SHOWN ? `${fp.slice(0, SHOWN)}…` : fp)

/** As the server takes names (src/services/registry/trusted-key-service.ts). */
export const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
/** The largest PEM the server takes (MAX_PEM_BYTES). */
export const MAX_PEM_BYTES = 8 * 1024

export interface TrustedKeyForm {
  name: string
  description: string
  /** The PEM, pasted or read from a file. */
  pem: string
}
export const EMPTY_KEY: TrustedKeyForm = { name: '', description: '', pem: '' }

export type KeyProblem = 'name' | 'pem' | 'pemSize'

/** What keeps the form from being sent: a name the server would refuse, no PEM block, too large a PEM. */
export function keyProblems(form: TrustedKeyForm): KeyProblem[] {
  const out: KeyProblem[] = []
  if (!KEY_NAME.test(form.name.trim())) out.push('name')
  const pem = form.pem.trim()
  if (!pem.includes('-----BEGIN ')) out.push('pem')
  else if (new TextEncoder().encode(pem).length > MAX_PEM_BYTES) out.push('pemSize')
  return out
}

/** The body of POST /projects/{p}/trusted-keys: trimmed, without an empty description. */
export function trustedKeyBody(form: TrustedKeyForm): KeyBody {
  const description = form.description.trim()
  return { name: form.name.trim(), ...(description !== '' ? { description } : {}), public_key: `${form.pem.trim()}\n` }
}

/** The project's keys (at most 32, so one request). */
export function trustedKeysQuery(projectId: number) {
  return {
    queryKey: ['trusted-keys', projectId],
    queryFn: async () => ok(await api.GET('/api/v2.0/projects/{project}/trusted-keys', { params: { path: { project: String(projectId) } } })),
    staleTime: 30_000,
  }
}
