import type { AreaRoutes } from '../areas'
import { page } from '../page'

export const routes: AreaRoutes = {
  admin: [{ path: 'security-hub', ...page(() => import('./SecurityHub')) }],
}
