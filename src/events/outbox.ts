// Domain events, written in the same transaction as the change they describe (the outbox), so
// that no committed push goes without its event and no rolled-back one has one. An event is a
// job of type EVENT: any node's worker hands it to its consumers (replication), at least once.
import type { Kysely } from 'kysely'
import type { Database } from '../metadata/schema.js'

/** The instances a change travelled through before it reached this one (replication), oldest first. */
type Path = { path: string[] }

export type RegistryEvent =
  | ({ type: 'PUSH_ARTIFACT'; repository: string; digest: string; tag?: string } & Path)
  | ({ type: 'DELETE_TAG'; repository: string; tag: string; digest: string } & Path)
  | ({ type: 'DELETE_ARTIFACT'; repository: string; digest: string } & Path)
  | ({ type: 'DELETE_REPOSITORY'; repository: string; digests: string[] } & Path)
  /** A push took the project's usage to the warning level (quota.warning_percent of `hard`); bytes. */
  | ({ type: 'QUOTA_WARNING'; repository: string; project: string; used: number; hard: number; needed: number } & Path)
  /** A push was refused: `used` before it plus `needed` would pass `hard`; bytes. */
  | ({ type: 'QUOTA_EXCEED'; repository: string; project: string; used: number; hard: number; needed: number } & Path)

export const EVENT_JOB = 'EVENT'

export interface Outbox {
  /** Records `event` in the transaction `trx` of the change. */
  record(trx: Kysely<Database>, event: RegistryEvent): Promise<void>
  /** Call after the commit: the consumers start now rather than at their next poll. */
  committed(): void
}
