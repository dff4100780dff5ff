import type { AreaRoutes } from '../areas'
import { page } from '../page'

export const routes: AreaRoutes = {
  project: [
    { path: 'policy', ...page(() => import('./PolicyPage')) },
    { path: 'webhooks', ...page(() => import('./WebhooksPage')) },
  ],
}
