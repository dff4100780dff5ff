import type { AreaRoutes } from '../areas'
import { page } from '../page'

export const routes: AreaRoutes = {
  project: [
    { path: 'repositories', ...page(() => import('./RepositoryList')) },
    { path: 'repositories/:repo', ...page(() => import('./RepositoryPage')) },
    { path: 'repositories/:repo/artifacts/:reference', ...page(() => import('./ArtifactPage')) },
  ],
}
