// The client of a scanner adapter (Harbor's Pluggable Scanner API v1.2): its metadata, a scan
// request, and its report, polled. Every request goes through the outbound guard, with a timeout
// and a bound on what is read back; redirects are not followed (302 means "not ready" here).
import { request, type Dispatcher } from 'undici'
import { BerthError } from '../../lib/errors.js'

export const METADATA_MIME = 'application/vnd.scanner.adapter.metadata+json; version=1.1, application/vnd.scanner.adapter.metadata+json; version=1.0'
export const SCAN_REQUEST_MIME = 'application/vnd.scanner.adapter.scan.request+json; version=1.1'
export const SCAN_RESPONSE_MIME = 'application/vnd.scanner.adapter.scan.response+json; version=1.0'
/** The vulnerability report types Berth reads, preferred first. */
export const VULN_MIMES = ['application/vnd.security.vulnerability.report; version=1.1', 'application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0'] as const
export const SBOM_MIME = 'application/vnd.security.sbom.report+json; version=1.0'
export const SPDX_JSON = 'application/spdx+json'

/** Bytes of metadata or a scan response read back. */
const MAX_SMALL = 256 << 10

export interface AdapterCapability {
  type: string
  consumes_mime_types: string[]
  produces_mime_types: string[]
  additional_attributes?: Record<string, unknown>
}

export interface AdapterMetadata {
  scanner: { name: string; vendor: string; version: string }
  capabilities: AdapterCapability[]
  properties: Record<string, string>
}

export interface ScanRequest {
  registry: { url: string; authorization: string }
  artifact: { repository: string; digest: string; tag?: string; mime_type: string }
  enabled_capabilities?: { type: string; produces_mime_types?: string[]; parameters?: Record<string, unknown> }[]
}

/** What one poll of a report found: the report, or not yet (with the adapter's wait in seconds, if it gave one). */
export type ReportPoll = { ready: true; body: string } | { ready: false; refreshAfter: number | null }

export interface AdapterEndpoint {
  url: string
  /** The Authorization header (or X-ScannerAdapter-API-Key value) to send, when any. */
  auth: '' | 'Basic' | 'Bearer' | 'X-ScannerAdapter-API-Key'
  credential: string
}

export interface AdapterClientOptions {
  dispatcher: Dispatcher
  timeoutMs: number
  /** Largest report read (bytes); a larger one fails the scan. */
  maxReportBytes: number
}

function unreachable(what: string, err: unknown): BerthError {
  const e = err as Error & { cause?: Error }
  const cause = e.cause instanceof BerthError ? e.cause : err instanceof BerthError ? err : null
  if (cause !== null) return new BerthError('BAD_REQUEST', `${what}: ${cause.message}`)
  return new BerthError('BAD_REQUEST', `${what}: the scanner adapter cannot be reached (${(e.cause ?? e).message})`)
}

/** The adapter's error message from a body ({"error":{"message"}}), else the start of the body. */
function errorMessage(body: string): string {
  try {
    const m = (JSON.parse(body) as { error?: { message?: unknown } }).error?.message
    if (typeof m === 'string') return m.slice(0, 500)
  } catch {
    // not JSON
  }
  return body.replace(/[\x00-\x1f\x7f]+/g, ' ').trim().slice(0, 500)
}

export class AdapterClient {
  constructor(
    private readonly endpoint: AdapterEndpoint,
    private readonly o: AdapterClientOptions,
  ) {}

  private headers(extra: Record<string, string>): Record<string, string> {
    const h: Record<string, string> = { 'user-agent': 'berth-scanner-client', ...extra }
    const { auth, credential } = this.endpoint
    if (auth === 'X-ScannerAdapter-API-Key') h['x-scanneradapter-api-key'] = credential
    else if (auth !== '') h.authorization = `${auth} ${credential}`
    return h
  }

  private async send(method: 'GET' | 'POST', path: string, headers: Record<string, string>, body: string | undefined, max: number, signal?: AbortSignal): Promise<{ status: number; headers: Dispatcher.ResponseData['headers']; body: string }> {
    const url = `${this.endpoint.url.replace(/\/+$/, '')}${path}`
    const timeout = AbortSignal.timeout(this.o.timeoutMs)
    let res: Dispatcher.ResponseData
    try {
      res = await request(url, { method, headers: this.headers(headers), ...(body !== undefined ? { body } : {}), signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]), dispatcher: this.o.dispatcher })
    } catch (err) {
      if (signal?.aborted === true) throw err
      if (timeout.aborted) throw new BerthError('BAD_REQUEST', `${method} ${path}: the scanner adapter did not answer within ${this.o.timeoutMs / 1000} s`)
      throw unreachable(`${method} ${path}`, err)
    }
    const text = await readBounded(res.body, max, `${method} ${path}`)
    return { status: res.statusCode, headers: res.headers, body: text }
  }

  /** GET /api/v1/metadata, checked for the fields Berth reads. */
  async metadata(signal?: AbortSignal): Promise<AdapterMetadata> {
    const r = await this.send('GET', '/api/v1/metadata', { accept: METADATA_MIME }, undefined, MAX_SMALL, signal)
    if (r.status !== 200) throw new BerthError('BAD_REQUEST', `GET /api/v1/metadata: the scanner adapter answered ${r.status}${r.body === '' ? '' : `: ${errorMessage(r.body)}`}`)
    let doc: Partial<AdapterMetadata>
    try {
      doc = JSON.parse(r.body) as Partial<AdapterMetadata>
    } catch {
      throw new BerthError('BAD_REQUEST', 'GET /api/v1/metadata: the scanner adapter answered something that is not JSON')
    }
    const s = doc.scanner
    if (typeof s !== 'object' || s === null || typeof s.name !== 'string' || !Array.isArray(doc.capabilities)) {
      throw new BerthError('BAD_REQUEST', 'GET /api/v1/metadata: the answer has no scanner or capabilities')
    }
    const capabilities = doc.capabilities
      .filter((c): c is AdapterCapability => typeof c === 'object' && c !== null && Array.isArray(c.consumes_mime_types) && Array.isArray(c.produces_mime_types))
      .slice(0, 32)
      .map((c) => ({ ...c, type: typeof c.type === 'string' ? c.type : 'vulnerability' }))
    const properties: Record<string, string> = {}
    for (const [k, v] of Object.entries(doc.properties ?? {}).slice(0, 64)) if (typeof v === 'string') properties[k] = v
    return { scanner: { name: s.name, vendor: String(s.vendor ?? ''), version: String(s.version ?? '') }, capabilities, properties }
  }

  /** POST /api/v1/scan: the adapter's id of the request. */
  async scan(req: ScanRequest, signal?: AbortSignal): Promise<string> {
    const r = await this.send('POST', '/api/v1/scan', { 'content-type': SCAN_REQUEST_MIME, accept: SCAN_RESPONSE_MIME }, JSON.stringify(req), MAX_SMALL, signal)
    if (r.status !== 202 && r.status !== 200) throw new BerthError('BAD_REQUEST', `the scanner adapter refused the scan request (${r.status}): ${errorMessage(r.body)}`)
    let id: unknown
    try {
      id = (JSON.parse(r.body) as { id?: unknown }).id
    } catch {
      // checked below
    }
    if (typeof id !== 'string' || id === '' || id.length > 256) throw new BerthError('BAD_REQUEST', 'the scanner adapter accepted the scan but gave no request id')
    return id
  }

  /** One GET of /api/v1/scan/{id}/report in `mime`. */
  async report(id: string, mime: string, query = '', signal?: AbortSignal): Promise<ReportPoll> {
    const path = `/api/v1/scan/${encodeURIComponent(id)}/report${query}`
    const r = await this.send('GET', path, { accept: mime }, undefined, this.o.maxReportBytes, signal)
    if (r.status === 200) return { ready: true, body: r.body }
    if (r.status === 302) {
      const raw = Number(String(r.headers['refresh-after'] ?? ''))
      return { ready: false, refreshAfter: Number.isFinite(raw) && raw >= 0 ? raw : null }
    }
    throw new BerthError('BAD_REQUEST', `the scanner adapter reported an error (${r.status}): ${errorMessage(r.body) || 'no message'}`)
  }
}

/** A body as text, refused past `max` bytes (the rest is not read). */
async function readBounded(body: Dispatcher.ResponseData['body'], max: number, what: string): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    const b = chunk as Buffer
    size += b.length
    if (size > max) {
      body.destroy()
      throw new BerthError('BAD_REQUEST', `${what}: the scanner adapter's answer is larger than ${max} bytes`)
    }
    chunks.push(b)
  }
  return Buffer.concat(chunks).toString('utf8')
}
