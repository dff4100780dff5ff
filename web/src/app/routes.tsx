// Every page of the console and its URL. Each area of pages (pages/<area>/) lists its own
// routes in pages/<area>/routes.tsx and is loaded only when one of its pages is opened.
import { Navigate, createBrowserRouter, type RouteObject } from 'react-router'
import { AppShell, RequireAdmin, RequireSignIn } from './AppShell'
import { NotFound } from './NotFound'
import { areas } from '../pages/areas'

const project: RouteObject[] = areas.flatMap((a) => a.project ?? [])
const admin: RouteObject[] = areas.flatMap((a) => a.admin ?? [])
const top: RouteObject[] = areas.flatMap((a) => a.top ?? [])

export const routes: RouteObject[] = [
  { path: '/sign-in', lazy: () => import('../pages/app/SignIn').then((m) => ({ Component: m.default })) },
  {
    element: <RequireSignIn />,
    children: [
      {
        element: <AppShell />,
        children: [
          { index: true, element: <Navigate to="/projects" replace /> },
          { path: 'account', lazy: () => import('../pages/app/Account').then((m) => ({ Component: m.default })) },
          ...top,
          {
            path: 'projects/:projectId',
            lazy: () => import('../pages/projects/ProjectLayout').then((m) => ({ Component: m.default })),
            children: [{ index: true, element: <Navigate to="summary" replace /> }, ...project, { path: '*', element: <NotFound /> }],
          },
          { path: 'admin', element: <RequireAdmin />, children: [{ index: true, element: <Navigate to="overview" replace /> }, ...admin] },
          { path: '*', element: <NotFound /> },
        ],
      },
    ],
  },
]

export const router = createBrowserRouter(routes)
