// Providers around the router: the query cache, the session, toasts.
import { Suspense } from 'react'
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { RouterProvider } from 'react-router'
import { Bullseye, Spinner } from '@patternfly/react-core'
import { useTranslation } from 'react-i18next'
import { SessionProvider } from '../auth/session'
import { ToastProvider } from '../components/Toasts'
import { router } from './routes'

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: { staleTime: 10_000, retry: (n, e) => n < 2 && !(e instanceof Error && 'status' in e && Number((e as { status: number }).status) < 500), refetchOnWindowFocus: false },
  },
})

export function Loading() {
  // A Suspense fallback must not suspend itself.
  const { t } = useTranslation(undefined, { useSuspense: false })
  return (
    <Bullseye>
      <Spinner aria-label={t('common.loading')} aria-valuetext={t('common.loading')} />
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
