// The web console's static files (built from web/ into dist/web by `npm run build`): hashed
// assets cached for a year (sent as the brotli or gzip copy the build wrote beside each one,
// when the client takes it), an index.html that is never cached, and every other GET that is
// not an API path answered with index.html so that the console's own routes survive a reload.
// Every answer carries a strict Content-Security-Policy: the console runs no inline script and
// no eval, loads nothing from another origin, and may not be framed.
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fastifyStatic from '@fastify/static'
import { BerthError } from '../lib/errors.js'
import { sendApiError, sendOciError } from './errors.js'

/** Where `npm run build` puts the console, next to the compiled server (dist/web). */
export const CONSOLE_DIR = fileURLToPath(new URL('../../web/', import.meta.url))

export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

/** Paths that belong to the registry, the API or the console's files: an unknown one is a 404 in its own format, never the console. */
const NOT_CONSOLE = /^\/(?:v2(?:\/|$)|api\/|service\/|c\/|assets\/|livez$|readyz$)/

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .header('x-frame-options', 'DENY')
    .header('cross-origin-opener-policy', 'same-origin')
}

export interface ConsoleOptions {
  /** The folder holding index.html and assets/ (tests point it elsewhere). */
  dir?: string
}

export async function consoleRoutes(app: FastifyInstance, o: ConsoleOptions = {}): Promise<void> {
  const dir = o.dir ?? CONSOLE_DIR
  const indexPath = `${dir}/index.html`
  const built = existsSync(indexPath)
  if (!built) app.log.warn({ dir }, 'the web console is not built (run `npm run build`); / answers 404')
  // Read once: the file is small and changes only with a new build (and a new process).
  const index = built ? readFileSync(indexPath) : null

  if (built) {
    await app.register(fastifyStatic, {
      root: `${dir}/assets`,
      prefix: '/assets/',
      // File names carry a hash of their content: a new build is a new name.
      immutable: true,
      maxAge: '365d',
      // file.js.br / file.js.gz from scripts/build-web.mjs: a quarter of the bytes, no work per request.
      preCompressed: true,
      index: false,
      wildcard: true,
      setHeaders: (res) => {
        res.header('content-security-policy', CONSOLE_CSP)
        res.header('x-content-type-options', 'nosniff')
        res.header('cross-origin-resource-policy', 'same-origin')
      },
    })
  }

  const sendIndex = async (req: FastifyRequest, reply: FastifyReply) => {
    if (index === null) return sendApiError(new BerthError('NOT_FOUND', 'the web console is not built: run `npm run build`'), req, reply)
    return secure(reply).header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(index)
  }
  app.get('/', { schema: { hide: true } }, async (req, reply) => sendIndex(req, reply))
  app.get('/*', { schema: { hide: true } }, async (req, reply) => {
    // `//v2/_catalog` is the registry's path too: repeated slashes never make a console route.
    const path = req.url.split('?')[0]!.replace(/\/{2,}/g, '/')
    const missing = new BerthError('NOT_FOUND', `no route ${req.method} ${path}`)
    if (path.startsWith('/v2')) return sendOciError(missing, req, reply)
    if (NOT_CONSOLE.test(path)) return sendApiError(missing, req, reply)
    return sendIndex(req, reply)
  })
}
