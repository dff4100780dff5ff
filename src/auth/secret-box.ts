// Encryption of secrets stored in the database (signing keys, session keys, registry
// credentials) with a key derived from `secret_key`: AES-256-GCM, so tampering is detected.
// Sealed form: "v1.<iv b64url>.<tag b64url>.<ciphertext b64url>".
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'
import { BerthError } from '../lib/errors.js'

export class SecretBox {
  private readonly key: Buffer

  constructor(secretKey: string) {
    this.key = Buffer.from(hkdfSync('sha256', secretKey, 'berth', 'secret-box v1', 32))
  }

  seal(plaintext: Buffer | string): string {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.key, iv)
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()])
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.')
  }

  open(sealed: string): Buffer {
    const parts = sealed.split('.')
    if (parts.length !== 4 || parts[0] !== 'v1') throw new BerthError('INTERNAL', 'stored secret has an unknown format')
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(parts[1]!, 'base64url'))
      decipher.setAuthTag(Buffer.from(parts[2]!, 'base64url'))
      return Buffer.concat([decipher.update(Buffer.from(parts[3]!, 'base64url')), decipher.final()])
    } catch (err) {
      throw new BerthError('INTERNAL', 'cannot decrypt a stored secret: is secret_key the same on every node?', undefined, { cause: err })
    }
  }
}
