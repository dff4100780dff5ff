// Metrics of a real `berth serve` process, alone and with --workers 2 (the primary answers with
// every worker's metrics, told apart by the `worker` label, and the shared gauges once), and the
// start-up refusal of bad metrics settings naming the key.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, describe, it } from 'node:test'
import { freePort, startBerth, type BerthProcess } from '../support/berth-process.js'
import { scrape } from '../support/prometheus.js'
import { waitUntil } from '../support/until.js'

const cli = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'src', 'app', 'cli.js')

describe('metrics of a berth process', { timeout: 120_000 }, () => {
  const started: BerthProcess[] = []
  after(async () => {
    for (const b of started) await b.stop()
  })

  it('one process: the metrics port answers, and closes when the process stops', async () => {
    const port = await freePort()
    const b = await startBerth({ env: { BERTH_METRICS_ENABLED: 'true', BERTH_METRICS_PORT: String(port) } })
    started.push(b)
    assert.equal((await fetch(`${b.url}/v2/`, { headers: { authorization: b.authorization } })).status, 200)
    const m = await scrape(`http://127.0.0.1:${port}/metrics`)
    assert.ok(m.sum('registry_http_requests_total', { handler: 'base', method: 'GET', code: '200' }) >= 1)
    assert.equal(m.find('process_resident_memory_bytes').length, 1)
    assert.equal(m.find('process_resident_memory_bytes')[0]!.labels.worker, undefined)
    assert.match(b.logs(), /"metrics":"127\.0\.0\.1:\d+"/)
    await b.stop()
    await assert.rejects(fetch(`http://127.0.0.1:${port}/metrics`))
  })

  it('--workers 2: the primary serves every worker\'s metrics, by worker, and the shared gauges once', async () => {
    const port = await freePort()
    const b = await startBerth({ args: ['--workers', '2'], env: { BERTH_METRICS_ENABLED: 'true', BERTH_METRICS_PORT: String(port) } })
    started.push(b)
    const url = `http://127.0.0.1:${port}/metrics`
    // Both workers are up once both answer the primary with their own process metrics.
    await waitUntil('both workers report', async () => {
      const m = await scrape(url).catch(() => null)
      return m !== null && new Set(m.find('process_resident_memory_bytes').map((s) => s.labels.worker)).size === 2
    }, { timeoutMs: 30_000, everyMs: 200 })
    for (let i = 0; i < 20; i++) assert.equal((await fetch(`${b.url}/v2/`, { headers: { authorization: b.authorization, connection: 'close' } })).status, 200)
    const m = await scrape(url)
    const perWorker = m.find('registry_http_requests_total', { handler: 'base', method: 'GET', code: '200' })
    assert.ok(perWorker.every((s) => s.labels.worker === '1' || s.labels.worker === '2'), JSON.stringify(perWorker))
    assert.ok(m.sum('registry_http_requests_total', { handler: 'base', method: 'GET', code: '200' }) >= 20)
    // What the cluster looks like is the same in both workers: shown once, without a worker label.
    assert.deepEqual(m.find('harbor_project_total', { public: 'true' }).map((s) => [s.labels.worker, s.value]), [[undefined, 1]])
    assert.deepEqual(m.find('harbor_health').map((s) => s.value), [1])
  })

  for (const [env, key] of [
    [{ BERTH_METRICS_PATH: 'metrics' }, 'metrics.path'],
    [{ BERTH_METRICS_PORT: '65536' }, 'metrics.port'],
    [{ BERTH_METRICS_ENABLED: 'true', BERTH_METRICS_PORT: '5099', BERTH_HTTP_PORT: '5099' }, 'metrics.port'],
  ] as const) {
    it(`refuses to start on bad ${key} (${Object.values(env).join(' ')}), naming it`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'berth-metrics-config-'))
      try {
        const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BERTH_')))
        const r = spawnSync(process.execPath, [cli, 'serve'], { env: { ...clean, BERTH_DATA_DIR: dir, BERTH_HTTP_HOST: '127.0.0.1', ...env }, encoding: 'utf8', timeout: 20_000 })
        assert.notEqual(r.status, 0)
        assert.match(r.stderr, new RegExp(`config key ${key.replace('.', '\\.')}`))
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })
  }
})
