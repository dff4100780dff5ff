// Syslog out: RFC 5424 messages sent to one endpoint over TCP (RFC 6587 octet-counting framing)
// or UDP (RFC 5426, one message per datagram), through a bounded queue that never blocks the
// caller. A dead endpoint costs a warning and a count of dropped messages, never an exception:
// the sender reconnects with exponential backoff and sends what waited meanwhile.
//
// Written here rather than taken from npm: the syslog clients there frame TCP messages with a
// newline (a message containing one is cut in two), keep no bound on what waits for a
// connection, and the whole of what Berth needs is the ~150 lines below.
import { createConnection, isIP, type Socket } from 'node:net'
import { createSocket, type Socket as UdpSocket } from 'node:dgram'
import type { Logger } from './logger.js'

export interface SyslogEndpoint {
  protocol: 'tcp' | 'udp'
  host: string
  port: number
}

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/
const ENDPOINT_FORMS = 'must be host:port (TCP), tcp://host:port or udp://host:port'

/**
 * An endpoint as Harbor's audit_log_forward_endpoint names it: `host:port` (TCP, Harbor's only
 * form), or with a scheme, `tcp://host:port` or `udp://host:port`; an IPv6 host in brackets.
 * Null for '' (no forwarding); an Error saying which forms are accepted for anything else.
 */
export function parseSyslogEndpoint(value: string): SyslogEndpoint | null {
  if (value === '') return null
  if (value.length > 255) throw new Error(`${ENDPOINT_FORMS}, at most 255 characters`)
  const m = /^(?:(tcp|udp):\/\/)?(\[[0-9A-Fa-f:.]+\]|[^:/[\]]+):(\d{1,5})$/.exec(value)
  if (m === null) throw new Error(ENDPOINT_FORMS)
  const rawHost = m[2]!
  const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost
  const ok = rawHost.startsWith('[') ? isIP(host) === 6 : isIP(host) === 4 || (HOST_NAME.test(host) && !/^[\d.]+$/.test(host))
  if (!ok) throw new Error(`${ENDPOINT_FORMS}; ${JSON.stringify(rawHost.slice(0, 64))} is not a host name or IP address`)
  const port = Number(m[3])
  if (port < 1 || port > 65535) throw new Error(`${ENDPOINT_FORMS}; the port must be 1 to 65535`)
  return { protocol: (m[1] as 'tcp' | 'udp' | undefined) ?? 'tcp', host, port }
}

/** RFC 5424's severities used here. */
export const Severity = { warning: 4, notice: 5, info: 6 } as const
/** RFC 5424's facility 1, user-level messages. */
export const FACILITY_USER = 1

export interface SyslogMessage {
  facility: number
  severity: number
  /** RFC 3339 with a time zone, e.g. an ISO string. */
  time: string
  hostname: string
  appName: string
  procId: string
  msgId: string
  /** One SD-ELEMENT: its id (`name@number` for one not registered with IANA) and its parameters. */
  data?: { id: string; params: Record<string, string | number | null> }
  message: string
}

/** Longest parameter value; keeps a message well under MAX_MESSAGE_BYTES. */
const MAX_VALUE = 1024
/** Messages up to this size reach every receiver (rsyslog's default maxMessageSize is 8 KiB). */
export const MAX_MESSAGE_BYTES = 8192

/** A header field: printable US-ASCII only, at most `max` characters, '-' when empty (NILVALUE). */
function field(v: string, max: number): string {
  const s = v.replace(/[^\x21-\x7e]/g, '_').slice(0, max)
  return s === '' ? '-' : s
}

/** A PARAM-VALUE with '"', '\' and ']' escaped, as RFC 5424 section 6.3.3 asks. */
function paramValue(v: string): string {
  return v.slice(0, MAX_VALUE).replace(/["\\\]]/g, (c) => `\\${c}`)
}

/** `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] MSG`, cut to MAX_MESSAGE_BYTES. */
export function formatRfc5424(m: SyslogMessage): string {
  const header = `<${m.facility * 8 + m.severity}>1 ${field(m.time, 64)} ${field(m.hostname, 255)} ${field(m.appName, 48)} ${field(m.procId, 128)} ${field(m.msgId, 32)}`
  let sd = '-'
  if (m.data !== undefined) {
    const params = Object.entries(m.data.params)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => `${field(k.replace(/[= \]"]/g, '_'), 32)}="${paramValue(String(v))}"`)
    sd = `[${field(m.data.id, 32)}${params.map((p) => ` ${p}`).join('')}]`
  }
  const line = `${header} ${sd} ${m.message}`
  const bytes = Buffer.from(line, 'utf8')
  return bytes.length <= MAX_MESSAGE_BYTES ? line : bytes.subarray(0, MAX_MESSAGE_BYTES).toString('utf8').replace(/\uFFFD+$/, '')
}

export interface SyslogSenderOptions {
  endpoint: SyslogEndpoint
  log: Logger
  /** Messages that may wait for the connection; more are dropped (and counted). */
  maxQueue?: number
  minBackoffMs?: number
  maxBackoffMs?: number
  connectTimeoutMs?: number
}

export interface SyslogCounts {
  /** Handed to the socket (TCP: written; UDP: sent). */
  sent: number
  /** Refused because the queue was full, or lost to a send error (UDP). */
  dropped: number
  /** Waiting now. */
  queued: number
}

export class SyslogSender {
  private readonly queue: Buffer[] = []
  private tcp: Socket | null = null
  private udp: UdpSocket | null = null
  private writable = false
  private retryTimer: NodeJS.Timeout | undefined
  private backoffMs: number
  private failing = false
  private droppedSinceWarning = 0
  /** UDP datagrams handed to the socket whose send has not completed (a name lookup may be slow). */
  private inFlight = 0
  private closed = false
  private readonly counts = { sent: 0, dropped: 0 }
  private readonly maxQueue: number

  constructor(private readonly o: SyslogSenderOptions) {
    this.maxQueue = o.maxQueue ?? 10_000
    this.backoffMs = o.minBackoffMs ?? 500
  }

  get endpoint(): SyslogEndpoint {
    return this.o.endpoint
  }

  stats(): SyslogCounts {
    return { ...this.counts, queued: this.queue.length }
  }

  /** Queues a message; returns at once. False when it was dropped (queue full, or closed). */
  send(message: string): boolean {
    if (this.closed) return false
    if (this.queue.length + this.inFlight >= this.maxQueue) {
      this.drop(1)
      return false
    }
    const body = Buffer.from(message, 'utf8')
    // TCP: "MSG-LEN SP SYSLOG-MSG" (RFC 6587 3.4.1), so a message may hold any byte, newlines too.
    this.queue.push(this.o.endpoint.protocol === 'tcp' ? Buffer.concat([Buffer.from(`${body.length} `), body]) : body)
    this.pump()
    return true
  }

  /** Stops: what still waits is dropped; resolves when the socket is closed. */
  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.retryTimer)
    this.queue.length = 0
    const tcp = this.tcp
    if (tcp !== null) {
      await new Promise<void>((r) => {
        const timer = setTimeout(() => tcp.destroy(), 1_000)
        tcp.once('close', () => {
          clearTimeout(timer)
          r()
        })
        if (this.writable) tcp.end()
        else tcp.destroy()
      })
    }
    this.udp?.close()
    this.tcp = null
    this.udp = null
  }

  private drop(n: number): void {
    this.counts.dropped += n
    if (this.droppedSinceWarning === 0) this.o.log.warn({ endpoint: this.describe() }, 'syslog forwarding: messages are being dropped (endpoint unreachable or too slow)')
    this.droppedSinceWarning += n
  }

  private describe(): string {
    const e = this.o.endpoint
    return `${e.protocol}://${e.host.includes(':') ? `[${e.host}]` : e.host}:${e.port}`
  }

  private pump(): void {
    if (this.closed) return
    if (this.o.endpoint.protocol === 'udp') return this.pumpUdp()
    if (this.tcp === null) {
      if (this.retryTimer === undefined) this.connect()
      return
    }
    while (this.writable && this.queue.length > 0) {
      this.counts.sent++
      if (!this.tcp.write(this.queue.shift()!)) this.writable = false
    }
  }

  private connect(): void {
    const { host, port } = this.o.endpoint
    const socket = createConnection({ host, port })
    this.tcp = socket
    socket.setNoDelay(true)
    socket.setTimeout(this.o.connectTimeoutMs ?? 5_000, () => socket.destroy(new Error('connect timed out')))
    socket.once('connect', () => {
      socket.setTimeout(0)
      socket.setKeepAlive(true, 30_000)
      this.writable = true
      this.backoffMs = this.o.minBackoffMs ?? 500
      if (this.failing || this.droppedSinceWarning > 0) this.o.log.info({ endpoint: this.describe(), dropped: this.droppedSinceWarning }, 'syslog forwarding: connected again')
      this.failing = false
      this.droppedSinceWarning = 0
      this.pump()
    })
    socket.on('drain', () => {
      this.writable = true
      this.pump()
    })
    // A receiver sends nothing back; whatever comes is read and discarded.
    socket.on('data', () => {})
    socket.on('error', (err) => {
      if (!this.failing) this.o.log.warn({ endpoint: this.describe(), err: err.message }, 'syslog forwarding: endpoint unreachable; retrying with backoff')
      this.failing = true
    })
    socket.once('close', () => {
      if (this.tcp === socket) this.tcp = null
      this.writable = false
      if (this.closed) return
      // The peer closed or failed: try again after the backoff (sooner attempts would only fail faster).
      const wait = this.backoffMs * (0.8 + Math.random() * 0.4)
      this.backoffMs = Math.min(this.backoffMs * 2, this.o.maxBackoffMs ?? 30_000)
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined
        if (this.queue.length > 0) this.pump()
      }, wait)
      this.retryTimer.unref()
    })
  }

  private pumpUdp(): void {
    if (this.udp === null) {
      this.udp = createSocket(isIP(this.o.endpoint.host) === 6 ? 'udp6' : 'udp4')
      this.udp.on('error', (err) => this.o.log.warn({ endpoint: this.describe(), err: err.message }, 'syslog forwarding: socket error'))
      this.udp.unref()
    }
    const udp = this.udp
    while (this.queue.length > 0) {
      const datagram = this.queue.shift()!
      this.inFlight++
      udp.send(datagram, this.o.endpoint.port, this.o.endpoint.host, (err) => {
        this.inFlight--
        if (err === null || err === undefined) {
          this.counts.sent++
          this.failing = false
          this.droppedSinceWarning = 0
        } else {
          this.drop(1)
          if (!this.failing) this.o.log.warn({ endpoint: this.describe(), err: err.message }, 'syslog forwarding: sending failed')
          this.failing = true
        }
      })
    }
  }
}
