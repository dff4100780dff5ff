// A loopback HTTP proxy in front of a registry that counts the requests it forwards (method and
// path) and can be switched off (answers nothing: connections are refused) to play an upstream
// that is down. Bodies are piped, not buffered.
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export interface CountingProxy {
  /** http://127.0.0.1:PORT */
  url: string
  /** Requests forwarded so far whose `METHOD path` matches. */
  count(pattern: RegExp): number
  /** Forgets the counts. */
  reset(): void
  /** Refuses connections (the port closes) until `up()`. */
  down(): Promise<void>
  up(): Promise<void>
  close(): Promise<void>
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const to = new URL(target)
  let seen: string[] = []
  const sockets = new Set<Socket>()
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`)
    const out = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: { ...req.headers, host: to.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    out.on('error', () => res.destroy())
    req.pipe(out)
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  const listen = (port: number) => new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()))
  await listen(0)
  const port = (server.address() as AddressInfo).port
  const stop = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy()
      server.close(() => r())
    })
  return {
    url: `http://127.0.0.1:${port}`,
    count: (pattern) => seen.filter((s) => pattern.test(s)).length,
    reset: () => {
      seen = []
    },
    down: stop,
    up: () => listen(port),
    close: async () => {
      if (server.listening) await stop()
    },
  }
}
