// The periodic purge of expired console sessions (a session also ends at its first use after
// expiry; this removes the rows of those never used again).
import type { PeriodicJob } from '../../jobs/job-service.js'
import type { SessionStore } from '../../metadata/session-store.js'

/** The periodic job (and its schedule's vendor type) that deletes expired sessions. */
export const SESSION_PURGE_JOB = 'SYSTEM_SESSION_PURGE'

export function sessionPurgeJob(stores: { sessions: Pick<SessionStore, 'purgeExpired'> }, cron: string | null): PeriodicJob {
  return {
    type: SESSION_PURGE_JOB,
    cron,
    run: async (ctx) => {
      const purged = await stores.sessions.purgeExpired()
      await ctx.log(`purged ${purged} expired session(s)`)
    },
  }
}
