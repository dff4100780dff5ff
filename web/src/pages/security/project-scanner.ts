// A project's scanner (its own choice, else the system default), read by the scanner tab and by
// the artifact list, which offers scans only when there is one.
import { api, ApiError, ok } from '../../api/client'

export function projectScannerQuery(projectName: string) {
  return {
    queryKey: ['project-scanner', projectName],
    queryFn: async () => {
      try {
        return ok(await api.GET('/api/v2.0/projects/{project_name_or_id}/scanner', { params: { path: { project_name_or_id: projectName } } }))
      } catch (e) {
        // No scanner registered at all is an answer, not a failure.
        if (e instanceof ApiError && e.status === 404) return null
        throw e
      }
    },
    staleTime: 30_000,
  }
}
