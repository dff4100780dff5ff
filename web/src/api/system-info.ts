// The signed-in view of systeminfo (auth mode, the registry's host, the banner), shared by the
// frame and the pages that need it: one request, cached for five minutes.
import { useQuery } from '@tanstack/react-query'
import { api, ok } from './client'

export function useSystemInfo() {
  return useQuery({ queryKey: ['systeminfo', 'signed-in'], queryFn: async () => ok(await api.GET('/api/v2.0/systeminfo')), staleTime: 300_000 })
}
