// HTTP plumbing for the benchmark: keep-alive agents, small requests read in full,
// blob bodies streamed from a file on upload and discarded (optionally hashed) on download.
import http from 'node:http'
import https from 'node:https'
import { createHash, type Hash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import net from 'node:net'

export type Headers = Record<string, string>

export type ClientOptions = {
  base: URL
  /** `user:password` for HTTP basic auth; sent to the registry's own origin only. */
  basicAuth?: string
  /** Skip TLS verification (self-signed test registries). */
  insecure?: boolean
}

export type SmallResponse = {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
}

export type DownloadResult = {
  status: number
  bytes: number
  digest?: string
  /** The URL the body finally came from, when a redirect was followed. */
  redirectedTo?: URL
}

/** A file range plus an optional tail, sent as one request body of known length. */
export type FileBody = {
  path: string
  /** Bytes [0, length) of the file. */
  length: number
  tail?: Buffer
}

const SMALL_TIMEOUT_MS = 30_000
const STREAM_IDLE_TIMEOUT_MS = 120_000
const MAX_REDIRECTS = 5
const FILE_CHUNK = 1 << 20

export class Client {
  readonly base: URL
  private readonly authHeader: string | undefined
  private readonly insecure: boolean

  constructor(o: ClientOptions) {
    this.base = o.base
    this.authHeader = o.basicAuth ? 'Basic ' + Buffer.from(o.basicAuth).toString('base64') : undefined
    this.insecure = o.insecure ?? false
  }

  /** A keep-alive agent with at most `maxSockets` connections, for one load step. */
  agent(maxSockets: number): http.Agent {
    const o = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'fifo' as const }
    return this.base.protocol === 'https:' ? new https.Agent({ ...o, rejectUnauthorized: !this.insecure }) : new http.Agent(o)
  }

  resolve(pathOrUrl: string): URL {
    return new URL(pathOrUrl, this.base)
  }

  /** Request options for `url`; auth is attached only when `url` is on the registry's origin. */
  options(method: string, url: URL, headers: Headers, agent: http.Agent): http.RequestOptions {
    const h: Headers = { ...headers }
    if (this.authHeader && url.origin === this.base.origin) h['authorization'] = this.authHeader
    return {
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port,
      path: url.pathname + url.search,
      headers: h,
      agent,
      ...(url.protocol === 'https:' ? { rejectUnauthorized: !this.insecure } : {}),
    }
  }

  private foreign: { http?: http.Agent; https?: https.Agent } = {}

  private foreignAgent(url: URL): http.Agent {
    if (url.protocol === 'https:') return (this.foreign.https ??= new https.Agent({ keepAlive: true, rejectUnauthorized: !this.insecure }))
    return (this.foreign.http ??= new http.Agent({ keepAlive: true }))
  }

  private lib(url: URL): typeof http | typeof https {
    return url.protocol === 'https:' ? https : http
  }

  /** A RawGetter for `url`, with the registry's auth when `url` is on its origin. Throws Unsupported for TLS. */
  rawGetter(url: URL): RawGetter {
    const headers: Headers = {}
    if (this.authHeader && url.origin === this.base.origin) headers['authorization'] = this.authHeader
    return new RawGetter(url, headers)
  }

  /** A request whose response body is small: it is read into memory. */
  async small(
    agent: http.Agent,
    method: string,
    pathOrUrl: string,
    o: { headers?: Headers; body?: Buffer } = {},
  ): Promise<SmallResponse> {
    const url = this.resolve(pathOrUrl)
    const headers: Headers = { ...(o.headers ?? {}) }
    if (o.body !== undefined || method === 'POST' || method === 'PUT') headers['content-length'] = String(o.body?.length ?? 0)
    return await new Promise<SmallResponse>((resolve, reject) => {
      const req = this.lib(url).request(this.options(method, url, headers, agent), (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
        res.on('error', reject)
      })
      req.setTimeout(SMALL_TIMEOUT_MS, () => req.destroy(new Error(`${method} ${url.pathname}: timed out`)))
      req.on('error', reject)
      req.end(o.body)
    })
  }

  /**
   * The hot path of the load steps: one request, body read and dropped, resolves with the
   * status. Options are built once by the caller, so each call allocates little.
   */
  fire(url: URL, opts: http.RequestOptions): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const req = this.lib(url).request(opts, (res) => {
        res.on('data', noop)
        res.on('end', () => resolve(res.statusCode ?? 0))
        res.on('error', reject)
      })
      req.setTimeout(SMALL_TIMEOUT_MS, () => req.destroy(new Error(`${opts.method} ${url.pathname}: timed out`)))
      req.on('error', reject)
      req.end()
    })
  }

  /** PUT (or POST/PATCH) a body streamed from a file, with backpressure; returns the small response. */
  async upload(agent: http.Agent, method: string, pathOrUrl: string, body: FileBody, headers: Headers = {}): Promise<SmallResponse> {
    const url = this.resolve(pathOrUrl)
    const total = body.length + (body.tail?.length ?? 0)
    const h: Headers = { 'content-type': 'application/octet-stream', ...headers, 'content-length': String(total) }
    const req = this.lib(url).request(this.options(method, url, h, agent))
    req.setTimeout(STREAM_IDLE_TIMEOUT_MS, () => req.destroy(new Error(`${method} ${url.pathname}: idle timeout`)))
    const response = new Promise<SmallResponse>((resolve, reject) => {
      req.on('response', (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
        res.on('error', reject)
      })
      req.on('error', reject)
    })
    // A server may answer (and close) before the body is sent; the response wins then.
    const sent = (async () => {
      if (body.length > 0) {
        const file = createReadStream(body.path, { start: 0, end: body.length - 1, highWaterMark: FILE_CHUNK })
        try {
          for await (const chunk of file) {
            if (req.destroyed) return
            if (!req.write(chunk as Buffer)) await drained(req)
          }
        } finally {
          file.destroy()
        }
      }
      req.end(body.tail)
    })()
    sent.catch(() => undefined)
    const res = await response
    await sent.catch(() => undefined)
    return res
  }

  /**
   * GET a (possibly large) body and drop it, following redirects (e.g. to object storage).
   * With `hash`, the body is also SHA-256 hashed.
   */
  async download(agent: http.Agent, pathOrUrl: string, o: { headers?: Headers; hash?: boolean } = {}): Promise<DownloadResult> {
    let url = this.resolve(pathOrUrl)
    for (let hop = 0; ; hop++) {
      const r = await this.downloadOnce(agent, url, o.headers ?? {}, o.hash ?? false)
      if (r.location === undefined) return hop > 0 ? { ...r.result, redirectedTo: url } : r.result
      if (hop >= MAX_REDIRECTS) throw new Error(`GET ${pathOrUrl}: too many redirects`)
      url = new URL(r.location, url)
    }
  }

  private downloadOnce(
    agent: http.Agent,
    url: URL,
    headers: Headers,
    hash: boolean,
  ): Promise<{ result: DownloadResult; location?: string }> {
    return new Promise((resolve, reject) => {
      // A redirect to another origin (object storage) uses its own pool; `agent` is the registry's.
      const opts = this.options('GET', url, headers, url.origin === this.base.origin ? agent : this.foreignAgent(url))
      const req = this.lib(url).request(opts, (res) => {
        const status = res.statusCode ?? 0
        const location = res.headers.location
        if (status >= 300 && status < 400 && location) {
          res.resume()
          res.on('end', () => resolve({ result: { status, bytes: 0 }, location }))
          res.on('error', reject)
          return
        }
        let bytes = 0
        const h: Hash | undefined = hash ? createHash('sha256') : undefined
        res.on('data', (c: Buffer) => {
          bytes += c.length
          h?.update(c)
        })
        res.on('end', () => resolve({ result: { status, bytes, ...(h ? { digest: 'sha256:' + h.digest('hex') } : {}) } }))
        res.on('error', reject)
      })
      req.setTimeout(STREAM_IDLE_TIMEOUT_MS, () => req.destroy(new Error(`GET ${url.pathname}: idle timeout`)))
      req.on('error', reject)
      req.end()
    })
  }
}

function noop(): void {}

/** Resolves on 'drain', or on 'close' (a request destroyed mid-body never drains); rejects on 'error'. */
function drained(req: http.ClientRequest): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error): void => {
      req.off('drain', ok).off('close', ok).off('error', done)
      if (err) reject(err)
      else resolve()
    }
    const ok = (): void => done()
    req.on('drain', ok).on('close', ok).on('error', done)
  })
}

/** `text` of a response body for error messages, cut short. */
export function brief(r: SmallResponse): string {
  const text = r.body.toString('utf8').replace(/\s+/g, ' ').trim()
  return `HTTP ${r.status}${text ? ': ' + text.slice(0, 300) : ''}`
}

/**
 * GETs one URL again and again over one keep-alive connection and drops the bodies, reading
 * into a single reused 1 MiB buffer (net's `onread`). node:http allocates a Buffer per 64 KiB
 * read and parses in JS; on loopback it tops out near 1-2 GB/s, below what the servers send,
 * so blob pulls (and the nginx reference) use this. Plain HTTP with a Content-Length body
 * only: anything else (TLS, chunked bodies, redirects) throws Unsupported and the caller
 * falls back to Client.download.
 */
export class RawGetter {
  private socket: net.Socket | null = null
  private current: RawRequest | null = null
  private readonly buffer = Buffer.allocUnsafe(1 << 20)
  private readonly request: Buffer

  constructor(private readonly url: URL, headers: Headers) {
    if (url.protocol !== 'http:') throw new Unsupported(`${url.protocol} is not plain HTTP`)
    const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, `host: ${url.host}`]
    for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`)
    this.request = Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1')
  }

  /** One GET; resolves with the status and the body length. */
  async get(): Promise<{ status: number; bytes: number }> {
    const socket = this.socket ?? (await this.connect())
    return await new Promise((resolve, reject) => {
      this.current = { head: null, remaining: -1, bytes: 0, status: 0, close: false, resolve, reject }
      socket.write(this.request)
    })
  }

  close(): void {
    this.socket?.destroy()
    this.socket = null
  }

  private async connect(): Promise<net.Socket> {
    const socket = net.connect({
      host: this.url.hostname.replace(/^\[|\]$/g, ''),
      port: Number(this.url.port || 80),
      noDelay: true,
      onread: { buffer: this.buffer, callback: (n: number) => this.onRead(n) },
    })
    socket.setTimeout(STREAM_IDLE_TIMEOUT_MS, () => socket.destroy(new Error(`GET ${this.url.pathname}: idle timeout`)))
    socket.on('error', (err) => this.fail(err))
    socket.on('close', () => {
      if (this.socket === socket) this.socket = null
      this.fail(new Error(`GET ${this.url.pathname}: connection closed mid-response`))
    })
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    this.socket = socket
    return socket
  }

  private fail(err: Error): void {
    const r = this.current
    this.current = null
    r?.reject(err)
  }

  /** `onread` hands over bytes [0, n) of the shared buffer; they are gone after the return. */
  private onRead(n: number): boolean {
    const r = this.current
    if (!r) return true
    if (r.remaining < 0) {
      const chunk = this.buffer.subarray(0, n)
      r.head = r.head ? Buffer.concat([r.head, chunk]) : Buffer.from(chunk)
      const end = r.head.indexOf('\r\n\r\n')
      if (end < 0) {
        if (r.head.length > 64 * 1024) this.abort(new Error('response headers too large'))
        return true
      }
      const head = r.head.subarray(0, end).toString('latin1')
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head)
      const length = /\r\ncontent-length:[ \t]*(\d+)/i.exec(head)
      if (!status) return this.abort(new Error('not an HTTP/1.x response'))
      if (/\r\ntransfer-encoding:/i.test(head) || !length) return this.abort(new Unsupported('a body without Content-Length'))
      if (status[1]!.startsWith('3')) return this.abort(new Unsupported(`a redirect (${status[1]})`))
      r.status = Number(status[1])
      r.close = /\r\nconnection:[ \t]*close/i.test(head)
      r.bytes = r.head.length - end - 4
      r.remaining = Number(length[1]) - r.bytes
      r.head = null
    } else {
      r.bytes += n
      r.remaining -= n
    }
    if (r.remaining <= 0) {
      this.current = null
      if (r.close || r.remaining < 0) this.close()
      r.resolve({ status: r.status, bytes: r.bytes })
    }
    return true
  }

  private abort(err: Error): boolean {
    this.fail(err)
    this.close()
    return true
  }
}

type RawRequest = {
  head: Buffer | null
  /** Body bytes still expected; -1 while the headers are being read. */
  remaining: number
  bytes: number
  status: number
  close: boolean
  resolve: (r: { status: number; bytes: number }) => void
  reject: (e: Error) => void
}

/** The response needs more HTTP than RawGetter speaks. */
export class Unsupported extends Error {}
