// Registry bearer tokens (the Docker token protocol): short-lived JWTs signed with the cluster
// key, which lives in the database sealed with secret_key. The key's id is in every token's
// header, so every node verifies every node's tokens.
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, jwtVerify, type CryptoKey, type JWK } from 'jose'
import { randomBytes } from 'node:crypto'
import { BerthError } from '../lib/errors.js'
import { LruCache } from '../cache/lru-cache.js'
import type { Stores } from '../metadata/stores.js'
import type { SecretBox } from './secret-box.js'
import { sharedSecret } from './shared-secrets.js'
import type { Caller } from './identity.js'

export const TOKEN_ISSUER = 'berth-token-issuer'
export const TOKEN_SERVICE = 'berth-registry'
const ALG = 'ES256'
const SIGNING_KEY = 'token-signing-key'

/** One entry of a token's `access` claim, as in the Docker token spec. */
export interface TokenAccess {
  type: string
  name: string
  actions: string[]
}

/** Who a token was issued to, so that the catalog can be filtered for them. */
export interface TokenSubject {
  kind: Caller['kind']
  id: number
  name: string
  groups: string[]
}

export interface VerifiedToken {
  subject: TokenSubject
  access: TokenAccess[]
  expiresAt: number
}

export interface IssuedToken {
  token: string
  expiresIn: number
  issuedAt: string
}

export class TokenService {
  private readonly verified = new LruCache<VerifiedToken>(10_000, () => 1)

  private constructor(
    private readonly privateKey: CryptoKey,
    private readonly publicKeys: Map<string, CryptoKey>,
    private readonly kid: string,
    private readonly ttlSeconds: number,
  ) {}

  /** Loads the cluster signing key, creating it if this is the first node to start. */
  static async open(stores: Stores, box: SecretBox, ttlSeconds: number): Promise<TokenService> {
    const jwk = JSON.parse(
      (
        await sharedSecret(stores, box, SIGNING_KEY, async () => {
          const { privateKey } = await generateKeyPair(ALG, { extractable: true })
          return Buffer.from(JSON.stringify(await exportJWK(privateKey)))
        })
      ).toString('utf8'),
    ) as JWK
    const { d: _d, ...publicJwk } = jwk
    const kid = await calculateJwkThumbprint(publicJwk)
    const privateKey = (await importJWK(jwk, ALG)) as CryptoKey
    const publicKey = (await importJWK(publicJwk, ALG)) as CryptoKey
    return new TokenService(privateKey, new Map([[kid, publicKey]]), kid, ttlSeconds)
  }

  async issue(subject: TokenSubject, access: TokenAccess[], now = new Date(), ttlSeconds = this.ttlSeconds): Promise<IssuedToken> {
    const iat = Math.floor(now.getTime() / 1000)
    const token = await new SignJWT({ access, ber: { k: subject.kind, id: subject.id, grp: subject.groups } })
      .setProtectedHeader({ alg: ALG, kid: this.kid, typ: 'JWT' })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_SERVICE)
      .setSubject(subject.name)
      .setIssuedAt(iat)
      .setNotBefore(iat - 1)
      .setExpirationTime(iat + ttlSeconds)
      .setJti(randomBytes(12).toString('base64url'))
      .sign(this.privateKey)
    return { token, expiresIn: ttlSeconds, issuedAt: now.toISOString() }
  }

  /** Verifies signature, issuer, audience and expiry; UNAUTHORIZED otherwise. */
  async verify(token: string, now = Date.now()): Promise<VerifiedToken> {
    const cached = this.verified.get(token)
    if (cached !== undefined && cached.expiresAt * 1000 > now) return cached
    let payload: Record<string, unknown>
    try {
      ;({ payload } = await jwtVerify(token, async (header) => this.keyFor(header.kid), {
        issuer: TOKEN_ISSUER,
        audience: TOKEN_SERVICE,
        algorithms: [ALG],
        currentDate: new Date(now),
      }))
    } catch (err) {
      if (err instanceof BerthError) throw err
      throw new BerthError('UNAUTHORIZED', 'authentication required: the token is invalid or expired')
    }
    const ber = payload.ber as { k?: unknown; id?: unknown; grp?: unknown } | undefined
    const result: VerifiedToken = {
      subject: {
        kind: ber?.k === 'user' || ber?.k === 'robot' ? ber.k : 'anonymous',
        id: typeof ber?.id === 'number' ? ber.id : 0,
        name: typeof payload.sub === 'string' ? payload.sub : '',
        groups: Array.isArray(ber?.grp) ? ber.grp.filter((g): g is string => typeof g === 'string') : [],
      },
      access: Array.isArray(payload.access) ? (payload.access as TokenAccess[]) : [],
      expiresAt: payload.exp as number,
    }
    this.verified.set(token, result)
    return result
  }

  private keyFor(kid: string | undefined): CryptoKey {
    const key = kid === undefined ? undefined : this.publicKeys.get(kid)
    if (key === undefined) throw new BerthError('UNAUTHORIZED', 'authentication required: the token was signed with an unknown key')
    return key
  }
}

/** Whether a verified token grants `action` on `type:name`. */
export function tokenAllows(token: VerifiedToken, type: string, name: string, action: string): boolean {
  return token.access.some((a) => a.type === type && a.name === name && (a.actions.includes(action) || a.actions.includes('*')))
}
