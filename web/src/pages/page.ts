import type { ComponentType } from 'react'
import type { RouteObject } from 'react-router'

/** A lazily loaded page: `{ path: 'x', ...page(() => import('./Page')) }`; the page module's default export is the page. */
export function page(load: () => Promise<{ default: ComponentType }>): Pick<RouteObject, 'lazy'> {
  return { lazy: () => load().then((m) => ({ Component: m.default })) }
}
