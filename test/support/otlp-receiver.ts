// An OTLP/HTTP traces receiver on loopback for tests: accepts what an OpenTelemetry exporter
// POSTs to /v1/traces as JSON (ExportTraceServiceRequest in OTLP's JSON encoding: ids in hex,
// times as decimal nanoseconds) and keeps the spans, flattened, with their resource's attributes.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number; arrayValue?: { values?: AnyValue[] } }
type KeyValue = { key: string; value: AnyValue }

/** One exported span, as the receiver keeps it. */
export interface ReceivedSpan {
  traceId: string
  spanId: string
  /** '' for a root span. */
  parentSpanId: string
  name: string
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number
  attributes: Record<string, unknown>
  /** OTLP's status code: 0 unset, 1 ok, 2 error. */
  status: number
  /** service.name of the resource that made it. */
  service: string
  /** service.instance.id of the process that made it. */
  instance: string
  startNs: bigint
  endNs: bigint
}

export const SPAN_KIND = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const

function valueOf(v: AnyValue): unknown {
  if (v.stringValue !== undefined) return v.stringValue
  if (v.intValue !== undefined) return Number(v.intValue)
  if (v.boolValue !== undefined) return v.boolValue
  if (v.doubleValue !== undefined) return v.doubleValue
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(valueOf)
  return undefined
}

function attributesOf(list: KeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, valueOf(kv.value)]))
}

/** Spans kept at most: a test that makes more has a bug (a trace a second, say). */
const MAX_SPANS = 50_000
const MAX_BODY = 32 << 20

export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = []
  /** Export requests received (any path), with their headers. */
  readonly requests: { path: string; contentType: string; headers: Record<string, string | string[] | undefined> }[] = []
  private server: Server | undefined
  port = 0

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = []
      let size = 0
      req.on('data', (c: Buffer) => {
        size += c.length
        if (size <= MAX_BODY) chunks.push(c)
      })
      req.on('end', () => {
        this.requests.push({ path: req.url ?? '', contentType: req.headers['content-type'] ?? '', headers: req.headers })
        if (req.method !== 'POST' || req.url !== '/v1/traces' || size > MAX_BODY || !(req.headers['content-type'] ?? '').startsWith('application/json')) {
          res.writeHead(400, { 'content-type': 'application/json' }).end('{"code":3,"message":"expected OTLP JSON on POST /v1/traces"}')
          return
        }
        try {
          this.take(JSON.parse(Buffer.concat(chunks).toString('utf8')))
        } catch (err) {
          res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 3, message: (err as Error).message }))
          return
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
      })
    })
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r))
    this.port = (this.server.address() as AddressInfo).port
    return this
  }

  /** The traces endpoint to configure (tracing.endpoint). */
  get url(): string {
    return `http://127.0.0.1:${this.port}/v1/traces`
  }

  private take(doc: { resourceSpans?: { resource?: { attributes?: KeyValue[] }; scopeSpans?: { spans?: Record<string, any>[] }[] }[] }): void {
    for (const rs of doc.resourceSpans ?? []) {
      const resource = attributesOf(rs.resource?.attributes)
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          if (this.spans.length >= MAX_SPANS) throw new Error('too many spans')
          for (const id of [s.traceId, s.spanId]) if (typeof id !== 'string' || !/^[0-9a-f]+$/.test(id)) throw new Error(`not a hex id: ${String(id)}`)
          this.spans.push({
            traceId: s.traceId,
            spanId: s.spanId,
            parentSpanId: s.parentSpanId ?? '',
            name: s.name,
            kind: s.kind ?? 0,
            attributes: attributesOf(s.attributes),
            status: s.status?.code ?? 0,
            service: String(resource['service.name'] ?? ''),
            instance: String(resource['service.instance.id'] ?? ''),
            startNs: BigInt(s.startTimeUnixNano),
            endNs: BigInt(s.endTimeUnixNano),
          })
        }
      }
    }
  }

  /** The spans of one trace. */
  trace(traceId: string): ReceivedSpan[] {
    return this.spans.filter((s) => s.traceId === traceId)
  }

  async stop(): Promise<void> {
    const server = this.server
    this.server = undefined
    if (server === undefined) return
    server.closeAllConnections()
    await new Promise<void>((r) => server.close(() => r()))
  }
}
