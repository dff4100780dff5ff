import type { AreaRoutes } from '../areas'
import { page } from '../page'

export const routes: AreaRoutes = {
  admin: [
    { path: 'overview', ...page(() => import('./Overview')) },
    { path: 'gc', ...page(() => import('./GcPage')) },
    { path: 'audit-purge', ...page(() => import('./AuditPurgePage')) },
    { path: 'jobservice', ...page(() => import('./JobServicePage')) },
    { path: 'quotas', ...page(() => import('./QuotasPage')) },
  ],
}
