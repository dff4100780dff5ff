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
})
