// How /api/v2.0 routes are declared: one spec per route (path parameters, query, body and
// responses as TypeBox schemas, plus a summary and a tag). Fastify validates requests and
// serialises responses from it, and @fastify/swagger builds the OpenAPI document from the same
// objects, so the document cannot drift from what the server does. The caller is resolved before
// the body is read, so that nobody without credentials can make the server read a body.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type, type TSchema } from '@sinclair/typebox'
import { BerthError } from '../../lib/errors.js'
import type { Caller } from '../../auth/identity.js'
import type { Security } from '../security.js'
import { leaveBodyUnread } from '../errors.js'
import { apiCaller, checkInput } from './context.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Who calls an /api/v2.0 route, resolved before its body is read; null elsewhere. */
    caller: Caller | null
  }
}

export const API = '/api/v2.0'

export const ErrorsBody = Type.Object(
  { errors: Type.Array(Type.Object({ code: Type.String(), message: Type.String() })) },
  { description: "Harbor's error body" },
)

/** The usual list parameters; `q` and `sort` are checked against each resource's allowlist. */
export const ListQueryParams = {
  page: Type.Optional(Type.Integer({ minimum: 1, default: 1, description: 'page number, from 1' })),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10, description: 'items per page (at most 100)' })),
  q: Type.Optional(Type.String({ description: 'filter: k=v, k=~v (substring), k=[a~b] (range), k={a b} (any of), comma-separated' })),
  sort: Type.Optional(Type.String({ description: 'comma-separated keys; a leading - sorts descending' })),
}

/** The largest JSON body a route accepts unless its spec says otherwise. */
export const DEFAULT_BODY_LIMIT = 64 << 10

export interface RouteSpec {
  summary: string
  tag: string
  /** Whether callers without credentials get an answer (public listings, self-registration); otherwise they get 401 before any body is read. */
  anonymous?: boolean
  /** Largest request body in bytes; DEFAULT_BODY_LIMIT when absent. */
  bodyLimit?: number
  params?: TSchema
  querystring?: TSchema
  body?: TSchema
  /**
   * A body clients may leave out, which the handler checks itself (the router does not validate
   * it): the OpenAPI document shows it as an optional requestBody.
   */
  optionalBody?: TSchema
  /** Success responses by status; an empty object schema documents a response without body. */
  response: Record<number, TSchema>
}

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
export type ApiHandler = (req: FastifyRequest, reply: FastifyReply, caller: Caller) => Promise<unknown>

/** No body: the response carries only headers. */
export const Empty = Type.Null({ description: 'no body' })

/** Where a route's optional body waits for the OpenAPI document; Fastify ignores the key, and @fastify/swagger copies `x-` keys into the operation. */
const OPTIONAL_BODY = 'x-optional-body'

type DocumentSchema = Record<string, unknown> | undefined

/** For @fastify/swagger's `transform`: a route's optional body is documented as its body. */
export function documentedSchema(schema: DocumentSchema): DocumentSchema {
  const optional = schema?.[OPTIONAL_BODY]
  return optional === undefined ? schema : { ...schema, body: optional }
}

/** For @fastify/swagger's `transformObject`: the requestBody of a route with an optional body is not required. */
export function optionalBodiesDocumented<T extends { paths?: object }>(doc: T): T {
  for (const operations of Object.values(doc.paths ?? {}) as (object | undefined)[]) {
    for (const op of Object.values(operations ?? {}) as unknown[]) {
      if (op === null || typeof op !== 'object' || !(OPTIONAL_BODY in op)) continue
      const o = op as Record<string, unknown> & { requestBody?: { required?: boolean } }
      delete o[OPTIONAL_BODY]
      if (o.requestBody !== undefined) o.requestBody.required = false
    }
  }
  return doc
}

/** Declares API routes on `app` with the caller resolved for each request. */
export function apiRouter(app: FastifyInstance, sec: Security) {
  if (!app.hasRequestDecorator('caller')) app.decorateRequest('caller', null)
  return function route(method: Method, path: string, spec: RouteSpec, handle: ApiHandler): void {
    const response: Record<string, TSchema> = { ...spec.response, '4xx': ErrorsBody, '5xx': ErrorsBody }
    app.route({
      method,
      url: `${API}${path}`,
      bodyLimit: spec.bodyLimit ?? DEFAULT_BODY_LIMIT,
      schema: {
        summary: spec.summary,
        tags: [spec.tag],
        ...(spec.params !== undefined ? { params: spec.params } : {}),
        ...(spec.querystring !== undefined ? { querystring: spec.querystring } : {}),
        ...(spec.body !== undefined ? { body: spec.body } : {}),
        ...(spec.optionalBody !== undefined ? { [OPTIONAL_BODY]: spec.optionalBody } : {}),
        response,
      },
      // Runs before fastify reads the body: bad path and query input, wrong credentials, and no
      // credentials where a caller is needed, are refused without reading it.
      onRequest: async (req, reply) => {
        try {
          checkInput(req)
          const caller = await apiCaller(sec, req, reply)
          if (caller.kind === 'anonymous' && spec.anonymous !== true) throw new BerthError('UNAUTHORIZED', 'authentication required')
          req.caller = caller
        } catch (err) {
          leaveBodyUnread(req)
          throw err
        }
      },
      handler: async (req, reply) => {
        // The body is read now: it is checked in its turn.
        checkInput(req)
        return handle(req, reply, req.caller!)
      },
    })
  }
}

export type Route = ReturnType<typeof apiRouter>
