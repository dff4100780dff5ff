// A scanner registration as its form edits it, and the body of POST/PUT /scanners and of
// POST /scanners/ping. The stored credential is never shown: editing leaves it as it is unless
// a new one is typed (or the scheme changes, which needs a new one).

/** Harbor's auth schemes of a scanner adapter ('' is none). */
export const SCANNER_AUTHS = ['', 'Basic', 'Bearer', 'X-ScannerAdapter-API-Key'] as const
export type ScannerAuth = (typeof SCANNER_AUTHS)[number]

export interface ScannerForm {
  name: string
  description: string
  url: string
  auth: ScannerAuth
  /** Basic only. */
  username: string
  /** Basic's password, Bearer's token or the API key. */
  secret: string
  skipCertVerify: boolean
  useInternalAddr: boolean
}

export const EMPTY_SCANNER: ScannerForm = { name: '', description: '', url: '', auth: '', username: '', secret: '', skipCertVerify: false, useInternalAddr: false }

interface ScannerJson {
  name: string
  description: string
  url: string
  auth: string
  skip_certVerify: boolean
  use_internal_addr: boolean
}

export function scannerFormOf(s: ScannerJson): ScannerForm {
  const auth = (SCANNER_AUTHS as readonly string[]).includes(s.auth) ? (s.auth as ScannerAuth) : ''
  return { name: s.name, description: s.description, url: s.url, auth, username: '', secret: '', skipCertVerify: s.skip_certVerify, useInternalAddr: s.use_internal_addr }
}

export interface ScannerBody {
  name: string
  description: string
  url: string
  auth: ScannerAuth
  access_credential?: string
  skip_certVerify: boolean
  use_internal_addr: boolean
}

/** The credential typed, as the API takes it ("user:password" for Basic), or '' when none was typed. */
export function credentialOf(f: ScannerForm): string {
  if (f.auth === '') return ''
  if (f.auth === 'Basic') return f.username === '' && f.secret === '' ? '' : `${f.username}:${f.secret}`
  return f.secret
}

export function scannerBody(f: ScannerForm): ScannerBody {
  const credential = credentialOf(f)
  return {
    name: f.name.trim(),
    description: f.description.trim(),
    url: f.url.trim(),
    auth: f.auth,
    ...(credential !== '' ? { access_credential: credential } : {}),
    skip_certVerify: f.skipCertVerify,
    use_internal_addr: f.useInternalAddr,
  }
}

export type ScannerProblem = 'name' | 'url' | 'credential' | 'username'

/** What keeps the form from being sent; `editing` with the scheme it was saved with may keep its credential. */
export function scannerProblems(f: ScannerForm, saved: ScannerAuth | null): ScannerProblem[] {
  const out: ScannerProblem[] = []
  if (f.name.trim() === '') out.push('name')
  let url: URL | null = null
  try {
    url = new URL(f.url.trim())
  } catch {
    url = null
  }
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.username !== '' || url.password !== '') out.push('url')
  const keeps = saved !== null && saved === f.auth
  if (f.auth !== '' && !keeps && f.secret === '') out.push('credential')
  if (f.auth === 'Basic' && (f.username.includes(':') || ((!keeps || f.secret !== '') && f.username === ''))) out.push('username')
  return out
}
