// The composition root: builds the services from configuration and serves them over HTTP.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { createLogger, type Logger } from '../lib/logger.js'
import { newId } from '../lib/ids.js'
import { openDb, migrate } from '../metadata/db.js'
import type { Db } from '../metadata/schema.js'
import { storesOver } from '../metadata/stores.js'
import { FilesystemDriver } from '../storage/drivers/filesystem.js'
import type { StorageDriver } from '../storage/driver.js'
import { BlobStore } from '../storage/blob-store.js'
import { RegistryContext } from '../services/registry-context.js'
import { BlobService } from '../services/blob-service.js'
import { ManifestService } from '../services/manifest-service.js'
import { ociRoutes } from '../http/oci/routes.js'
import { resolvedPaths, type Config } from './config.js'
import { SecretBox } from '../auth/secret-box.js'
import { checkSecretKey, resolveSecretKey } from '../auth/secret-key.js'
import { ensureAdmin } from '../auth/admin-user.js'

/** Storage drivers by name; config picks one. */
const STORAGE_DRIVERS: Record<Config['storage']['driver'], (root: string) => StorageDriver> = {
  filesystem: (root) => new FilesystemDriver(root),
}

export interface Berth {
  app: FastifyInstance
  db: Db
  blobService: BlobService
  manifestService: ManifestService
  log: Logger
  close(): Promise<void>
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** Builds a ready-to-listen Berth: database migrated, `library` project present. */
/** Prints the generated admin password once, outside the structured log. */
function showOnce(password: string): void {
  process.stderr.write(`\nberth: created user "admin" with the generated password: ${password}\nberth: it is shown only this once; change it after logging in.\n\n`)
}

export async function createBerth(config: Config, o: { log?: Logger; showOnce?: (password: string) => void } = {}): Promise<Berth> {
  const log = o.log ?? createLogger(config.log.level)
  const paths = resolvedPaths(config)
  const db = await openDb(paths.databaseUrl, { poolSize: config.database.pool_size })
  try {
    const applied = await migrate(db)
    if (applied.length > 0) log.info({ migrations: applied }, 'database migrated')
    const stores = storesOver(db.kysely)
    await stores.projects.ensure('library', true)
    await checkSecretKey(stores, new SecretBox(await resolveSecretKey(config.secret_key, paths.dataDir)))
    const generated = await ensureAdmin(stores, config.admin.password)
    if (generated !== null) (o.showOnce ?? showOnce)(generated)
  } catch (err) {
    await db.close()
    throw err
  }
  const blobs = new BlobStore(STORAGE_DRIVERS[config.storage.driver](paths.storageRoot))
  const ctx = new RegistryContext({ db, blobs, log })
  const blobService = new BlobService(ctx)
  const manifestService = new ManifestService(ctx)

  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    exposeHeadRoutes: false,
    bodyLimit: 1 << 20,
    routerOptions: { maxParamLength: 2048 },
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id']
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : newId()
    },
  })
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id)
  })
  // One line per request: method, path, status, bytes, duration, request id.
  app.addHook('onResponse', async (req, reply) => {
    const length = reply.getHeader('content-length')
    req.log.info(
      {
        method: req.method,
        path: req.url,
        status: reply.statusCode,
        bytesIn: Number(req.headers['content-length'] ?? 0),
        bytesOut: req.method === 'HEAD' ? 0 : Number(length ?? 0),
        ms: Math.round(reply.elapsedTime * 100) / 100,
        remote: req.ip,
      },
      'request',
    )
  })
  await app.register(ociRoutes, {
    blobs: blobService,
    manifests: manifestService,
    baseUrl: config.external_url,
    maxManifestBytes: config.registry.max_manifest_bytes,
  })
  app.get('/livez', async () => ({ status: 'ok' }))
  app.get('/readyz', async (_req, reply) => {
    try {
      await db.kysely.selectFrom('projects').select('id').limit(1).execute()
      return { status: 'ok' }
    } catch {
      return reply.code(503).send({ status: 'unavailable', component: 'database' })
    }
  })

  const ttlMs = config.registry.upload_ttl_hours * 3600_000
  const purge = setInterval(() => {
    blobService
      .purgeIdleUploads(new Date(Date.now() - ttlMs))
      .then((n) => n > 0 && log.info({ purged: n }, 'idle uploads purged'))
      .catch((err) => log.warn({ err }, 'purging idle uploads failed'))
  }, Math.min(ttlMs, 3600_000))
  purge.unref()

  return {
    app,
    db,
    blobService,
    manifestService,
    log,
    close: async () => {
      clearInterval(purge)
      await app.close()
      await db.close()
    },
  }
}
