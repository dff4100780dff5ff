// The one way the console talks to Berth: a client typed from Berth's own OpenAPI document
// (schema.d.ts is generated from it by `npm run build`), so a console that no longer fits the
// API fails to compile. Same origin, session cookie; every state-changing request carries the
// session's CSRF token (the __csrf cookie set at sign-in).
import createClient, { type Middleware } from 'openapi-fetch'
import type { paths } from './schema'

export const CSRF_HEADER = 'X-Harbor-CSRF-Token'

export function csrfToken(): string | null {
  const m = /(?:^|;\s*)__csrf=([^;]*)/.exec(document.cookie)
  return m ? decodeURIComponent(m[1]!) : null
}

/** Called when an answer says the session is gone (401): the app returns to sign-in. */
let onSignedOut: () => void = () => {}
export function whenSignedOut(f: () => void): void {
  onSignedOut = f
}

const session: Middleware = {
  onRequest({ request }) {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const token = csrfToken()
      if (token !== null) request.headers.set(CSRF_HEADER, token)
    }
    return request
  },
  onResponse({ response, request }) {
    if (response.status === 401 && !request.url.endsWith('/users/current')) onSignedOut()
    return response
  },
}

export const api = createClient<paths>({ baseUrl: '', credentials: 'same-origin' })
api.use(session)

/** An answer of the API that is not a success, with Harbor's error message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

type Answer<T> = { data?: T; error?: unknown; response: Response }

/** The body of a successful answer, or an ApiError with the server's own message. */
export function ok<T>(answer: Answer<T>): T {
  if (answer.response.ok) return answer.data as T
  const first = (answer.error as { errors?: { code?: string; message?: string }[] } | undefined)?.errors?.[0]
  throw new ApiError(answer.response.status, first?.code ?? String(answer.response.status), first?.message ?? answer.response.statusText)
}

/** A page of a list: its rows and the total the server counted (X-Total-Count). */
export interface Page<T> {
  items: T[]
  total: number
}

export function page<T>(answer: Answer<T[]>): Page<T> {
  const items = ok(answer) ?? []
  const total = Number(answer.response.headers.get('x-total-count') ?? items.length)
  return { items, total: Number.isFinite(total) ? total : items.length }
}

/** Signs in with the console's form login (database and LDAP users alike). */
export async function signIn(principal: string, password: string): Promise<void> {
  const res = await fetch('/c/login', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ principal, password }).toString(),
  })
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { errors?: { code?: string; message?: string }[] }
    throw new ApiError(res.status, body.errors?.[0]?.code ?? String(res.status), body.errors?.[0]?.message ?? res.statusText)
  }
}

export async function signOut(): Promise<void> {
  await fetch('/c/log_out', { credentials: 'same-origin' })
}
