// Shared helpers for the in-process /api/v2.0 tests: status and error assertions, paging headers,
// and what holds for every response (a request id; errors in Harbor's body format).
import assert from 'node:assert/strict'
import { header, type Response } from '../oci/oci-test-support.js'
import { ADMIN_AUTH, basicAuth } from '../../../test/support/berth-app.js'

/** Who a request is sent as: a name for messages, and the headers that make it so. */
export interface Actor {
  name: string
  headers: Record<string, string>
}

export const ANON: Actor = { name: 'anonymous', headers: {} }
export const ADMIN: Actor = { name: 'admin', headers: { authorization: ADMIN_AUTH } }

/** A user per project role, named as the API tests name them, with Harbor's role ids. */
export const PROJECT_ROLES: readonly (readonly [string, number])[] = [
  ['padm', 1],
  ['maint', 4],
  ['dev', 2],
  ['guest', 3],
  ['lguest', 5],
]

/** A user signing in with Basic credentials. */
export function userActor(name: string, password: string): Actor {
  return { name, headers: { authorization: basicAuth(name, password) } }
}

/** A request id on every response; errors as `{"errors":[{code,message}]}` with a JSON content type. */
export function checkResponse(res: Response, what: string, body?: unknown): void {
  const id = header(res, 'x-request-id')
  assert.ok(id !== undefined && id !== '', `${what}: no x-request-id (${res.statusCode})`)
  if (res.statusCode < 400) return
  assert.match(header(res, 'content-type') ?? '', /^application\/json/, `${what}: error without a JSON body`)
  const e = ((body ?? res.json()) as { errors?: { code?: unknown; message?: unknown }[] } | undefined)?.errors?.[0]
  assert.ok(e !== undefined, `${what}: error body without errors[0]: ${res.body.slice(0, 300)}`)
  assert.equal(typeof e.code, 'string', `${what}: errors[0].code`)
  assert.ok((e.code as string).length > 0, `${what}: empty errors[0].code`)
  assert.equal(typeof e.message, 'string', `${what}: errors[0].message`)
}

export function assertStatus(res: Response, status: number, what = ''): void {
  assert.equal(res.statusCode, status, `${what} expected ${status}, got ${res.statusCode}: ${res.body.slice(0, 400)}`)
}

/** A Harbor-style error: the status, errors[0].code, and a message. */
export function assertError(res: Response, status: number, code: string, what = ''): void {
  assertStatus(res, status, what)
  const first = (res.json() as { errors?: { code?: string; message?: string }[] }).errors?.[0]
  assert.equal(first?.code, code, `${what} ${res.body.slice(0, 400)}`)
  assert.equal(typeof first?.message, 'string', `${what}: errors[0].message`)
}

export function totalOf(res: Response): number {
  const v = header(res, 'x-total-count')
  assert.ok(v !== undefined, 'no X-Total-Count')
  return Number(v)
}

/** The Link header's targets by rel (prev, next). */
export function linkRels(res: Response): Record<string, string> {
  const out: Record<string, string> = {}
  for (const part of (header(res, 'link') ?? '').split(/\s*,\s*(?=<)/)) {
    const m = /^<([^>]*)>;\s*rel="(\w+)"$/.exec(part.trim())
    if (m !== null) out[m[2]!] = m[1]!
  }
  return out
}

/** The id at the end of a Location header that must be `<prefix>/<id>`. */
export function idFromLocation(res: Response, prefix: string): number {
  const loc = header(res, 'location') ?? ''
  const m = new RegExp(`^${prefix.replace(/[.$+]/g, '\\$&')}/(\\d+)$`).exec(loc)
  assert.ok(m !== null, `Location ${JSON.stringify(loc)} is not ${prefix}/<id>`)
  return Number(m[1])
}
