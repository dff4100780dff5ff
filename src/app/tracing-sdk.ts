// The OpenTelemetry SDK side of tracing: the tracer provider, its sampler, the batch processor
// and the OTLP/HTTP exporter, registered as the process's global provider together with W3C
// trace-context propagation and an AsyncLocalStorage context manager. Imported only by
// tracing.ts, and only when tracing.enabled: nothing here is loaded otherwise.
import { hostname } from 'node:os'
import { randomUUID } from 'node:crypto'
import { context, diag, propagation, trace, DiagLogLevel } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources'
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions'
import type { Logger } from '../lib/logger.js'

export interface SdkOptions {
  endpoint: string
  sampleRate: number
  serviceName: string
  serviceVersion: string
  headers: Record<string, string>
  log: Logger
}

export interface InstalledTracing {
  flush(): Promise<void>
  shutdown(): Promise<void>
}

/**
 * Spans wait in a bounded queue (2,048; the newest are dropped past it, as the SDK does) and
 * leave in batches of 512 at most every 5 s (OTEL_BSP_SCHEDULE_DELAY and the other OTEL_BSP_*
 * variables change that), so a slow or absent receiver costs memory up to the queue, never more;
 * attribute values are cut at 4 KiB.
 */
export function installTracing(o: SdkOptions): InstalledTracing {
  // The SDK reports its own trouble (a receiver that refuses or cannot be reached) through diag.
  diag.setLogger(
    {
      error: (message, ...args) => o.log.warn({ detail: [message, ...args.map(String)].join(' ') }, 'tracing export trouble'),
      warn: (message, ...args) => o.log.warn({ detail: [message, ...args.map(String)].join(' ') }, 'tracing export trouble'),
      info: () => {},
      debug: () => {},
      verbose: () => {},
    },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  )
  const contextManager = new AsyncLocalStorageContextManager().enable()
  context.setGlobalContextManager(contextManager)
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
  const exporter = new OTLPTraceExporter({ url: o.endpoint, headers: o.headers, timeoutMillis: 10_000 })
  const provider = new BasicTracerProvider({
    resource: defaultResource().merge(
      resourceFromAttributes({
        [ATTR_SERVICE_NAME]: o.serviceName,
        [ATTR_SERVICE_VERSION]: o.serviceVersion,
        // Incubating names, written out: which node of a cluster made a span.
        'service.instance.id': randomUUID(),
        'host.name': hostname(),
        'process.pid': process.pid,
      }),
    ),
    // A request that brings a traceparent follows its caller's decision; new traces are kept at sample_rate.
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(o.sampleRate) }),
    spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: 2048, maxExportBatchSize: 512 })],
    // A user agent or a statement with a long IN list stays a few KiB.
    spanLimits: { attributeValueLengthLimit: 4096 },
  })
  trace.setGlobalTracerProvider(provider)
  return {
    flush: () => provider.forceFlush(),
    shutdown: async () => {
      try {
        await provider.shutdown()
      } finally {
        trace.disable()
        propagation.disable()
        context.disable()
        contextManager.disable()
        diag.disable()
      }
    },
  }
}
