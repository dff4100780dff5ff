// /api/v2.0 routes of the artifact lifecycle: the system jobs (garbage collection, audit-log
// purge) with Harbor's paths and shapes.
import type { FastifyInstance } from 'fastify'
import type { Security } from '../security.js'
import type { SystemJobApi } from '../../services/system/system-jobs.js'
import { apiRouter } from './router.js'
import { systemJobRoutes } from './system-job-routes.js'

export interface LifecycleDeps extends Security {
  purgeAudit: SystemJobApi
  gc: SystemJobApi
}

export async function lifecycleRoutes(app: FastifyInstance, deps: LifecycleDeps): Promise<void> {
  const route = apiRouter(app, deps)
  systemJobRoutes(route, { base: '/system/gc', idParam: 'gc_id', jobName: 'GARBAGE_COLLECTION', tag: 'gc', jobs: deps.gc })
  systemJobRoutes(route, { base: '/system/purgeaudit', idParam: 'purge_id', jobName: 'PURGE_AUDIT', tag: 'purge', jobs: deps.purgeAudit })
}
