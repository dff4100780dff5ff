// Domain events, written in the same transaction as the change they describe (the outbox), so
// that no committed push goes without its event and no rolled-back one has one. The dispatcher
// (dispatcher.ts) turns each event into one job per subscriber, in that transaction.
import type { Kysely } from 'kysely'
import type { Database } from '../metadata/schema.js'

/** The instances a change travelled through before it reached this one (replication), oldest first. */
type Path = { path: string[] }

/** What every event carries besides its own fields: who made the change and when. */
export interface EventMeta {
  /** The user or robot name, 'anonymous', or '' for the system itself (a job, an in-process replication). */
  operator: string
  /** When the change happened (ISO 8601, UTC). */
  occurredAt: string
}

export type RegistryEvent =
  | ({ type: 'PUSH_ARTIFACT'; repository: string; digest: string; tag?: string } & Path & EventMeta)
  | ({ type: 'DELETE_TAG'; repository: string; tag: string; digest: string } & Path & EventMeta)
  /** `tags`: the tags the artifact had when it was deleted. */
  | ({ type: 'DELETE_ARTIFACT'; repository: string; digest: string; tags: string[] } & Path & EventMeta)
  | ({ type: 'DELETE_REPOSITORY'; repository: string; digests: string[] } & Path & EventMeta)
  /** A manifest GET (batched per node: see pull-recorder.ts); `tag` when it was pulled by tag. */
  | ({ type: 'PULL_ARTIFACT'; repository: string; digest: string; tag?: string } & Path & EventMeta)
  /** A push took the project's usage to the warning level (quota.warning_percent of `hard`); bytes. */
  | ({ type: 'QUOTA_WARNING'; repository: string; project: string; used: number; hard: number; needed: number } & Path & EventMeta)
  /** A push was refused: `used` before it plus `needed` would pass `hard`; bytes. */
  | ({ type: 'QUOTA_EXCEED'; repository: string; project: string; used: number; hard: number; needed: number } & Path & EventMeta)
  /** A replication run ended: told to each local project it copied into or out of (Harbor's payload fields). */
  | ({ type: 'REPLICATION'; project: string; replication: Record<string, unknown> } & Path & EventMeta)
  /**
   * A tag retention run ended (not a dry run): `total` artifacts judged, `retained` kept, and the
   * artifacts it deleted (the first RETENTION_EVENT_MAX_DELETED of `deletedCount`).
   */
  | ({ type: 'TAG_RETENTION'; project: string; projectId: number; policyId: number; executionId: number; status: string; trigger: string; total: number; retained: number; deletedCount: number; deleted: RetentionDeletion[] } & Path & EventMeta)
  /** A vulnerability scan of one image ended; `scanOverview`: Harbor's scan_overview, keyed by report MIME type. */
  | ({ type: ScanningEventType; repository: string; digest: string; tag?: string; scanOverview: Record<string, unknown> } & Path & EventMeta)

/** Harbor's scan events: a report ended Success, Error or Stopped. */
export type ScanningEventType = 'SCANNING_COMPLETED' | 'SCANNING_FAILED' | 'SCANNING_STOPPED'

/** An artifact a retention run deleted, with the tags it had. */
export interface RetentionDeletion {
  repository: string
  digest: string
  tags: string[]
}

/** The most deleted artifacts a TAG_RETENTION event lists (its count says how many there were). */
export const RETENTION_EVENT_MAX_DELETED = 100

export type EventType = RegistryEvent['type']

export const EVENT_TYPES: readonly EventType[] = ['PUSH_ARTIFACT', 'DELETE_TAG', 'DELETE_ARTIFACT', 'DELETE_REPOSITORY', 'PULL_ARTIFACT', 'QUOTA_WARNING', 'QUOTA_EXCEED', 'REPLICATION', 'TAG_RETENTION', 'SCANNING_COMPLETED', 'SCANNING_FAILED', 'SCANNING_STOPPED']

/** The meta fields of an event made now by `operator` ('' for the system). */
export function eventMeta(operator: string, at: Date = new Date()): EventMeta {
  return { operator, occurredAt: at.toISOString() }
}

export interface Outbox {
  /** Records `event` in the transaction `trx` of the change. */
  record(trx: Kysely<Database>, event: RegistryEvent): Promise<void>
  /** Call after the commit: the consumers start now rather than at their next poll. */
  committed(): void
}
