// The deployment examples stay true to the program: every BERTH_* variable they set is a real
// setting, and the YAML files parse. (Images and charts cannot be built on this machine: no
// Docker engine and no helm; this is what can be checked here.)
import assert from 'node:assert/strict'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { parse } from 'yaml'
import { Kind, type TSchema } from '@sinclair/typebox'
import { ConfigSchema, envName } from '../src/app/config.js'
import { Metrics } from '../src/lib/metrics.js'

const root = new URL('../../', import.meta.url).pathname

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    return statSync(p).isDirectory() ? files(p) : [p]
  })
}

function settingNames(schema: TSchema = ConfigSchema, path: string[] = []): string[] {
  if (schema[Kind] === 'Object') return Object.entries(schema.properties as Record<string, TSchema>).flatMap(([k, s]) => settingNames(s, [...path, k]))
  return [envName(path)]
}

describe('deployment examples', () => {
  const deployFiles = [...files(join(root, 'deploy')), join(root, 'Dockerfile')]

  it('set only BERTH_* variables that are settings', () => {
    const known = new Set([...settingNames(), 'BERTH_CONFIG'])
    const unknown: string[] = []
    for (const f of deployFiles) {
      for (const m of readFileSync(f, 'utf8').matchAll(/BERTH_[A-Z0-9_]+/g)) if (!known.has(m[0])) unknown.push(`${f.slice(root.length)}: ${m[0]}`)
    }
    assert.deepEqual(unknown, [])
  })

  it('the compose file and chart values parse, with three nodes and the shared services', () => {
    const compose = parse(readFileSync(join(root, 'deploy/compose/docker-compose.yml'), 'utf8'))
    for (const s of ['lb', 'berth1', 'berth2', 'berth3', 'postgres', 'redis', 'minio']) assert.ok(compose.services[s], s)
    assert.equal(compose.services.berth1.environment.BERTH_STORAGE_DRIVER, 's3')
    const values = parse(readFileSync(join(root, 'deploy/helm/berth/values.yaml'), 'utf8'))
    assert.ok(values.replicaCount >= 2)
    assert.ok(values.podDisruptionBudget.minAvailable >= 1)
    const chart = parse(readFileSync(join(root, 'deploy/helm/berth/Chart.yaml'), 'utf8'))
    assert.equal(chart.name, 'berth')
  })

  it('the chart probes /livez for liveness and /readyz for readiness', () => {
    const deployment = readFileSync(join(root, 'deploy/helm/berth/templates/deployment.yaml'), 'utf8')
    assert.match(deployment, /livenessProbe:\s+httpGet: \{ path: \/livez/)
    assert.match(deployment, /readinessProbe:\s+httpGet: \{ path: \/readyz/)
  })

  it('the Grafana dashboard parses and asks only for metrics Berth exposes', async () => {
    const dashboard = JSON.parse(readFileSync(join(root, 'deploy/grafana/berth.json'), 'utf8'))
    assert.equal(dashboard.uid, 'berth-overview')
    const m = new Metrics()
    const exposed = new Set<string>()
    for (const metric of [...(await m.perProcess.getMetricsAsJSON()), ...(await m.shared.getMetricsAsJSON())]) {
      exposed.add(metric.name)
      for (const suffix of ['_bucket', '_count', '_sum']) exposed.add(`${metric.name}${suffix}`)
    }
    const exprs: string[] = dashboard.panels.flatMap((p: { targets?: { expr: string }[] }) => (p.targets ?? []).map((t) => t.expr))
    assert.ok(exprs.length >= 20)
    const functions = new Set(['sum', 'max', 'min', 'rate', 'increase', 'histogram_quantile', 'topk', 'by', 'le', 'label_values'])
    const unknown = exprs.flatMap((e) => [...e.replace(/\{[^}]*\}|\[[^\]]*\]|"[^"]*"/g, '').matchAll(/[a-z_][a-z0-9_]*/g)].map((x) => x[0])).filter((n) => !functions.has(n) && !exposed.has(n) && !/^(operation|code|handler|method|driver|action|type|status|kind|result|reason|scope|instance|worker|project_name)$/.test(n))
    assert.deepEqual([...new Set(unknown)], [])
    const panels: string[] = dashboard.panels.map((p: { title: string }) => p.title.toLowerCase())
    for (const topic of ['requests', 'latency', 'storage', 'queue', 'quota', 'memory']) assert.ok(panels.some((t) => t.includes(topic)), topic)
  })

  it('Prometheus can find every node: compose scrape config, chart annotations and ServiceMonitor', () => {
    const compose = parse(readFileSync(join(root, 'deploy/compose/docker-compose.yml'), 'utf8'))
    assert.equal(compose.services.berth1.environment.BERTH_METRICS_ENABLED, 'true')
    const port = compose.services.berth1.environment.BERTH_METRICS_PORT
    assert.ok(compose.services.prometheus)
    const scrape = parse(readFileSync(join(root, 'deploy/compose/prometheus.yml'), 'utf8'))
    const targets = scrape.scrape_configs.flatMap((c: { static_configs: { targets: string[] }[] }) => c.static_configs.flatMap((s) => s.targets))
    assert.deepEqual(targets.sort(), ['berth1', 'berth2', 'berth3'].map((n) => `${n}:${port}`))
    const values = parse(readFileSync(join(root, 'deploy/helm/berth/values.yaml'), 'utf8'))
    assert.equal(values.metrics.enabled, false)
    assert.equal(values.metrics.serviceMonitor.enabled, false)
    const deployment = readFileSync(join(root, 'deploy/helm/berth/templates/deployment.yaml'), 'utf8')
    assert.match(deployment, /prometheus\.io\/scrape: "true"/)
    assert.match(deployment, /BERTH_METRICS_ENABLED/)
    assert.match(deployment, /name: metrics, containerPort: \{\{ \.Values\.metrics\.port \}\}/)
    const monitor = readFileSync(join(root, 'deploy/helm/berth/templates/servicemonitor.yaml'), 'utf8')
    assert.match(monitor, /^\{\{- if and \.Values\.metrics\.enabled \.Values\.metrics\.serviceMonitor\.enabled \}\}/)
    assert.match(monitor, /kind: ServiceMonitor/)
    assert.match(monitor, /- port: metrics/)
    assert.match(readFileSync(join(root, 'deploy/helm/berth/templates/service.yaml'), 'utf8'), /name: metrics, port: \{\{ \.Values\.metrics\.port \}\}, targetPort: metrics/)
  })
})
