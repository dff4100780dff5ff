// The composition root: builds the services from configuration and serves them over HTTP.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import cookie from '@fastify/cookie'
import { Ajv } from 'ajv'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler'
import { newId } from '../lib/ids.js'
import { ociRoutes } from '../http/oci/routes.js'
import { RegistryGate } from '../http/oci/registry-gate.js'
import { tokenRoutes } from '../http/token-routes.js'
import { apiRoutes } from '../http/api/routes.js'
import { consoleRoutes } from '../http/console.js'
import { readOnlyGuard } from '../http/read-only.js'
import { API, DEFAULT_BODY_LIMIT, documentedSchema, optionalBodiesDocumented } from '../http/api/router.js'
import { ignoredKeyword } from '../http/api/shapes.js'
import { LazySchemas } from '../http/lazy-schemas.js'
import type { Config } from './config.js'
import { openServices, type Services, type ServicesOptions } from './services.js'
import { JobAdminService } from '../services/system/job-admin-service.js'
import { instrumentRequests, type MetricsListener } from '../http/metrics.js'
import { openMetricsListener } from './metrics-listener.js'
import { VERSION } from '../services/system/system-service.js'
import { createLogger } from '../lib/logger.js'
import { traceRequests } from '../http/request-tracing.js'
import { startTracing, type Tracing } from './tracing.js'

export interface Berth extends Services {
  app: FastifyInstance
  /** Every route registered, as method and URL template (for the API documentation test). */
  routes: { method: string; url: string }[]
  /** Route schemas not compiled yet (they compile on a route's first request); compileAll() for tests. */
  schemas: LazySchemas
  /** From now on /readyz answers 503, so that load balancers stop sending requests here. */
  drain(): void
  /** The metrics listener (metrics.enabled, unless the caller serves the metrics itself). */
  metricsListener?: MetricsListener
  /** OpenTelemetry tracing (tracing.enabled): its flush, and its shutdown when the server closes. */
  tracing: Tracing
}

export interface BerthOptions extends ServicesOptions {
  /** false: do not open the metrics listener (a worker of `serve --workers N`: the primary serves them). */
  metricsListener?: boolean
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** Builds a ready-to-listen Berth: the services (database migrated, `library` present) behind HTTP. */
export async function createBerth(config: Config, o: BerthOptions = {}): Promise<Berth> {
  // Tracing first: the provider must be in place before the first query is made.
  const logger = o.log ?? createLogger(config.log.level)
  const tracing = await startTracing(config.tracing, { log: logger, serviceVersion: VERSION })
  let services: Services
  try {
    services = await openServices(config, { ...o, log: logger })
  } catch (err) {
    await tracing.shutdown()
    throw err
  }
  const { log, security, audit, blobService, manifestService } = services
  const schemas = new LazySchemas()
  const app = Fastify({
    // Response serializers compile on a route's first answer (see lazy-schemas.ts).
    schemaController: { compilersFactory: { buildSerializer: schemas.serializers(SerializerSelector()) } },
    loggerInstance: log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    exposeHeadRoutes: false,
    // Parsed bodies (JSON, forms) are small: API routes that need more say so in their spec;
    // blobs and manifests on /v2/ are streamed by their handlers and never parsed here.
    bodyLimit: DEFAULT_BODY_LIMIT,
    routerOptions: { maxParamLength: 2048 },
    requestIdHeader: false,
    // A refused unknown field is named, so that a client sees which one.
    schemaErrorFormatter: (errors, dataVar) => {
      const e = errors[0]
      const where = `${dataVar}${e?.instancePath ?? ''}`
      const unknown = (e?.params as { additionalProperty?: string } | undefined)?.additionalProperty
      return new Error(e?.keyword === 'additionalProperties' && unknown !== undefined ? `${where} has an unknown field ${JSON.stringify(unknown.slice(0, 64))}` : `${where} ${e?.message ?? 'is invalid'}`)
    },
    // Behind a load balancer: client addresses (audit log, lockouts) and the scheme come from
    // X-Forwarded-* headers, but only from the proxies named here.
    trustProxy: config.http.trust_proxy === '' ? false : config.http.trust_proxy === 'true' ? true : config.http.trust_proxy,

    genReqId: (req) => {
      const given = req.headers['x-request-id']
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : newId()
    },
  })
  // Request validation: unknown body fields are an error, not silently dropped (mass
  // assignment), and body values keep their JSON types (42 is not the string "42"); query
  // strings and path parameters are text, so there types are converted as the schema says.
  // Fields of Harbor's model that Berth ignores are declared and dropped (shapes.ts, IGNORED_KEYWORD).
  const bodies = new Ajv({ removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false, strict: false })
  bodies.addKeyword(ignoredKeyword)
  const urls = new Ajv({ removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false, strict: false })
  app.setValidatorCompiler(schemas.validators(({ schema, httpPart }) => (httpPart === 'body' ? bodies : urls).compile(schema as object)))
  // Before every other hook, so that they run inside the request's span.
  if (tracing.enabled) traceRequests(app)
  // Then, before the rest, so that every request is counted, refused ones included.
  if (services.metrics !== undefined) instrumentRequests(app, services.metrics)
  const routes: Berth['routes'] = []
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) routes.push({ method, url: r.url })
  })
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id)
  })
  // Harbor's read_only setting: writes are refused here, before authentication, on every node
  // within the settings cache's life (at once on those the settings-changed message reaches).
  readOnlyGuard(app, () => services.settings.readOnly())
  // A client that asks before sending its body (Expect: 100-continue, as curl does for large
  // ones) is told to go on only once the request got past onRequest, where /api/v2.0 resolves
  // the caller: a refused client never sends the body at all. Node would otherwise answer
  // 100 Continue as soon as the headers arrive.
  app.server.on('checkContinue', (req, res) => app.server.emit('request', req, res))
  app.addHook('preParsing', async (req, reply, payload) => {
    if (req.headers.expect?.toLowerCase() === '100-continue' && !reply.raw.headersSent) reply.raw.writeContinue()
    return payload
  })
  // One line per request: method, path, status, bytes, duration, request id.
  app.addHook('onResponse', async (req, reply) => {
    const length = reply.getHeader('content-length')
    req.log.info(
      {
        method: req.method,
        path: req.url,
        status: reply.statusCode,
        bytesIn: Number(req.headers['content-length'] ?? 0),
        bytesOut: req.method === 'HEAD' ? 0 : Number(length ?? 0),
        ms: Math.round(reply.elapsedTime * 100) / 100,
        remote: req.ip,
      },
      'request',
    )
  })
  await app.register(cookie)
  // The OpenAPI document is built from the schemas the /api/v2.0 routes are declared with.
  await app.register(swagger, {
    openapi: {
      info: { title: 'Berth management API', version: '2.0', description: "Harbor's /api/v2.0 paths and fields, served by Berth." },
      components: { securitySchemes: { basic: { type: 'http', scheme: 'basic' } } },
      security: [{ basic: [] }],
    },
    transform: ({ schema, url }) => ({
      schema: { ...documentedSchema(schema as Record<string, unknown> | undefined), hide: (schema as { hide?: boolean } | undefined)?.hide === true || !url.startsWith(`${API}/`) || url.startsWith(`${API}/docs`) } as typeof schema,
      url,
    }),
    transformObject: (o) => ('openapiObject' in o ? optionalBodiesDocumented(o.openapiObject) : o.swaggerObject),
  })
  await app.register(swaggerUi, { routePrefix: `${API}/docs` })
  app.get(`${API}/openapi.json`, { schema: { hide: true } }, async () => app.swagger())
  await app.register(ociRoutes, {
    blobs: blobService,
    manifests: manifestService,
    baseUrl: config.external_url,
    maxManifestBytes: config.registry.max_manifest_bytes,
    gate: new RegistryGate(security),
    audit: (e) => audit.record(e),
    pulls: services.pulls,
    pullPolicy: services.pullPolicy,
    proxy: services.proxyCache,
  })
  await app.register(tokenRoutes, security)
  await app.register(apiRoutes, { ...security, users: services.users, projects: services.projects, robots: services.robots, content: services.content, labels: services.labels, immutability: services.immutability, webhooks: services.webhooks, retention: services.retention, system: services.system, quotas: services.quotas, settings: services.settings, jobAdmin: new JobAdminService(services.jobs), replication: services.replication, purgeAudit: services.purgeAudit, gc: services.gc, trustedKeys: services.trustedKeys, scanners: services.scanners, scans: services.scans, vulnerabilityPolicy: services.vulnerabilityPolicy, securityHub: services.securityHub, cveExport: services.cveExport, scanAll: services.scanAll })
  await app.register(consoleRoutes, o.consoleDir !== undefined ? { dir: o.consoleDir } : {})
  // Liveness says only that the process answers; readiness that it can serve: database and
  // storage reachable (migrations ran before the server listened), and not shutting down.
  let draining = false
  app.get('/livez', async () => ({ status: 'ok' }))
  app.get('/readyz', async (_req, reply) => {
    if (draining) return reply.code(503).send({ status: 'draining' })
    // Redis is left out: without it a node serves on its own state, so it stays in rotation.
    const down = (await services.system.health()).filter((c) => c.status !== 'healthy' && c.name !== 'redis')
    if (down.length > 0) return reply.code(503).send({ status: 'unavailable', components: down.map((c) => c.name) })
    return { status: 'ok' }
  })

  let metricsListener: MetricsListener | undefined
  if (services.metrics !== undefined && o.metricsListener !== false) {
    try {
      metricsListener = await openMetricsListener(config, services.metrics.render.bind(services.metrics), (err) => log.error({ err }, 'rendering metrics failed'))
    } catch (err) {
      await app.close().catch(() => {})
      await services.close()
      throw err
    }
  }

  // Periodic work (the purges of abandoned uploads and expired sessions...) runs as scheduled
  // jobs: each slot once across all nodes.
  await services.jobs.schedulePeriodic()
  services.jobs.start()
  await services.replication.start()

  return {
    ...services,
    app,
    routes,
    schemas,
    ...(metricsListener !== undefined ? { metricsListener } : {}),
    drain: () => {
      draining = true
    },
    tracing,
    close: async () => {
      await metricsListener?.close()
      await app.close()
      await services.close()
      // Last, so that the spans of the shutdown itself leave too.
      await tracing.shutdown()
    },
  }
}

