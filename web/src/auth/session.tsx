// Who is signed in (GET /users/current), and what they may do in a scope
// (GET /users/current/permissions): the console shows only the actions the server would allow,
// and the server still checks every one.
import { createContext, useCallback, useContext, useEffect, type ReactNode } from 'react'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { api, ok, signIn as postSignIn, signOut as getSignOut, whenSignedOut } from '../api/client'
import type { paths } from '../api/schema'

export type CurrentUser = paths['/api/v2.0/users/current']['get']['responses'][200]['content']['application/json']
type Permission = paths['/api/v2.0/users/current/permissions']['get']['responses'][200]['content']['application/json'][number]

interface SessionValue {
  /** undefined while loading, null when nobody is signed in. */
  user: CurrentUser | null | undefined
  signIn(principal: string, password: string): Promise<void>
  signOut(): Promise<void>
}

const SessionContext = createContext<SessionValue | null>(null)
const CURRENT = ['session', 'current'] as const

/** Who is signed in: null when nobody. Started by main.tsx before the first render, beside the language files. */
export const currentUserQuery = {
  queryKey: CURRENT,
  queryFn: async (): Promise<CurrentUser | null> => {
    const answer = await api.GET('/api/v2.0/users/current')
    return answer.response.status === 401 ? null : ok(answer)
  },
  staleTime: 60_000,
  retry: false,
} as const

export function SessionProvider({ children }: { children: ReactNode }) {
  const client = useQueryClient()
  const current = useQuery(currentUserQuery)
  const signIn = useCallback(
    async (principal: string, password: string) => {
      await postSignIn(principal, password)
      const me = ok(await api.GET('/api/v2.0/users/current'))
      // What the previous visitor of this browser saw is forgotten; the session query keeps its observer.
      client.removeQueries({ predicate: (q) => q.queryKey[0] !== 'session' })
      client.setQueryData(CURRENT, me)
    },
    [client],
  )
  const signOut = useCallback(async () => {
    await getSignOut()
    client.removeQueries({ predicate: (q) => q.queryKey[0] !== 'session' })
    client.setQueryData(CURRENT, null)
  }, [client])
  useEffect(() => whenSignedOut(() => client.setQueryData(CURRENT, null)), [client])
  return <SessionContext.Provider value={{ user: current.data, signIn, signOut }}>{children}</SessionContext.Provider>
}

export function useSession(): SessionValue {
  const v = useContext(SessionContext)
  if (v === null) throw new Error('useSession outside SessionProvider')
  return v
}

/** The signed-in user (inside the signed-in part of the app). */
export function useUser(): CurrentUser {
  const { user } = useSession()
  if (!user) throw new Error('useUser without a signed-in user')
  return user
}

export interface Permissions {
  /** Whether the caller may do `action` on `resource` (Harbor's RBAC names: "repository", "push"...). */
  can(resource: string, action: string): boolean
  loading: boolean
}

/** The caller's permissions in the system ('/') or in a project ('/project/<id>'). */
export function usePermissions(scope: string): Permissions {
  const q = useQuery({
    queryKey: ['permissions', scope],
    queryFn: async () => ok(await api.GET('/api/v2.0/users/current/permissions', { params: { query: { scope, relative: true } } })),
    staleTime: 60_000,
  })
  const list: Permission[] = q.data ?? []
  return { can: (resource, action) => list.some((p) => p.resource === resource && p.action === action), loading: q.isLoading }
}

