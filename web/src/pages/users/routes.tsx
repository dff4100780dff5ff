import type { AreaRoutes } from '../areas'
import { page } from '../page'

export const routes: AreaRoutes = {
  admin: [
    { path: 'users', ...page(() => import('./UserList')) },
    { path: 'settings', ...page(() => import('./Settings')) },
  ],
  project: [
    { path: 'summary', ...page(() => import('./ProjectSummary')) },
    { path: 'configuration', ...page(() => import('./ProjectConfiguration')) },
  ],
}
