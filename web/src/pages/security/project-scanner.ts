// A project's scanner (its own choice, else the system default), read by the scanner tab and by
// the artifact list, which offers scans only when there is one.
import { api, ApiError, ok, page } from '../../api/client'

/**
 * Berth answers 404 when no scanner is registered at all (Harbor answers 200 without a body);
 * an administrator's console asks the registrations first, so that it does not ask for nothing.
 */
export function projectScannerQuery(projectName: string, sysadmin: boolean) {
  return {
    queryKey: ['project-scanner', projectName],
    queryFn: async () => {
      if (sysadmin && page(await api.GET('/api/v2.0/scanners', { params: { query: { page: 1, page_size: 1 } } })).total === 0) return null
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
