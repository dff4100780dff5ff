// Providers around the router: the query cache, the session, toasts.
import { Suspense } from 'react'
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { RouterProvider } from 'react-router'
import { Bullseye, Spinner } from '@patternfly/react-core'
import { SessionProvider } from '../auth/session'
import { ToastProvider } from '../components/Toasts'
import { router } from './routes'

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: { staleTime: 10_000, retry: (n, e) => n < 2 && !(e instanceof Error && 'status' in e && Number((e as { status: number }).status) < 500), refetchOnWindowFocus: false },
  },
})

export function Loading() {
  return (
    <Bullseye>
      <Spinner aria-label="…" />
    </Bullseye>
  )
}

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <SessionProvider>
        <ToastProvider>
          <Suspense fallback={<Loading />}>
            <RouterProvider router={router} />
          </Suspense>
        </ToastProvider>
      </SessionProvider>
    </QueryClientProvider>
  )
}
