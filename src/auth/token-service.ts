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

/** How many signing keys are kept: the current one and older ones whose tokens may still be alive. */
const KEPT_KEYS = 3
/** Unknown kids make a node read the keys again, at most this often. */
const RELOAD_MS = 5_000

interface SigningKey {
  kid: string
  privateKey: CryptoKey
  publicKey: CryptoKey
}

async function importKey(jwk: JWK): Promise<SigningKey> {
  const { d: _d, ...publicJwk } = jwk
  return { kid: await calculateJwkThumbprint(publicJwk), privateKey: (await importJWK(jwk, ALG)) as CryptoKey, publicKey: (await importJWK(publicJwk, ALG)) as CryptoKey }
}

async function newKey(): Promise<Buffer> {
  const { privateKey } = await generateKeyPair(ALG, { extractable: true })
  return Buffer.from(JSON.stringify(await exportJWK(privateKey)))
}

export class TokenService {
  private readonly verified = new LruCache<VerifiedToken>(10_000, () => 1)
  private current!: SigningKey
  private publicKeys = new Map<string, CryptoKey>()
  /** When an unknown kid last made this node read the keys (forged kids must not hammer the DB). */
  private missReloadAt = 0

  private constructor(
    private readonly stores: Stores,
    private readonly box: SecretBox,
    private readonly ttlSeconds: number,
  ) {}

  /** Loads the cluster signing keys, creating the first if this is the first node to start. */
  static async open(stores: Stores, box: SecretBox, ttlSeconds: number): Promise<TokenService> {
    // The first key of a fresh database (after rotations the first may be long gone).
    if ((await stores.secrets.list(SIGNING_KEY)).length === 0) await sharedSecret(stores, box, SIGNING_KEY, newKey)
    const service = new TokenService(stores, box, ttlSeconds)
    await service.reload()
    return service
  }

  /**
   * Reads the signing keys again: the newest signs, all verify. Called when a token names an
   * unknown kid (another node rotated) and when a rotation is announced.
   */
  async reload(): Promise<void> {
    const rows = await this.stores.secrets.list(SIGNING_KEY)
    const keys = await Promise.all(rows.map(async (r) => importKey(JSON.parse(this.box.open(r.sealed).toString('utf8')) as JWK)))
    this.current = keys[keys.length - 1]!
    this.publicKeys = new Map(keys.map((k) => [k.kid, k.publicKey]))
  }

  /**
   * Makes a new key the signing key. Tokens signed with the older keys stay valid until they
   * expire: the last KEPT_KEYS keys keep verifying. Returns the new key's id.
   */
  async rotate(now = new Date()): Promise<string> {
    await this.stores.secrets.putIfAbsent(`${SIGNING_KEY}@${now.toISOString()}`, this.box.seal(await newKey()))
    const all = await this.stores.secrets.list(SIGNING_KEY)
    for (const old of all.slice(0, Math.max(0, all.length - KEPT_KEYS))) await this.stores.secrets.delete(old.name)
    await this.reload()
    return this.current.kid
  }

  /** The id of the key new tokens are signed with. */
  get kid(): string {
    return this.current.kid
  }

  async issue(subject: TokenSubject, access: TokenAccess[], now = new Date(), ttlSeconds = this.ttlSeconds): Promise<IssuedToken> {
    const iat = Math.floor(now.getTime() / 1000)
    const token = await new SignJWT({ access, ber: { k: subject.kind, id: subject.id, grp: subject.groups } })
      .setProtectedHeader({ alg: ALG, kid: this.current.kid, typ: 'JWT' })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_SERVICE)
      .setSubject(subject.name)
      .setIssuedAt(iat)
      .setNotBefore(iat - 1)
      .setExpirationTime(iat + ttlSeconds)
      .setJti(randomBytes(12).toString('base64url'))
      .sign(this.current.privateKey)
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

  private async keyFor(kid: string | undefined): Promise<CryptoKey> {
    let key = kid === undefined ? undefined : this.publicKeys.get(kid)
    if (key === undefined && kid !== undefined && Date.now() - this.missReloadAt > RELOAD_MS) {
      this.missReloadAt = Date.now()
      await this.reload()
      key = this.publicKeys.get(kid)
    }
    if (key === undefined) throw new BerthError('UNAUTHORIZED', 'authentication required: the token was signed with an unknown key')
    return key
  }
}

/** Whether a verified token grants `action` on `type:name`. */
export function tokenAllows(token: VerifiedToken, type: string, name: string, action: string): boolean {
  return token.access.some((a) => a.type === type && a.name === name && (a.actions.includes(action) || a.actions.includes('*')))
}
