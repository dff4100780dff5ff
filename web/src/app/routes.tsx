// Every page of the console and its URL. Each area of pages (pages/<area>/) lists its own
// routes in pages/<area>/routes.tsx and is loaded only when one of its pages is opened. The
// frame of the signed-in pages is loaded the same way, so the sign-in page does not carry it.
import type { ComponentType } from 'react'
import { Navigate, createBrowserRouter, type RouteObject } from 'react-router'
import { areas } from '../pages/areas'

const shell = (pick: (m: typeof import('./AppShell')) => ComponentType) => ({ lazy: () => import('./AppShell').then((m) => ({ Component: pick(m) })) })
const notFound: RouteObject = { path: '*', lazy: () => import('./NotFound').then((m) => ({ Component: m.NotFound })) }

const project: RouteObject[] = areas.flatMap((a) => a.project ?? [])
const admin: RouteObject[] = areas.flatMap((a) => a.admin ?? [])
const top: RouteObject[] = areas.flatMap((a) => a.top ?? [])

export const routes: RouteObject[] = [
  { path: '/sign-in', lazy: () => import('../pages/app/SignIn').then((m) => ({ Component: m.default })) },
  {
    ...shell((m) => m.RequireSignIn),
    children: [
      {
        ...shell((m) => m.AppShell),
        children: [
          { index: true, element: <Navigate to="/projects" replace /> },
          { path: 'account', lazy: () => import('../pages/app/Account').then((m) => ({ Component: m.default })) },
          ...top,
          {
            path: 'projects/:projectId',
            lazy: () => import('../pages/projects/ProjectLayout').then((m) => ({ Component: m.default })),
            children: [{ index: true, element: <Navigate to="summary" replace /> }, ...project, notFound],
          },
          { path: 'admin', ...shell((m) => m.RequireAdmin), children: [{ index: true, element: <Navigate to="overview" replace /> }, ...admin] },
          notFound,
        ],
      },
    ],
  },
]

export const router = createBrowserRouter(routes)
