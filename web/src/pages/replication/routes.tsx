import type { AreaRoutes } from '../areas'
import { page } from '../page'

export const routes: AreaRoutes = {
  admin: [
    { path: 'registries', ...page(() => import('./RegistryList')) },
    { path: 'replications', ...page(() => import('./PolicyList')) },
    { path: 'replications/executions/:executionId', ...page(() => import('./ExecutionDetail')) },
    { path: 'replications/:policyId', ...page(() => import('./ExecutionList')) },
  ],
}
