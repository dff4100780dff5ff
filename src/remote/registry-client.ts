// The client of a stored registry (a row of /registries): its URL, its credentials (unsealed here,
// only for the request), and the bounds and rate the caller asks for. Replication and the proxy
// cache both reach registries through it.
import type { RegistryFields } from '../metadata/registry-store.js'
import type { OutboundGuard } from './outbound-guard.js'
import { RemoteRegistry, type ListLimits } from './remote-registry.js'

export interface RegistryClientOptions {
  /** Opens the sealed secret of the row. */
  unseal: (sealed: string) => Buffer
  guard: OutboundGuard
  userAgent: string
  chunkBytes?: number
  listLimits?: Partial<ListLimits>
  /** KiB a second for this client's transfers; 0 or less: unlimited (Harbor's speed in KB/s). */
  speedKiB?: number
}

export function registryClient(r: RegistryFields, o: RegistryClientOptions): RemoteRegistry {
  return new RemoteRegistry({
    url: r.url,
    ...(r.accessKey !== '' ? { username: r.accessKey } : {}),
    ...(r.sealedSecret !== '' ? { password: o.unseal(r.sealedSecret).toString('utf8') } : {}),
    insecure: r.insecure,
    guard: o.guard,
    ...(o.chunkBytes !== undefined ? { chunkBytes: o.chunkBytes } : {}),
    ...(o.listLimits !== undefined ? { listLimits: o.listLimits } : {}),
    ...(o.speedKiB !== undefined && o.speedKiB > 0 ? { bandwidthBytesPerSec: o.speedKiB * 1024 } : {}),
    userAgent: o.userAgent,
  })
}
