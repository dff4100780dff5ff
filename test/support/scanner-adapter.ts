// A scanner adapter on loopback that speaks Harbor's Pluggable Scanner API v1.2 for tests: its
// metadata (vulnerability, and sbom when asked), POST /scan that really pulls the image from the
// registry URL with the authorization it is given (manifest and every blob, digests checked) and
// refuses the request when the pull fails, and reports served with Refresh-After while "running".
// Configurable: down, slow (n answers of 302 first), error, auth required (Basic, Bearer or
// X-ScannerAdapter-API-Key), canned vulnerabilities per digest, an oversized report.
import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface CannedVulnerability {
  id: string
  package: string
  version: string
  fix_version?: string
  severity: string
  description?: string
  links?: string[]
  preferred_cvss?: { score_v3?: number; vector_v3?: string }
}

export interface ScanSeen {
  registryUrl: string
  authorization: string
  repository: string
  digest: string
  capabilities: unknown
  pulled: boolean
  pullError: string
}

const VULN = 'application/vnd.security.vulnerability.report; version=1.1'
const SBOM = 'application/vnd.security.sbom.report+json; version=1.0'
const ACCEPT = 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json'

export class FakeScannerAdapter {
  /** What each scan request carried and whether its pull worked. */
  readonly scans: ScanSeen[] = []
  /** GETs of reports, by request id. */
  readonly polls = new Map<string, number>()
  /** Findings per manifest digest. */
  vulnerabilities = new Map<string, CannedVulnerability[]>()
  /** Answers 503 to everything. */
  down = false
  /** 302 with Refresh-After this many times before the report. */
  slow = 0
  refreshAfter = 1
  /** Reports fail with this message (500). */
  error = ''
  /** Required credentials: ['Basic', 'user:pw'], ['Bearer', 'tok'], ['X-ScannerAdapter-API-Key', 'key']. */
  auth: [string, string] | null = null
  sbom = false
  /** Pads reports to this many bytes. */
  reportBytes = 0
  /** Runs after the pull, before the scan is accepted (tests use the credential here). */
  onScan: ((seen: ScanSeen) => Promise<void>) | null = null
  private server: Server | undefined
  port = 0
  private seq = 0
  private readonly requests = new Map<string, ScanSeen>()

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res).catch((err) => this.send(res, 500, { error: { message: String(err) } })))
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r))
    this.port = (this.server.address() as AddressInfo).port
    return this
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections()
    await new Promise<void>((r) => (this.server === undefined ? r() : this.server.close(() => r())))
  }

  private send(res: ServerResponse, status: number, body: unknown, type = 'application/json', headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': type, ...headers })
    res.end(body === undefined ? '' : JSON.stringify(body))
  }

  private authorized(req: IncomingMessage): boolean {
    if (this.auth === null) return true
    const [scheme, credential] = this.auth
    if (scheme === 'X-ScannerAdapter-API-Key') return req.headers['x-scanneradapter-api-key'] === credential
    const expected = scheme === 'Basic' ? `Basic ${Buffer.from(credential).toString('base64')}` : `Bearer ${credential}`
    return req.headers.authorization === expected
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    if (this.down) return this.send(res, 503, { error: { message: 'down' } })
    if (!this.authorized(req)) return this.send(res, 401, { error: { message: 'unauthorized' } })
    const url = new URL(req.url ?? '/', 'http://x')
    if (req.method === 'GET' && url.pathname === '/api/v1/metadata') {
      const capabilities: unknown[] = [{ type: 'vulnerability', consumes_mime_types: [ACCEPT.split(', ')[0], ACCEPT.split(', ')[1]], produces_mime_types: [VULN] }]
      if (this.sbom) capabilities.push({ type: 'sbom', consumes_mime_types: ACCEPT.split(', '), produces_mime_types: [SBOM], additional_attributes: { sbom_media_types: ['application/spdx+json'] } })
      return this.send(res, 200, { scanner: { name: 'Fake', vendor: 'Berth tests', version: '1.2.3' }, capabilities, properties: { 'harbor.scanner-adapter/scanner-type': 'os-package-vulnerability' } }, 'application/vnd.scanner.adapter.metadata+json; version=1.1')
    }
    if (req.method === 'POST' && url.pathname === '/api/v1/scan') {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { registry: { url: string; authorization: string }; artifact: { repository: string; digest: string }; enabled_capabilities?: unknown }
      const seen: ScanSeen = { registryUrl: body.registry.url, authorization: body.registry.authorization, repository: body.artifact.repository, digest: body.artifact.digest, capabilities: body.enabled_capabilities, pulled: false, pullError: '' }
      this.scans.push(seen)
      try {
        await pull(seen)
        seen.pulled = true
      } catch (err) {
        seen.pullError = (err as Error).message
        return this.send(res, 422, { error: { message: `cannot pull ${seen.repository}@${seen.digest}: ${seen.pullError}` } })
      }
      if (this.onScan !== null) await this.onScan(seen)
      const id = `req-${++this.seq}`
      this.requests.set(id, seen)
      return this.send(res, 202, { id }, 'application/vnd.scanner.adapter.scan.response+json; version=1.0')
    }
    const m = /^\/api\/v1\/scan\/([^/]+)\/report$/.exec(url.pathname)
    if (req.method === 'GET' && m !== null) {
      const id = decodeURIComponent(m[1]!)
      const seen = this.requests.get(id)
      if (seen === undefined) return this.send(res, 404, { error: { message: 'unknown scan request' } })
      const n = (this.polls.get(id) ?? 0) + 1
      this.polls.set(id, n)
      if (n <= this.slow) return this.send(res, 302, undefined, 'application/json', { 'refresh-after': String(this.refreshAfter) })
      if (this.error !== '') return this.send(res, 500, { error: { message: this.error } }, 'application/vnd.scanner.adapter.error+json; version=1.0')
      const accept = req.headers.accept ?? ''
      const common = { generated_at: new Date().toISOString(), artifact: { repository: seen.repository, digest: seen.digest }, scanner: { name: 'Fake', vendor: 'Berth tests', version: '1.2.3' } }
      const padding = this.reportBytes > 0 ? { padding: 'x'.repeat(this.reportBytes) } : {}
      if (accept === SBOM) return this.send(res, 200, { ...common, media_type: 'application/spdx+json', sbom: { spdxVersion: 'SPDX-2.3', name: seen.digest, packages: [{ name: 'openssl', versionInfo: '3.0.0' }] }, ...padding }, SBOM)
      const vulnerabilities = this.vulnerabilities.get(seen.digest) ?? []
      const severities = ['Unknown', 'Low', 'Medium', 'High', 'Critical']
      const top = vulnerabilities.reduce((a, v) => Math.max(a, severities.indexOf(v.severity)), -1)
      return this.send(res, 200, { ...common, severity: top < 0 ? 'None' : severities[top], vulnerabilities, ...padding }, VULN)
    }
    return this.send(res, 404, { error: { message: 'no such route' } })
  }
}

/** Pulls the manifest and every blob it references, checking digests; throws on any failure. */
async function pull(s: ScanSeen): Promise<void> {
  const headers = { authorization: s.authorization, accept: ACCEPT }
  const res = await fetch(`${s.registryUrl}/v2/${s.repository}/manifests/${s.digest}`, { headers, signal: AbortSignal.timeout(10_000) })
  const bytes = Buffer.from(await res.arrayBuffer())
  if (res.status !== 200) throw new Error(`manifest: ${res.status} ${bytes.toString('utf8').slice(0, 200)}`)
  if (`sha256:${createHash('sha256').update(bytes).digest('hex')}` !== s.digest) throw new Error('manifest digest mismatch')
  const doc = JSON.parse(bytes.toString('utf8')) as { config?: { digest: string }; layers?: { digest: string }[] }
  for (const d of [doc.config, ...(doc.layers ?? [])]) {
    if (d === undefined) continue
    const b = await fetch(`${s.registryUrl}/v2/${s.repository}/blobs/${d.digest}`, { headers: { authorization: s.authorization }, signal: AbortSignal.timeout(10_000) })
    const blob = Buffer.from(await b.arrayBuffer())
    if (b.status !== 200) throw new Error(`blob ${d.digest}: ${b.status}`)
    if (`sha256:${createHash('sha256').update(blob).digest('hex')}` !== d.digest) throw new Error(`blob ${d.digest} digest mismatch`)
  }
}
