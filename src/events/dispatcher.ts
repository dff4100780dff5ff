// The event bus: subscribers by name, each with the event types it wants. Recording an event
// enqueues, in the transaction of the change, one job per interested subscriber (type
// `EVENT:<name>`), so each subscriber retries on its own: a webhook that keeps failing never
// makes replication run again. Delivery is at least once; handlers must be idempotent.
import type { Kysely } from 'kysely'
import type { Database } from '../metadata/schema.js'
import type { JobContext, JobService } from '../jobs/job-service.js'
import type { EventType, Outbox, RegistryEvent } from './outbox.js'

/** The job type of the single consumer before the bus: jobs of it may still be in an upgraded database. */
export const LEGACY_EVENT_JOB = 'EVENT'

/** The job type of one subscriber's deliveries. */
export const eventJobType = (name: string) => `EVENT:${name}`

export interface Subscriber {
  /** Stable across versions: it names the subscriber's jobs in the database. */
  name: string
  types: readonly EventType[] | '*'
  /** Attempts before a delivery is given up (the job stays, in state error); 10 by default. */
  maxAttempts?: number
  handle(event: RegistryEvent, ctx: JobContext): Promise<void>
  /**
   * Whether events of `type` are wanted right now (e.g. only while some webhook policy asks for
   * pulls): checked when an event is recorded, so it must be cheap and synchronous. Absent: always.
   */
  interested?(type: EventType): boolean
}

/** What a consumer needs of the bus. */
export interface EventSubscriptions {
  subscribe(s: Subscriber): void
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/

export class EventDispatcher implements Outbox, EventSubscriptions {
  private readonly subscribers = new Map<string, Subscriber>()

  constructor(private readonly jobs: JobService) {
    jobs.register({ type: LEGACY_EVENT_JOB, maxAttempts: 10, run: (p, ctx) => this.fanOutLegacy(p, ctx) })
  }

  /** Adds a subscriber; throws when the name is taken (a second consumer must never replace the first). */
  subscribe(s: Subscriber): void {
    if (!NAME.test(s.name)) throw new Error(`invalid event subscriber name ${JSON.stringify(s.name)}`)
    if (this.subscribers.has(s.name)) throw new Error(`event subscriber ${s.name} is already subscribed`)
    this.jobs.register({ type: eventJobType(s.name), maxAttempts: s.maxAttempts ?? 10, run: (p, ctx) => s.handle(p as RegistryEvent, ctx) })
    this.subscribers.set(s.name, s)
  }

  /** Whether anyone wants events of `type` (a caller may skip building events nobody reads). */
  subscribed(type: EventType): boolean {
    for (const s of this.subscribers.values()) if (wants(s, type)) return true
    return false
  }

  async record(trx: Kysely<Database>, event: RegistryEvent): Promise<void> {
    for (const s of this.subscribers.values()) {
      if (wants(s, event.type)) await this.jobs.enqueue({ type: eventJobType(s.name), payload: event }, trx)
    }
  }

  committed(): void {
    void this.jobs.wake()
  }

  /**
   * An event recorded by a version before the bus: one job per current subscriber. The dedupe
   * keys make a retry (or a second node) enqueue nothing twice.
   */
  private async fanOutLegacy(payload: unknown, ctx: JobContext): Promise<void> {
    const event = { operator: '', occurredAt: ctx.job.createdAt, path: [], ...(payload as object) } as unknown as RegistryEvent
    if (event.type === 'DELETE_ARTIFACT') event.tags ??= []
    for (const s of this.subscribers.values()) {
      if (!wants(s, event.type)) continue
      await this.jobs.enqueue({ type: eventJobType(s.name), payload: event, dedupeKey: `event:${ctx.job.id}:${s.name}` })
    }
    await ctx.log(`handed to ${[...this.subscribers.values()].filter((s) => wants(s, event.type)).map((s) => s.name).join(', ') || 'no subscriber'}`)
  }
}

function wants(s: Subscriber, type: EventType): boolean {
  return (s.types === '*' || s.types.includes(type)) && (s.interested?.(type) ?? true)
}
