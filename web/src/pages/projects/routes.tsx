import type { AreaRoutes } from '../areas'
import { page } from '../page'

export const routes: AreaRoutes = {
  top: [{ path: 'projects', ...page(() => import('./ProjectList')) }],
}
