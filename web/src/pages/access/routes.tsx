import type { AreaRoutes } from '../areas'
import { page } from '../page'

export const routes: AreaRoutes = {
  project: [
    { path: 'members', ...page(() => import('./MemberList')) },
    { path: 'robots', ...page(() => import('./ProjectRobots')) },
    { path: 'labels', ...page(() => import('./ProjectLabels')) },
    { path: 'logs', ...page(() => import('./ProjectLogs')) },
  ],
  admin: [
    { path: 'robots', ...page(() => import('./SystemRobots')) },
    { path: 'labels', ...page(() => import('./GlobalLabels')) },
    { path: 'logs', ...page(() => import('./AuditLogs')) },
  ],
}
