// A webhook receiver on loopback for tests: records what it is sent, answers a chosen status.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Received {
  headers: IncomingHttpHeaders
  body: string
}

/** An HTTP receiver on loopback that records what it is sent and answers `status()` (200 by default). */
export class Receiver {
  readonly received: Received[] = []
  status: () => number = () => 200
  private server: Server | undefined
  port = 0

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        this.received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') })
        res.statusCode = this.status()
        res.end('noted')
      })
    })
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', r))
    this.port = (this.server.address() as AddressInfo).port
    return this
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server === undefined ? r() : this.server.close(() => r())))
    this.server = undefined
  }

  json(i: number): any {
    return JSON.parse(this.received[i]!.body)
  }
}
