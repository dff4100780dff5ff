import type { AreaRoutes } from '../areas'
import { page } from '../page'

export const routes: AreaRoutes = {
  admin: [
    { path: 'scanners', ...page(() => import('./ScannerList')) },
    { path: 'security-hub', ...page(() => import('./SecurityHub')) },
  ],
  project: [{ path: 'scanner', ...page(() => import('./ProjectScanner')) }],
}
