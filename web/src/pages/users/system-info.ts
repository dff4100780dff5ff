// The signed-in view of systeminfo (auth mode, the registry's host), for the pages of this area.
import { useQuery } from '@tanstack/react-query'
import { api, ok } from '../../api/client'

export function useSystemInfo() {
  return useQuery({ queryKey: ['systeminfo', 'signed-in'], queryFn: async () => ok(await api.GET('/api/v2.0/systeminfo')), staleTime: 300_000 })
}
