// How Berth authenticates to another registry: what its 401 challenge asks for (none, Basic,
// or Bearer tokens from a token service, the distribution spec's token flow), and the tokens
// it handed out, cached by scope until they expire. Sending requests is the client's job; this
// keeps what was learned and builds the Authorization header.
import { BerthError } from '../lib/errors.js'

export type Challenge = { scheme: 'bearer'; realm: string; service?: string; scope?: string } | { scheme: 'basic' } | { scheme: 'none' }

/** `Bearer realm="...",service="...",scope="..."` or `Basic realm="..."`; null for anything else. */
export function parseChallenge(raw: string | undefined): Challenge | null {
  if (raw === undefined) return null
  const scheme = /^\s*(\w+)/.exec(raw)?.[1]?.toLowerCase()
  if (scheme === 'basic') return { scheme: 'basic' }
  if (scheme !== 'bearer') return null
  const params: Record<string, string> = {}
  for (const m of raw.matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)) params[m[1]!.toLowerCase()] = m[2] ?? m[3] ?? ''
  if (params.realm === undefined) return null
  return { scheme: 'bearer', realm: params.realm, service: params.service, scope: params.scope }
}

/** Asks a token service (anonymously at the HTTP level: `headers` carry the Basic credentials) and returns its JSON answer. */
export type TokenFetch = (url: URL, headers: Record<string, string>, signal?: AbortSignal) => Promise<unknown>

export class TokenAuth {
  /** How the registry wants to be authenticated; null until it said (or was asked). */
  private challenge: Challenge | null = null
  /** Bearer tokens by their sorted scopes. */
  private readonly tokens = new Map<string, { token: string; expires: number }>()
  /** `Basic <base64>` of the configured credentials, if any. */
  readonly basic: string | undefined

  constructor(
    credentials: { username?: string | undefined; password?: string | undefined },
    private readonly fetchToken: TokenFetch,
    private readonly now: () => number,
  ) {
    this.basic = credentials.username === undefined ? undefined : `Basic ${Buffer.from(`${credentials.username}:${credentials.password ?? ''}`).toString('base64')}`
  }

  /** Whether the registry has said how it authenticates. */
  get known(): boolean {
    return this.challenge !== null
  }

  /** Takes what GET /v2/ answered when it was asked before a first request with a body. */
  adopt(challenge: Challenge | null): void {
    this.challenge ??= challenge ?? { scheme: 'none' }
  }

  /** Takes a 401's challenge; true when a retry can send something it did not send before. */
  learn(challenge: Challenge, sent: string | undefined): boolean {
    this.challenge = challenge
    if (challenge.scheme === 'basic') return this.basic !== undefined && sent === undefined
    // A token that was refused is not used again.
    if (sent !== undefined) for (const [key, t] of this.tokens) if (`Bearer ${t.token}` === sent) this.tokens.delete(key)
    return true
  }

  /** The Authorization header for `scopes`, fetching a token when the registry wants one. */
  async authorization(scopes: readonly string[], signal?: AbortSignal): Promise<string | undefined> {
    const c = this.challenge
    if (c === null || c.scheme === 'none') return undefined
    if (c.scheme === 'basic') return this.basic
    const key = [...scopes].sort().join(' ')
    const cached = this.tokens.get(key)
    if (cached !== undefined && cached.expires > this.now()) return `Bearer ${cached.token}`
    const url = new URL(c.realm)
    if (c.service !== undefined) url.searchParams.set('service', c.service)
    for (const s of scopes) url.searchParams.append('scope', s)
    const headers: Record<string, string> = { accept: 'application/json', ...(this.basic === undefined ? {} : { authorization: this.basic }) }
    const answer = ((await this.fetchToken(url, headers, signal)) ?? {}) as Record<string, unknown>
    const token = typeof answer.token === 'string' && answer.token !== '' ? answer.token : answer.access_token
    if (typeof token !== 'string' || token === '') throw new BerthError('UNAUTHORIZED', `the token service ${url.origin}${url.pathname} answered no token`)
    const ttl = typeof answer.expires_in === 'number' && answer.expires_in > 0 ? answer.expires_in : 60
    this.tokens.set(key, { token, expires: this.now() + ttl * 1000 })
    return `Bearer ${token}`
  }
}
