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
import { TokenService } from '../auth/token-service.js'
import { sharedSecret } from '../auth/shared-secrets.js'
import { Sessions } from '../auth/sessions.js'
import { LoginGuard } from '../auth/login-guard.js'
import { Authenticator } from '../auth/authenticator.js'
import { AccessController } from '../auth/access.js'
import type { Directory } from '../auth/identity.js'
import { AuditLog } from '../services/audit-log.js'
import { RegistryGate } from '../http/oci/registry-gate.js'
import { tokenRoutes } from '../http/token-routes.js'
import { apiRoutes } from '../http/api/routes.js'
import { UserService } from '../services/user-service.js'
import { ProjectService } from '../services/project-service.js'
import { RobotService } from '../services/robot-service.js'
import type { Security } from '../http/security.js'
import cookie from '@fastify/cookie'
import { randomBytes } from 'node:crypto'

/** Storage drivers by name; config picks one. */
const STORAGE_DRIVERS: Record<Config['storage']['driver'], (root: string) => StorageDriver> = {
  filesystem: (root) => new FilesystemDriver(root),
}

export interface Berth {
  app: FastifyInstance
  db: Db
  blobService: BlobService
  manifestService: ManifestService
  security: Security
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
  const stores = storesOver(db.kysely)
  let tokens: TokenService
  let csrfKey: Buffer
  try {
    const applied = await migrate(db)
    if (applied.length > 0) log.info({ migrations: applied }, 'database migrated')
    await stores.projects.ensure('library', true)
    const box = new SecretBox(await resolveSecretKey(config.secret_key, paths.dataDir))
    await checkSecretKey(stores, box)
    const generated = await ensureAdmin(stores, config.admin.password)
    if (generated !== null) (o.showOnce ?? showOnce)(generated)
    tokens = await TokenService.open(stores, box, config.auth.token_ttl_minutes * 60)
    csrfKey = await sharedSecret(stores, box, 'csrf-key', () => randomBytes(32))
  } catch (err) {
    await db.close()
    throw err
  }
  const audit = new AuditLog(db, log)
  let directory: Directory | undefined
  if (config.auth.mode === 'ldap_auth') {
    const { LdapDirectory } = await import('../auth/ldap-directory.js')
    directory = new LdapDirectory(config.auth.ldap, log)
  }
  const security: Security = {
    authenticator: new Authenticator({
      stores,
      mode: config.auth.mode,
      ...(directory !== undefined ? { directory } : {}),
      guard: new LoginGuard({ maxFailures: config.auth.max_failed_logins, lockoutMs: config.auth.lockout_minutes * 60_000 }),
      onLogin: (e) => audit.record({ username: e.username, operation: 'login', resourceType: e.kind, resource: e.username, result: e.ok ? 'success' : 'failure', clientIp: e.address }),
    }),
    tokens,
    sessions: new Sessions({ stores, csrfKey, ttlMs: config.auth.session_ttl_minutes * 60_000, adminGroupDn: config.auth.ldap.group_admin_dn }),
    access: new AccessController(stores),
    stores,
    audit,
    externalUrl: config.external_url,
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
    // Unknown fields in a request body are an error, not silently dropped (mass assignment).
    ajv: { customOptions: { removeAdditional: false } },
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
  await app.register(cookie)
  await app.register(ociRoutes, {
    blobs: blobService,
    manifests: manifestService,
    baseUrl: config.external_url,
    maxManifestBytes: config.registry.max_manifest_bytes,
    gate: new RegistryGate(security),
    audit: (e) => audit.record(e),
  })
  await app.register(tokenRoutes, security)
  const changed = () => security.authenticator.forget()
  const projects = new ProjectService({ stores, access: security.access, audit, ...(directory !== undefined ? { directory } : {}), changed })
  await app.register(apiRoutes, {
    ...security,
    users: new UserService({ stores, audit, selfRegistration: config.auth.self_registration, ldap: config.auth.mode === 'ldap_auth', changed }),
    projects,
    robots: new RobotService({ stores, access: security.access, projects, audit, changed }),
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
    stores.sessions.purgeExpired().catch((err) => log.warn({ err }, 'purging expired sessions failed'))
  }, Math.min(ttlMs, 3600_000))
  purge.unref()

  return {
    app,
    db,
    blobService,
    manifestService,
    security,
    log,
    close: async () => {
      clearInterval(purge)
      await app.close()
      await audit.flush()
      await db.close()
    },
  }
}
