// Request metrics and the metrics listener. Every request is counted under Harbor core's names
// with a bounded `operation` (the route template; v2_manifest and the like on /v2/, as Harbor
// names them); /v2/ requests also under the distribution registry's names with its `handler`.
// The listener is a plain node:http server on a port of its own, outside the registry's
// authentication, answering GET on one path in the Prometheus text format.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Metrics, RegistryHandler } from '../lib/metrics.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The /v2/ handler that took the request (set by the /v2/ dispatcher); null elsewhere. */
    registryHandler: RegistryHandler | null
  }
}

/** Harbor core's operation ids of the /v2/ handlers. */
const CORE_V2: Record<RegistryHandler, string> = {
  base: 'v2_others',
  catalog: 'v2_catalog',
  tags: 'v2_tags',
  manifest: 'v2_manifest',
  blob: 'v2_blob',
  blob_upload: 'v2_blob_upload',
  blob_upload_chunk: 'v2_blob_upload',
  referrers: 'v2_referrers',
}

/** The operation label: bounded by the routes declared, never a path with names in it. */
function operationOf(req: FastifyRequest): string {
  const url = req.routeOptions.url
  if (url === '/v2/*' || url === '/v2') return CORE_V2[req.registryHandler ?? 'base']
  return url ?? 'unknown'
}

/** Counts and times every request of `app` (call before the routes are registered). */
export function instrumentRequests(app: FastifyInstance, m: Metrics): void {
  if (!app.hasRequestDecorator('registryHandler')) app.decorateRequest('registryHandler', null)
  app.addHook('onRequest', async (req, reply) => {
    m.coreInflight.inc()
    const start = process.hrtime.bigint()
    // 'close' comes once for every response, finished or cut off by the client.
    reply.raw.once('close', () => {
      m.coreInflight.dec()
      const seconds = Number(process.hrtime.bigint() - start) / 1e9
      const method = req.method
      const code = String(reply.raw.statusCode)
      const operation = operationOf(req)
      m.coreRequests.inc({ method, code, operation })
      m.coreDuration.observe({ method, operation }, seconds)
      const handler = req.registryHandler ?? null
      if (handler !== null) {
        m.registryRequests.inc({ code, handler, method })
        m.registryDuration.observe({ handler, method }, seconds)
      }
    })
  })
}

export interface MetricsListener {
  /** host:port it listens on. */
  address: string
  port: number
  close(): Promise<void>
}

/**
 * Listens on host:port and answers GET `path` with `render()`; anything else 404 (405 for other
 * methods on the path). Rejects with the listen error (EADDRINUSE...) for the caller to name.
 */
export async function listenMetrics(o: { host: string; port: number; path: string; render(): Promise<{ contentType: string; body: string }>; onError?(err: unknown): void }): Promise<MetricsListener> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]
    if (path !== o.path) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n')
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n')
      return
    }
    o.render().then(
      ({ contentType, body }) => {
        res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' })
        res.end(req.method === 'HEAD' ? undefined : body)
      },
      (err: unknown) => {
        o.onError?.(err)
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics unavailable\n')
      },
    )
  })
  server.keepAliveTimeout = 65_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host: o.host, port: o.port }, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  return {
    address: `${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
