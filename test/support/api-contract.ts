// Checks every /api/v2.0 answer of a test Berth against the OpenAPI document the server
// publishes: a body that does not match its documented schema turns the answer into a 500
// (so the test that caused it fails) and is remembered for the contract test.
import { Ajv, type ValidateFunction } from 'ajv'
import type { FastifyInstance } from 'fastify'

interface Operation {
  responses?: Record<string, { content?: Record<string, { schema?: object }> }>
}

export interface Violation {
  method: string
  url: string
  status: number
  errors: string
}

/** A validator for one response: by documented status, else by 4xx/5xx class. */
export class ApiContract {
  private readonly ajv = new Ajv({ strict: false, allErrors: true })
  private readonly cache = new Map<string, ValidateFunction | null>()
  readonly violations: Violation[] = []

  private readonly doc: { paths: Record<string, Record<string, Operation>> }

  constructor(doc: object) {
    this.doc = doc as { paths: Record<string, Record<string, Operation>> }
  }

  /** Whether the document has this route (`url` as fastify writes it, with :params). */
  documents(method: string, url: string): boolean {
    return this.doc.paths[openapiPath(url)]?.[method.toLowerCase()] !== undefined
  }

  /** Problems with a body for a route and status, or null when it matches (or the route declares no JSON body). */
  check(method: string, url: string, status: number, body: string): string | null {
    const key = `${method} ${url} ${status}`
    let validate = this.cache.get(key)
    if (validate === undefined) {
      const responses = this.doc.paths[openapiPath(url)]?.[method.toLowerCase()]?.responses ?? {}
      const r = responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses[`${String(status)[0]}xx`] ?? responses.default
      const schema = r?.content?.['application/json']?.schema
      validate = schema === undefined ? null : this.ajv.compile(schema)
      this.cache.set(key, validate)
      if (r === undefined) return `status ${status} is not documented`
    }
    if (validate === null) return body === '' || body === 'null' ? null : 'a body was sent where none is documented'
    let parsed: unknown
    try {
      parsed = JSON.parse(body)
    } catch {
      return 'the body is not JSON'
    }
    return validate(parsed) ? null : this.ajv.errorsText(validate.errors)
  }
}

function openapiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')
}

/** Validates every /api/v2.0 answer of `app` against its own OpenAPI document. */
export function enforceApiContract(app: FastifyInstance): ApiContract {
  let contract: ApiContract | undefined
  app.addHook('onSend', async (req, reply, payload) => {
    const url = req.routeOptions.url
    // HEAD answers carry no body; non-JSON answers (ping's text) have no JSON schema to meet.
    const type = String(reply.getHeader('content-type') ?? 'application/json')
    if (req.method === 'HEAD' || !type.startsWith('application/json')) return payload
    if (url === undefined || !url.startsWith('/api/v2.0/') || url.startsWith('/api/v2.0/docs') || url === '/api/v2.0/openapi.json') return payload
    contract ??= new ApiContract(app.swagger() as never)
    const body = typeof payload === 'string' ? payload : payload === null || payload === undefined ? '' : Buffer.isBuffer(payload) ? payload.toString('utf8') : null
    if (body === null) return payload
    const problem = contract.check(req.method, url, reply.statusCode, body)
    if (problem === null) return payload
    contract.violations.push({ method: req.method, url, status: reply.statusCode, errors: problem })
    reply.code(500)
    return JSON.stringify({ errors: [{ code: 'CONTRACT_VIOLATION', message: `${req.method} ${url} ${reply.statusCode}: ${problem}` }] })
  })
  return {
    get violations() {
      return contract?.violations ?? []
    },
  } as ApiContract
}
