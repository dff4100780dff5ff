// Tracing's switch. With tracing.enabled the OpenTelemetry SDK and the OTLP/HTTP exporter
// (tracing-sdk.ts) are imported, only then, and installed as the process's tracer provider;
// off, they are never loaded and every span call elsewhere is the API's no-op.
import { BerthError } from '../lib/errors.js'
import type { Logger } from '../lib/logger.js'
import type { Config } from './config.js'
import type { InstalledTracing } from './tracing-sdk.js'

export interface Tracing {
  readonly enabled: boolean
  /** Exports the spans ended so far. */
  flush(): Promise<void>
  /** Exports what is left and, for the last user in this process, uninstalls the provider. Idempotent. */
  shutdown(): Promise<void>
}

const OFF: Tracing = { enabled: false, flush: async () => {}, shutdown: async () => {} }

let sdkLoaded = false

/** Whether this process ever imported the tracing SDK (it must not have while tracing is off). */
export function tracingSdkLoaded(): boolean {
  return sdkLoaded
}

/**
 * OpenTelemetry's provider is one per process; several Berths in one process (tests, nothing
 * else) share it when their settings are the same, and the last one to close removes it.
 */
let shared: { settings: string; users: number; installed: Promise<InstalledTracing> } | null = null

/** `a=b,c=d` (tracing.headers) as a header map. */
export function parseHeaders(raw: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const pair of raw.split(',')) {
    const at = pair.indexOf('=')
    if (at <= 0) continue
    out[pair.slice(0, at).trim().toLowerCase()] = pair.slice(at + 1).trim()
  }
  return out
}

export async function startTracing(c: Config['tracing'], o: { log: Logger; serviceVersion: string }): Promise<Tracing> {
  if (!c.enabled) return OFF
  const settings = JSON.stringify(c)
  if (shared !== null && shared.settings !== settings) {
    throw new BerthError('CONFIG_INVALID', 'config key tracing: this process already exports traces with other tracing settings')
  }
  if (shared === null) {
    const installed = import('./tracing-sdk.js').then((sdk) => {
      sdkLoaded = true
      return sdk.installTracing({ endpoint: c.endpoint, sampleRate: c.sample_rate, serviceName: c.service_name, serviceVersion: o.serviceVersion, headers: parseHeaders(c.headers), log: o.log })
    })
    shared = { settings, users: 0, installed }
  }
  const mine = shared
  mine.users++
  const installed = await mine.installed
  o.log.info({ endpoint: c.endpoint, sampleRate: c.sample_rate }, 'tracing on')
  let closed = false
  return {
    enabled: true,
    flush: () => installed.flush(),
    shutdown: async () => {
      if (closed) return
      closed = true
      if (--mine.users > 0) return installed.flush()
      if (shared === mine) shared = null
      await installed.shutdown()
    },
  }
}
