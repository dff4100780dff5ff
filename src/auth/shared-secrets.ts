// Secrets every node shares (token-signing key, CSRF key): created once by whichever node
// comes first, stored sealed with secret_key, and read by all others.
import type { Stores } from '../metadata/stores.js'
import type { SecretBox } from './secret-box.js'

/** The secret stored under `name`; `create` makes it when there is none yet (the first writer wins). */
export async function sharedSecret(stores: Stores, box: SecretBox, name: string, create: () => Promise<Buffer> | Buffer): Promise<Buffer> {
  const existing = await stores.secrets.get(name)
  const sealed = existing ?? (await stores.secrets.putIfAbsent(name, box.seal(await create())))
  return box.open(sealed)
}
