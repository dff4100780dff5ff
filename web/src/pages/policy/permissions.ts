// Whether the caller's permissions in the current project are still loading: until they are,
// a tab shows a spinner rather than "you are not allowed" for a moment.
import { useParams } from 'react-router'
import { usePermissions } from '../../auth/session'

export function usePermissionsLoading(): boolean {
  const { projectId } = useParams()
  return usePermissions(`/project/${projectId}`).loading
}
