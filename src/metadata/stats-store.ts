// Cluster-wide counts for the metrics exporter: per project (repositories, pulls, user members,
// quota), job queues, schedules and replication tasks. A handful of grouped queries whose cost
// grows with the number of projects and rows, never one query per project; the caller runs them
// at most once per interval across the nodes (services/system/cluster-stats.ts).
import { sql, type Kysely } from 'kysely'
import type { Database } from './schema.js'
import { TO_REPLICATION, REPLICATION } from './replication-store.js'
import type { RunStatus } from './execution-store.js'

export interface ProjectStats {
  name: string
  public: boolean
  repositories: number
  members: number
  quotaUsed: number
  quotaHard: number
  pulls: number
}

export class StatsStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Every live project with its repositories, pulls (sum of its repositories'), user members (as Harbor counts) and quota. */
  async projects(): Promise<ProjectStats[]> {
    const [projects, repos, members, quotas] = await Promise.all([
      this.db.selectFrom('projects').select(['id', 'name', 'public']).where('deleted', '=', 0).execute(),
      this.db
        .selectFrom('repositories')
        .select(['project_id', sql<number>`count(*)`.as('n'), sql<number>`coalesce(sum(pull_count), 0)`.as('pulls')])
        .groupBy('project_id')
        .execute(),
      this.db.selectFrom('project_members').select(['project_id', sql<number>`count(*)`.as('n')]).where('entity_type', '=', 'u').groupBy('project_id').execute(),
      this.db.selectFrom('quota_usage').select(['project_id', 'hard', 'used']).execute(),
    ])
    const repoOf = new Map(repos.map((r) => [Number(r.project_id), r]))
    const memberOf = new Map(members.map((m) => [Number(m.project_id), Number(m.n)]))
    const quotaOf = new Map(quotas.map((q) => [Number(q.project_id), q]))
    return projects.map((p) => {
      const id = Number(p.id)
      const r = repoOf.get(id)
      const q = quotaOf.get(id)
      return {
        name: p.name,
        public: Number(p.public) === 1,
        repositories: Number(r?.n ?? 0),
        members: memberOf.get(id) ?? 0,
        quotaUsed: Number(q?.used ?? 0),
        quotaHard: Number(q?.hard ?? -1),
        pulls: Number(r?.pulls ?? 0),
      }
    })
  }

  /** Jobs due and waiting per type, and how long the oldest has waited (seconds) at `now`. */
  async queues(now: Date): Promise<{ type: string; size: number; latencySeconds: number }[]> {
    const at = now.toISOString()
    const rows = await this.db
      .selectFrom('jobs')
      .select(['type', sql<number>`count(*)`.as('n'), sql<string>`min(run_at)`.as('oldest')])
      .where('state', '=', 'pending')
      .where('run_at', '<=', at)
      .groupBy('type')
      .execute()
    return rows.map((r) => ({ type: r.type, size: Number(r.n), latencySeconds: Math.max(0, (now.getTime() - Date.parse(r.oldest)) / 1000) }))
  }

  async schedules(): Promise<number> {
    const row = await this.db.selectFrom('schedules').select(sql<number>`count(*)`.as('n')).executeTakeFirst()
    return Number(row?.n ?? 0)
  }

  /** Replication tasks by status, in replication's words; every status present, 0 when none. */
  async replicationTasks(): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('tasks as t')
      .innerJoin('executions as e', 'e.id', 't.execution_id')
      .select(['t.status', sql<number>`count(*)`.as('n')])
      .where('e.vendor_type', '=', REPLICATION)
      .groupBy('t.status')
      .execute()
    const out: Record<string, number> = Object.fromEntries(Object.values(TO_REPLICATION).map((s) => [s, 0]))
    for (const r of rows) {
      const status = TO_REPLICATION[r.status as RunStatus]
      if (status !== undefined) out[status] = (out[status] ?? 0) + Number(r.n)
    }
    return out
  }
}
