import type { AreaRoutes } from '../areas'

export const routes: AreaRoutes = {}
