// The metrics listener of a node, or of the primary of `serve --workers N`: kept apart from
// server.ts so that the primary loads node:http only, not the whole server.
import { listenMetrics, type MetricsListener } from '../http/metrics.js'
import { BerthError } from '../lib/errors.js'
import type { Config } from './config.js'

/** Opens the metrics listener on http.host:metrics.port; a port that cannot be had is a config error naming metrics.port. */
export async function openMetricsListener(config: Config, render: () => Promise<{ contentType: string; body: string }>, onError?: (err: unknown) => void): Promise<MetricsListener> {
  try {
    return await listenMetrics({ host: config.http.host, port: config.metrics.port, path: config.metrics.path, render, ...(onError !== undefined ? { onError } : {}) })
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'is already in use' : `cannot be listened on: ${(err as Error).message}`
    throw new BerthError('CONFIG_INVALID', `config key metrics.port: ${config.http.host}:${config.metrics.port} ${why}`, { key: 'metrics.port' })
  }
}
