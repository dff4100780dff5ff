// Spans through the OpenTelemetry API only. Until app/ installs the SDK (tracing.enabled) the
// API answers every call with a no-op, so nothing here costs more than a function call; the
// wrappers that would add work per query or command (database, storage, Redis) are installed
// only when tracing is on.
import { context, propagation, trace, ROOT_CONTEXT, SpanKind, SpanStatusCode, type Attributes, type Context, type Span } from '@opentelemetry/api'

export { SpanKind, SpanStatusCode, type Attributes, type Context, type Span }

/**
 * The attribute names Berth's spans use: OpenTelemetry's stable semantic conventions (the
 * tracing test checks them against @opentelemetry/semantic-conventions, which only the SDK
 * side loads), and Berth's own under `berth.`.
 */
export const ATTR = {
  HTTP_REQUEST_METHOD: 'http.request.method',
  HTTP_RESPONSE_STATUS_CODE: 'http.response.status_code',
  HTTP_ROUTE: 'http.route',
  URL_PATH: 'url.path',
  URL_SCHEME: 'url.scheme',
  URL_FULL: 'url.full',
  SERVER_ADDRESS: 'server.address',
  SERVER_PORT: 'server.port',
  CLIENT_ADDRESS: 'client.address',
  USER_AGENT_ORIGINAL: 'user_agent.original',
  NETWORK_PROTOCOL_VERSION: 'network.protocol.version',
  ERROR_TYPE: 'error.type',
  DB_SYSTEM_NAME: 'db.system.name',
  DB_QUERY_TEXT: 'db.query.text',
  DB_OPERATION_NAME: 'db.operation.name',
  DB_COLLECTION_NAME: 'db.collection.name',
  STORAGE_DRIVER: 'berth.storage.driver',
  STORAGE_PATH: 'berth.storage.path',
  STORAGE_TARGET: 'berth.storage.target',
  STORAGE_COUNT: 'berth.storage.count',
  JOB_ID: 'berth.job.id',
  JOB_TYPE: 'berth.job.type',
  JOB_ATTEMPT: 'berth.job.attempt',
} as const

/** The instrumentation scope every Berth span is made under. */
export const TRACER_NAME = 'berth'

function tracer() {
  return trace.getTracer(TRACER_NAME)
}

/**
 * Whether the current context holds a recording span. Database, storage and Redis spans are
 * made only then: inside a sampled request or job, never as traces of their own (the job
 * workers' polling would otherwise be a trace a second).
 */
export function inTrace(): boolean {
  return trace.getSpan(context.active())?.isRecording() === true
}

export interface SpanOptions {
  kind?: SpanKind
  attributes?: Attributes
  /** The parent; by default the current context. */
  parent?: Context
  /** When it began (ms since the epoch), for a span made after the fact; by default now. */
  startTime?: number
}

/** Starts a span (not made current): the caller ends it. */
export function startSpan(name: string, o: SpanOptions = {}): Span {
  return tracer().startSpan(
    name,
    { kind: o.kind ?? SpanKind.INTERNAL, ...(o.attributes !== undefined ? { attributes: o.attributes } : {}), ...(o.startTime !== undefined ? { startTime: o.startTime } : {}) },
    o.parent ?? context.active(),
  )
}

/** Marks a span failed with `err` (its type and message; never a request's values). */
export function failSpan(span: Span, err: unknown): void {
  span.recordException(err instanceof Error ? err : String(err))
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) })
}

/** Runs `fn` with `span` current, ending the span when `fn` settles (failed when it throws). */
export async function withSpan<T>(span: Span, fn: () => Promise<T>): Promise<T> {
  try {
    return await context.with(trace.setSpan(context.active(), span), fn)
  } catch (err) {
    failSpan(span, err)
    throw err
  } finally {
    span.end()
  }
}

/** Runs `fn` in a new span, a child of the current one (or of `o.parent`). */
export function inSpan<T>(name: string, o: SpanOptions, fn: () => Promise<T>): Promise<T> {
  return withSpan(startSpan(name, o), fn)
}

/** Runs `fn` with `ctx` as the current context (a synchronous call, e.g. the rest of a request's hooks). */
export function runIn<T>(ctx: Context, fn: () => T): T {
  return context.with(ctx, fn)
}

/** Runs `fn` outside any trace (housekeeping that would only clutter the trace it started in). */
export function untraced<T>(fn: () => T): T {
  return context.with(ROOT_CONTEXT, fn)
}

/** The context a W3C `traceparent` (and `tracestate`) header describe, as a root when they are absent or malformed. */
export function extractContext(headers: Record<string, string | string[] | undefined>): Context {
  return propagation.extract(ROOT_CONTEXT, headers)
}

/** Adds `traceparent` (and `tracestate`) for the current span (or `ctx`) to outgoing headers; nothing when not tracing. */
export function injectContext(headers: Record<string, string>, ctx: Context = context.active()): void {
  propagation.inject(ctx, headers)
}

/** The W3C traceparent of the current span, to resume its trace later (a job); null when not tracing. */
export function currentTraceParent(): string | null {
  const carrier: Record<string, string> = {}
  propagation.inject(context.active(), carrier)
  return carrier.traceparent ?? null
}

/** The context a stored traceparent continues; the root context for null. */
export function contextOfTraceParent(traceParent: string | null): Context {
  return traceParent === null ? ROOT_CONTEXT : propagation.extract(ROOT_CONTEXT, { traceparent: traceParent })
}

/** The context with `span` current. */
export function contextWith(span: Span, parent: Context = context.active()): Context {
  return trace.setSpan(parent, span)
}

/**
 * Names the current request's span after the route that took it, where the router only knows a
 * wildcard (the /v2/ API: repository names hold slashes).
 */
export function nameRequestSpan(method: string, route: string): void {
  const span = trace.getSpan(context.active())
  if (span?.isRecording() !== true) return
  span.updateName(`${method} ${route}`)
  span.setAttribute(ATTR.HTTP_ROUTE, route)
}
