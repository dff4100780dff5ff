// The project a project page is about, loaded once by the project's frame (ProjectLayout) and
// read by every tab; and the caller's permissions in it.
import { useQuery } from '@tanstack/react-query'
import { useParams } from 'react-router'
import { api, ok } from '../../api/client'
import { usePermissions, type Permissions } from '../../auth/session'
import type { paths } from '../../api/schema'

export type Project = paths['/api/v2.0/projects/{project}']['get']['responses'][200]['content']['application/json']

export function projectQuery(projectId: string) {
  return {
    queryKey: ['project', projectId],
    queryFn: async () => ok(await api.GET('/api/v2.0/projects/{project}', { params: { path: { project: projectId } }, headers: { 'X-Is-Resource-Name': 'false' } })),
  }
}

/** The project of the current page (/projects/:projectId/...) and what the caller may do in it. */
export function useProject(): { project: Project; can: Permissions['can'] } {
  const { projectId } = useParams()
  const q = useQuery(projectQuery(projectId!))
  const perms = usePermissions(`/project/${projectId}`)
  if (q.data === undefined) throw new Error('useProject outside a loaded project')
  return { project: q.data, can: perms.can }
}
