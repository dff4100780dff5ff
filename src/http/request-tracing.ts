// A server span per HTTP request, named `METHOD /route/template`, continuing the caller's trace
// when the request brings a W3C traceparent. Everything the request does after its first hook
// (authentication, the handler, its queries, storage and Redis calls, the jobs it enqueues)
// runs with this span current. Installed only when tracing is on.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ATTR, SpanKind, SpanStatusCode, contextWith, extractContext, runIn, startSpan, type Span } from '../lib/tracing.js'

/** Probes answer load balancers every few seconds: traces of them would only bury the others. */
const UNTRACED = new Set(['/livez', '/readyz'])

export function traceRequests(app: FastifyInstance): void {
  const spans = new WeakMap<FastifyRequest, Span>()
  const end = (req: FastifyRequest, status: number | null) => {
    const span = spans.get(req)
    if (span === undefined) return
    spans.delete(req)
    if (status === null) {
      span.setAttribute(ATTR.ERROR_TYPE, 'aborted')
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'the client went away before the answer' })
    } else {
      span.setAttribute(ATTR.HTTP_RESPONSE_STATUS_CODE, status)
      // A server span fails on 5xx only: a 4xx is the client's mistake, answered correctly.
      if (status >= 500) {
        span.setAttribute(ATTR.ERROR_TYPE, String(status))
        span.setStatus({ code: SpanStatusCode.ERROR })
      }
    }
    span.end()
  }

  // A callback hook: `done` runs the rest of the request (later hooks, the handler) inside the span's context.
  app.addHook('onRequest', (req, _reply, done) => {
    const route = req.routeOptions.url
    if (route !== undefined && UNTRACED.has(route)) return done()
    const parent = extractContext(req.headers)
    const query = req.url.indexOf('?')
    const span = startSpan(route !== undefined ? `${req.method} ${route}` : req.method, {
      kind: SpanKind.SERVER,
      parent,
      attributes: {
        [ATTR.HTTP_REQUEST_METHOD]: req.method,
        [ATTR.URL_PATH]: query === -1 ? req.url : req.url.slice(0, query),
        [ATTR.URL_SCHEME]: req.protocol,
        [ATTR.NETWORK_PROTOCOL_VERSION]: req.raw.httpVersion,
        [ATTR.CLIENT_ADDRESS]: req.ip,
        ...(route !== undefined ? { [ATTR.HTTP_ROUTE]: route } : {}),
        ...(req.hostname !== '' ? { [ATTR.SERVER_ADDRESS]: req.hostname } : {}),
        ...(req.port !== null && req.port !== undefined ? { [ATTR.SERVER_PORT]: Number(req.port) } : {}),
        ...(req.headers['user-agent'] !== undefined ? { [ATTR.USER_AGENT_ORIGINAL]: req.headers['user-agent'] } : {}),
      },
    })
    spans.set(req, span)
    // The request's log lines carry the trace, so that a trace and its logs find each other.
    if (span.isRecording()) req.log = req.log.child({ traceId: span.spanContext().traceId })
    runIn(contextWith(span, parent), done)
  })
  app.addHook('onResponse', async (req, reply) => end(req, reply.statusCode))
  app.addHook('onRequestAbort', async (req) => end(req, null))
}
