// Berth processes for the replication suites: a process with its management API as admin,
// registries and push policies between instances, and waiting for things to converge.
import assert from 'node:assert/strict'
import { E2E_ADMIN_PASSWORD, type BerthProcess } from './berth-process.js'
import { getManifest, pushRaw, sha256, type RawImage } from './raw-images.js'
import { waitUntil } from './until.js'

export const until = (what: string, fn: () => Promise<boolean>, ms = 60_000) => waitUntil(what, fn, { timeoutMs: ms, everyMs: 200 })

/** Settings every instance of these tests runs with: quick leases, retries and reconciliation. */
export const FAST = {
  BERTH_JOBS_LEASE_SECONDS: '3',
  BERTH_REPLICATION_TASK_ATTEMPTS: '2',
  BERTH_REPLICATION_RECONCILE_SECONDS: '0',
}

export type Json = any

/** A Berth process and its management API as admin. */
export class Instance {
  constructor(
    readonly name: string,
    public proc: BerthProcess,
  ) {}

  get url(): string {
    return this.proc.url
  }

  async api(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json; location: string | null }> {
    const res = await fetch(`${this.url}/api/v2.0${path}`, {
      method,
      headers: { authorization: this.proc.authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const text = await res.text()
    const json = (res.headers.get('content-type') ?? '').includes('json') && text !== '' ? JSON.parse(text) : text
    return { status: res.status, json, location: res.headers.get('location') }
  }

  async create(path: string, body: unknown): Promise<number> {
    const res = await this.api('POST', path, body)
    assert.equal(res.status, 201, `${this.name} POST ${path}: ${JSON.stringify(res.json)}`)
    return Number(/\/(\d+)$/.exec(res.location!)![1])
  }

  /** Adds `other` as a registry and an event-based push policy to it for library/**. */
  async replicateTo(other: Instance, o: { name?: string; speed?: number; trigger?: string } = {}): Promise<{ registry: number; policy: number }> {
    const registry = await this.create('/registries', { name: o.name ?? other.name, type: 'berth', url: other.url, credential: { type: 'basic', access_key: 'admin', access_secret: E2E_ADMIN_PASSWORD } })
    const policy = await this.create('/replication/policies', {
      name: `to-${o.name ?? other.name}`,
      dest_registry: { id: registry },
      trigger: { type: o.trigger ?? 'event_based' },
      filters: [{ type: 'name', value: 'library/**' }],
      replicate_deletion: true,
      override: true,
      enabled: true,
      ...(o.speed !== undefined ? { speed: o.speed } : {}),
    })
    return { registry, policy }
  }

  async digestOf(repo: string, ref: string): Promise<string | null> {
    const { res, bytes } = await getManifest(this.url, this.proc.authorization, repo, ref)
    return res.status === 200 ? sha256(bytes) : null
  }

  /** Every task of every execution on this instance. */
  async tasks(): Promise<Json[]> {
    const executions = (await this.api('GET', '/replication/executions?page_size=100')).json as Json[]
    const out: Json[] = []
    for (const e of executions) out.push(...((await this.api('GET', `/replication/executions/${e.id}/tasks?page_size=100`)).json as Json[]))
    return out
  }
}


export async function push(to: Instance, img: RawImage): Promise<void> {
  const outcome = await pushRaw(to.url, to.proc.authorization, img)
  assert.ok(outcome.ok, `push to ${to.name}: ${JSON.stringify(outcome)}`)
}
