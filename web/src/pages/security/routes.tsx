import type { AreaRoutes } from '../areas'
import { page } from '../page'

export const routes: AreaRoutes = {
  top: [{ path: 'cve-exports', ...page(() => import('./CveExports')) }],
  admin: [
    { path: 'scanners', ...page(() => import('./ScannerList')) },
    { path: 'security-hub', ...page(() => import('./SecurityHub')) },
  ],
  project: [
    { path: 'scanner', ...page(() => import('./ProjectScanner')) },
    { path: 'trusted-keys', ...page(() => import('./TrustedKeys')) },
  ],
}
