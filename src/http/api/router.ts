// How /api/v2.0 routes are declared: one spec per route (path parameters, query, body and
// responses as TypeBox schemas, plus a summary and a tag). Fastify validates requests and
// serialises responses from it, and @fastify/swagger builds the OpenAPI document from the same
// objects, so the document cannot drift from what the server does.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type, type TSchema } from '@sinclair/typebox'
import type { Caller } from '../../auth/identity.js'
import type { Security } from '../security.js'
import { apiCaller, checkInput } from './context.js'

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

export interface RouteSpec {
  summary: string
  tag: string
  params?: TSchema
  querystring?: TSchema
  body?: TSchema
  /** Success responses by status; an empty object schema documents a response without body. */
  response: Record<number, TSchema>
}

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
export type ApiHandler = (req: FastifyRequest, reply: FastifyReply, caller: Caller) => Promise<unknown>

/** No body: the response carries only headers. */
export const Empty = Type.Null({ description: 'no body' })

/** Declares API routes on `app` with the caller resolved for each request. */
export function apiRouter(app: FastifyInstance, sec: Security) {
  return function route(method: Method, path: string, spec: RouteSpec, handle: ApiHandler): void {
    const response: Record<string, TSchema> = { ...spec.response, '4xx': ErrorsBody, '5xx': ErrorsBody }
    app.route({
      method,
      url: `${API}${path}`,
      schema: {
        summary: spec.summary,
        tags: [spec.tag],
        ...(spec.params !== undefined ? { params: spec.params } : {}),
        ...(spec.querystring !== undefined ? { querystring: spec.querystring } : {}),
        ...(spec.body !== undefined ? { body: spec.body } : {}),
        response,
      },
      handler: async (req, reply) => {
        checkInput(req)
        return handle(req, reply, await apiCaller(sec, req, reply))
      },
    })
  }
}

export type Route = ReturnType<typeof apiRouter>
