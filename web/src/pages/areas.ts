// The areas of the console, each with the routes of its pages: `top` at the root, `project`
// as tabs of a project (/projects/:projectId/...), `admin` under /admin.
import type { RouteObject } from 'react-router'
import { routes as projects } from './projects/routes'
import { routes as repositories } from './repositories/routes'
import { routes as access } from './access/routes'
import { routes as policy } from './policy/routes'
import { routes as users } from './users/routes'
import { routes as replication } from './replication/routes'
import { routes as system } from './system/routes'
import { routes as security } from './security/routes'

export interface AreaRoutes {
  top?: RouteObject[]
  project?: RouteObject[]
  admin?: RouteObject[]
}

export const areas: AreaRoutes[] = [projects, repositories, access, policy, users, replication, system, security]
