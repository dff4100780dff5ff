// Configuration: berth.yml, then BERTH_* environment overrides, validated against one schema.
// Every leaf setting has an override named BERTH_ + its path in upper case joined by '_'
// (http.port -> BERTH_HTTP_PORT, database.url -> BERTH_DATABASE_URL).
import { readFileSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import { Type, type Static, type TSchema, Kind } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { parse as parseYaml } from 'yaml'
import { BerthError } from '../lib/errors.js'
import { nextRun } from '../jobs/job-service.js'

const Url = Type.String({ pattern: '^(https?://[^\\s/]+(/[^\\s]*)?)?$', expected: 'an http(s) URL such as https://registry.example.com, or empty' })

export const ConfigSchema = Type.Object(
  {
    http: Type.Object(
      {
        host: Type.String({ default: '127.0.0.1', minLength: 1, description: 'address to listen on' }),
        port: Type.Integer({ default: 5000, minimum: 0, maximum: 65535, description: 'port to listen on' }),
        trust_proxy: Type.String({
          default: '',
          pattern: '^(|true|[0-9a-fA-F.:/]+(,[0-9a-fA-F.:/]+)*)$',
          expected: 'empty, true, or comma-separated addresses/CIDRs of the load balancers',
        }),
        shutdown_grace_seconds: Type.Number({ default: 2, minimum: 0, maximum: 300, description: 'on SIGTERM, seconds /readyz answers 503 before the server stops accepting' }),
      },
      { additionalProperties: false, default: {} },
    ),
    external_url: Type.String({ ...Url, default: '', description: 'public base URL of this registry; empty: relative URLs' }),
    data_dir: Type.String({ default: './data', minLength: 1, description: 'node-local folder for the SQLite file and local storage' }),
    secret_key: Type.String({
      default: '',
      pattern: '^(|.{32,})$',
      expected: 'at least 32 characters (e.g. from `openssl rand -base64 32`), or empty to keep a generated key in data_dir',
    }),
    database: Type.Object(
      {
        url: Type.String({ default: '', description: 'SQLite file path or postgres:// URL; empty: <data_dir>/berth.db' }),
        pool_size: Type.Integer({ default: 10, minimum: 1, maximum: 1000, description: 'max PostgreSQL connections of this process' }),
      },
      { additionalProperties: false, default: {} },
    ),
    storage: Type.Object(
      {
        driver: Type.Union([Type.Literal('filesystem'), Type.Literal('s3')], { default: 'filesystem', description: 'storage driver' }),
        root: Type.String({ default: '', description: 'filesystem driver root; empty: <data_dir>/storage' }),
        accel_redirect_prefix: Type.String({
          default: '',
          pattern: '^(/([A-Za-z0-9_][A-Za-z0-9._~-]*/)+)?$',
          expected: 'an nginx internal location such as /_berth_blobs/ (starting and ending with /), or empty to stream blobs from Berth',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    s3: Type.Object(
      {
        endpoint: Type.String({ default: '', description: 'S3 endpoint URL; empty: AWS for the region' }),
        region: Type.String({ default: 'us-east-1', minLength: 1, description: 'S3 region' }),
        bucket: Type.String({ default: '', description: 'bucket (required with storage.driver s3)' }),
        prefix: Type.String({ default: '', pattern: '^([A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*)?$', expected: 'a key prefix of /-separated safe segments, or empty' }),
        access_key: Type.String({ default: '', description: 'access key id; empty: the SDK default chain' }),
        secret_key: Type.String({ default: '', description: 'secret access key' }),
        force_path_style: Type.Boolean({ default: false, description: 'path-style URLs (MinIO, Ceph RGW)' }),
        redirect: Type.Boolean({ default: false, description: 'redirect blob GETs to presigned URLs' }),
      },
      { additionalProperties: false, default: {} },
    ),
    redis: Type.Object(
      {
        url: Type.String({
          default: '',
          pattern: '^(rediss?(\\+sentinel|\\+cluster)?://\\S+)?$',
          expected: 'a redis://, redis+sentinel:// or redis+cluster:// URL (rediss for TLS), or empty for in-process state',
        }),
        prefix: Type.String({ default: 'berth:', pattern: '^[A-Za-z0-9:._-]{0,64}$', expected: 'up to 64 of A-Z a-z 0-9 : . _ -' }),
      },
      { additionalProperties: false, default: {} },
    ),
    jobs: Type.Object(
      {
        workers: Type.Integer({ default: 5, minimum: 0, maximum: 100, description: 'job workers on this node (0: this node runs no jobs)' }),
        lease_seconds: Type.Integer({ default: 30, minimum: 2, maximum: 3600, description: "how long a job stays claimed without its worker's heartbeat; a dead node's jobs restart after it" }),
        housekeeping_cron: Type.String({
          default: '0 0 * * * *',
          maxLength: 128,
          description: 'when the periodic purges of abandoned uploads, expired sessions and old CVE exports run, once per slot across nodes (cron: 6 fields, seconds first, or 5; empty: never)',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    events: Type.Object(
      {
        pull_flush_seconds: Type.Number({ default: 5, exclusiveMinimum: 0, maximum: 3600, description: 'pulls are kept in memory and written (pull times, PULL_ARTIFACT events) at most this long after, or every 500 pulls' }),
      },
      { additionalProperties: false, default: {} },
    ),
    replication: Type.Object(
      {
        reconcile_seconds: Type.Integer({ default: 900, minimum: 0, maximum: 86400, description: 'seconds between re-runs of event and scheduled policies that copy what a target misses (0: never)' }),
        execution_timeout_minutes: Type.Integer({ default: 360, minimum: 1, maximum: 10080, description: 'an execution still running after this long is stopped' }),
        task_attempts: Type.Integer({ default: 8, minimum: 1, maximum: 100, description: 'attempts of a replication task (with backoff up to 5 minutes) before it fails' }),
        chunk_mib: Type.Integer({ default: 16, minimum: 1, maximum: 1024, description: 'blobs larger than this go to remote registries in chunks of this size (MiB)' }),
        outbound_allow: Type.String({ default: '', description: 'comma-separated hosts (*.example.com), addresses or CIDRs replication may reach; empty: any not denied' }),
        outbound_deny: Type.String({ default: '', description: 'comma-separated hosts, addresses or CIDRs replication must not reach' }),
        outbound_allow_metadata: Type.Boolean({ default: false, description: 'let replication reach cloud metadata addresses (169.254.169.254 and the like)' }),
        remote_max_pages: Type.Integer({ default: 10_000, minimum: 1, maximum: 1_000_000, description: 'pages (requests) one listing of a remote registry (tags, catalog) may take before the execution fails' }),
        remote_max_items: Type.Integer({ default: 100_000, minimum: 1, maximum: 10_000_000, description: 'names one listing of a remote registry (tags, catalog, referrers) may hold before the execution fails' }),
        remote_max_list_bytes: Type.Integer({ default: 64 << 20, minimum: 64 << 10, maximum: 1 << 30, description: 'bytes all the pages of one listing of a remote registry may take together before the execution fails' }),
      },
      { additionalProperties: false, default: {} },
    ),
    proxy_cache: Type.Object(
      {
        serve_cached_when_down: Type.Boolean({ default: true, description: 'a proxy-cache project serves its cached copy of a tag when the upstream registry cannot be reached (as Harbor does); false: the pull fails' }),
        upstream_timeout_seconds: Type.Integer({ default: 15, minimum: 1, maximum: 600, description: 'longest wait for the upstream registry to answer a manifest check or fetch of a proxy-cache project' }),
        fetch_wait_seconds: Type.Integer({ default: 300, minimum: 1, maximum: 3600, description: 'longest a pull waits for another pull (on any node) fetching the same manifest or blob from the upstream before it is answered 429' }),
      },
      { additionalProperties: false, default: {} },
    ),
    gc: Type.Object(
      {
        time_window_minutes: Type.Integer({
          default: 120,
          minimum: 0,
          maximum: 525_600,
          description: 'garbage collection keeps blobs and untagged artifacts a push used within this many minutes (Harbor: 2 hours); it must exceed the longest push, from its first HEAD to its manifest',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    registry: Type.Object(
      {
        max_manifest_bytes: Type.Integer({ default: 4 << 20, minimum: 1024, maximum: 64 << 20, description: 'largest manifest accepted, in bytes' }),
        upload_ttl_hours: Type.Number({ default: 24, exclusiveMinimum: 0, description: 'idle upload sessions are purged after this many hours' }),
        max_open_uploads: Type.Integer({ default: 512, minimum: 0, description: 'open upload sessions one user or robot may have at once (0: no limit); past it a new one is refused with 429' }),
      },
      { additionalProperties: false, default: {} },
    ),
    webhook: Type.Object(
      {
        max_attempts: Type.Integer({ default: 5, minimum: 1, maximum: 20, description: 'attempts per webhook delivery before it is given up (retries back off exponentially)' }),
      },
      { additionalProperties: false, default: {} },
    ),
    scanning: Type.Object(
      {
        registry_url: Type.String({ ...Url, default: '', description: 'the registry URL scanner adapters pull scanned images from (an address they can reach); empty: external_url' }),
        timeout: Type.Integer({ default: 3600, minimum: 10, maximum: 86400, description: 'seconds one scan (or SBOM generation) may take, from the scan request to the report, before it fails' }),
        refresh_min_seconds: Type.Number({ default: 1, minimum: 0.01, maximum: 300, description: "shortest wait between polls of a scan report, whatever the adapter's Refresh-After says" }),
        refresh_max_seconds: Type.Number({ default: 60, minimum: 0.01, maximum: 3600, description: "longest wait between polls of a scan report, whatever the adapter's Refresh-After says" }),
        request_timeout_seconds: Type.Integer({ default: 30, minimum: 1, maximum: 600, description: 'seconds one request to a scanner adapter may take' }),
        max_report_mib: Type.Integer({ default: 16, minimum: 1, maximum: 256, description: 'largest scan report read from an adapter (MiB); a larger one fails the scan' }),
      },
      { additionalProperties: false, default: {} },
    ),
    quota: Type.Object(
      {
        warning_percent: Type.Integer({ default: 85, minimum: 1, maximum: 100, description: "a QUOTA_WARNING event is recorded when a push takes a project's usage to this percentage of its limit" }),
      },
      { additionalProperties: false, default: {} },
    ),
    auth: Type.Object(
      {
        mode: Type.Union([Type.Literal('db_auth'), Type.Literal('ldap_auth')], { default: 'db_auth', description: 'where users are checked: the database or LDAP' }),
        self_registration: Type.Boolean({ default: false, description: 'whether anyone may create an (unprivileged) account' }),
        token_ttl_minutes: Type.Integer({ default: 30, minimum: 1, maximum: 1440, description: 'lifetime of registry tokens in minutes' }),
        session_ttl_minutes: Type.Integer({ default: 60, minimum: 1, maximum: 10080, description: 'idle lifetime of console sessions in minutes' }),
        session_max_hours: Type.Integer({ default: 12, minimum: 1, maximum: 720, description: 'absolute lifetime of console sessions in hours, however recently they were used' }),
        max_failed_logins: Type.Integer({ default: 5, minimum: 1, maximum: 1000, description: 'failed logins of one user before a temporary lockout' }),
        lockout_minutes: Type.Integer({ default: 15, minimum: 1, maximum: 1440, description: 'how long a locked-out user is refused' }),
        hash_concurrency: Type.Integer({ default: 0, minimum: 0, maximum: 64, description: 'password hashes run at once (each takes a core and 32 MiB); 0: half the cores, at least 1' }),
        hash_queue: Type.Integer({ default: 64, minimum: 0, maximum: 10000, description: 'password checks that may wait for a hash; past that logins get 429 with Retry-After' }),
        ldap: Type.Object(
          {
            url: Type.String({ default: '', pattern: '^(ldaps?://\\S+)?$', expected: 'an ldap:// or ldaps:// URL, or empty' }),
            search_dn: Type.String({ default: '', description: 'DN to bind as when searching' }),
            search_password: Type.String({ default: '', description: 'password of search_dn' }),
            base_dn: Type.String({ default: '', description: 'where users are searched' }),
            filter: Type.String({ default: '', description: 'extra LDAP filter users must match, e.g. (objectClass=person)' }),
            uid_attribute: Type.String({ default: 'uid', minLength: 1, description: 'attribute holding the login name' }),
            scope: Type.Union([Type.Literal('base'), Type.Literal('one'), Type.Literal('sub')], { default: 'sub', description: 'search scope' }),
            start_tls: Type.Boolean({ default: false, description: 'upgrade ldap:// connections with StartTLS' }),
            tls_verify: Type.Boolean({ default: true, description: 'verify the LDAP server certificate' }),
            ca_file: Type.String({ default: '', description: 'PEM file of the CA that signed the LDAP server certificate' }),
            timeout_seconds: Type.Integer({ default: 5, minimum: 1, maximum: 300, description: 'LDAP connect and operation timeout' }),
            group_base_dn: Type.String({ default: '', description: 'where groups are searched; empty: no groups' }),
            group_filter: Type.String({ default: '(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup))', description: 'LDAP filter for groups' }),
            group_name_attribute: Type.String({ default: 'cn', minLength: 1, description: 'attribute holding a group name' }),
            group_admin_dn: Type.String({ default: '', description: 'members of this group are system administrators' }),
          },
          { additionalProperties: false, default: {} },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    admin: Type.Object(
      {
        password: Type.String({ default: '', description: 'initial password of the admin user (used on first start)' }),
      },
      { additionalProperties: false, default: {} },
    ),
    metrics: Type.Object(
      {
        enabled: Type.Boolean({ default: false, description: 'serve Prometheus metrics on a listener of their own (http.host:metrics.port), outside the registry\'s authentication' }),
        port: Type.Integer({ default: 9090, minimum: 0, maximum: 65535, description: 'port of the metrics listener (0: any free port); must differ from http.port' }),
        path: Type.String({ default: '/metrics', pattern: '^/[A-Za-z0-9._~/-]{0,255}$', expected: 'a URL path starting with / (letters, digits, . _ ~ - /), e.g. /metrics' }),
        cache_seconds: Type.Integer({
          default: 30,
          minimum: 1,
          maximum: 3600,
          description: 'the cluster-wide gauges (projects, repositories, members, quotas, pulls, job queues) are computed from the database at most once per this many seconds across all nodes',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    log: Type.Object(
      {
        level: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info', description: 'log level' }),
      },
      { additionalProperties: false, default: {} },
    ),
    // Tracing (OpenTelemetry, OTLP over HTTP). Off: the SDK is never loaded and nothing is exported.
    tracing: Type.Object(
      {
        enabled: Type.Boolean({ default: false, description: 'export OpenTelemetry traces of requests, queries, storage, Redis, remote registries and jobs' }),
        endpoint: Type.String({
          default: 'http://127.0.0.1:4318/v1/traces',
          pattern: '^https?://[^\\s/]+(/[^\\s]*)?$',
          expected: 'the http(s) URL of an OTLP/HTTP traces receiver, such as http://127.0.0.1:4318/v1/traces',
        }),
        sample_rate: Type.Number({ default: 1, minimum: 0, maximum: 1, description: 'share of new traces recorded, 0 to 1 (a request that comes with a traceparent follows its sampled flag)' }),
        service_name: Type.String({ default: 'berth', minLength: 1, maxLength: 128, description: 'the service.name traces are exported under' }),
        headers: Type.String({
          default: '',
          maxLength: 8192,
          pattern: '^([ ]*[A-Za-z0-9!#$%&\'*+.^_`|~-]+[ ]*=[^,\\r\\n]*(,[ ]*[A-Za-z0-9!#$%&\'*+.^_`|~-]+[ ]*=[^,\\r\\n]*)*)?$',
          expected: 'comma-separated name=value pairs sent with every export (e.g. authorization=Bearer abc), or empty',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
)

export type Config = Static<typeof ConfigSchema>

const SECRET_KEYS = new Set(['admin.password', 'secret_key', 'auth.ldap.search_password', 's3.secret_key', 'tracing.headers'])

function configError(key: string, message: string): BerthError {
  return new BerthError('CONFIG_INVALID', `config key ${key}: ${message}`, { key })
}

/** Leaf settings of the schema, with their dotted path. */
function leaves(schema: TSchema, path: string[] = []): { path: string[]; schema: TSchema }[] {
  if (schema[Kind] === 'Object') {
    return Object.entries(schema.properties as Record<string, TSchema>).flatMap(([k, s]) => leaves(s, [...path, k]))
  }
  return [{ path, schema }]
}

export function envName(path: string[]): string {
  return `BERTH_${path.join('_').toUpperCase()}`
}

function fromEnv(raw: string, schema: TSchema, key: string): unknown {
  const type = schema[Kind]
  if (type === 'Integer' || type === 'Number') {
    if (!/^-?\d+(\.\d+)?$/.test(raw.trim())) throw configError(key, `expected a number, got ${JSON.stringify(raw)}`)
    return Number(raw)
  }
  if (type === 'Boolean') {
    if (!/^(true|false|1|0)$/i.test(raw)) throw configError(key, `expected true or false, got ${JSON.stringify(raw)}`)
    return /^(true|1)$/i.test(raw)
  }
  return raw
}

function describe(schema: TSchema): string {
  if (schema[Kind] === 'Union') return `one of ${(schema.anyOf as TSchema[]).map((s) => JSON.stringify(s.const)).join(', ')}`
  if (typeof schema.expected === 'string') return schema.expected
  const bits: string[] = [schema.description ?? schema[Kind]]
  if (schema.minimum !== undefined) bits.push(`>= ${schema.minimum}`)
  if (schema.exclusiveMinimum !== undefined) bits.push(`> ${schema.exclusiveMinimum}`)
  if (schema.maximum !== undefined) bits.push(`<= ${schema.maximum}`)
  if (schema[Kind] === 'Integer') bits.push('(an integer)')
  return bits.join(' ')
}

/**
 * Loads the effective configuration: defaults, then the YAML file (if any), then BERTH_* variables.
 * Throws CONFIG_INVALID naming the first bad key and what it expects.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, file: string | undefined = env.BERTH_CONFIG): Config {
  let doc: Record<string, unknown> = {}
  if (file !== undefined && file !== '') {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (err) {
      throw new BerthError('CONFIG_INVALID', `cannot read config file ${file}: ${(err as Error).message}`)
    }
    let parsed: unknown
    try {
      parsed = parseYaml(text)
    } catch (err) {
      throw new BerthError('CONFIG_INVALID', `config file ${file} is not valid YAML: ${(err as Error).message}`)
    }
    if (parsed !== null && parsed !== undefined) {
      if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new BerthError('CONFIG_INVALID', `config file ${file} must be a YAML mapping`)
      doc = parsed as Record<string, unknown>
    }
  }
  for (const leaf of leaves(ConfigSchema)) {
    const raw = env[envName(leaf.path)]
    if (raw === undefined) continue
    const key = leaf.path.join('.')
    let node = doc
    for (const p of leaf.path.slice(0, -1)) {
      if (typeof node[p] !== 'object' || node[p] === null) node[p] = {}
      node = node[p] as Record<string, unknown>
    }
    node[leaf.path[leaf.path.length - 1]!] = fromEnv(raw, leaf.schema, key)
  }
  const withDefaults = Value.Default(ConfigSchema, Value.Clone(doc))
  const first = Value.Errors(ConfigSchema, withDefaults).First()
  if (first !== undefined) {
    const key = first.path.replace(/^\//, '').replaceAll('/', '.') || '(root)'
    const leaf = leaves(ConfigSchema).find((l) => l.path.join('.') === key)
    if (leaf === undefined && first.message.includes('additional')) {
      throw configError(key, `is not a known setting`)
    }
    const unknown = unknownKey(withDefaults as Record<string, unknown>)
    if (unknown !== undefined) throw configError(unknown, 'is not a known setting')
    throw configError(key, `expected ${leaf ? describe(leaf.schema) : first.message}, got ${JSON.stringify(first.value)}`)
  }
  const config = withDefaults as Config
  if (config.storage.driver === 's3' && config.s3.bucket === '') throw configError('s3.bucket', 'must be set when storage.driver is s3')
  if (config.storage.driver !== 'filesystem' && config.storage.accel_redirect_prefix !== '') {
    throw configError('storage.accel_redirect_prefix', 'works with storage.driver filesystem only (nginx reads the files); with s3, s3.redirect hands blob GETs to the bucket')
  }
  if (config.auth.mode === 'ldap_auth') {
    for (const key of ['url', 'base_dn'] as const) {
      if (config.auth.ldap[key] === '') throw configError(`auth.ldap.${key}`, 'must be set when auth.mode is ldap_auth')
    }
  }
  if (config.jobs.housekeeping_cron !== '') {
    try {
      nextRun(config.jobs.housekeeping_cron)
    } catch (err) {
      throw configError('jobs.housekeeping_cron', (err as Error).message)
    }
  }
  if (config.metrics.enabled && config.metrics.port !== 0 && config.metrics.port === config.http.port) throw configError('metrics.port', `must differ from http.port (${config.http.port})`)
  if (config.external_url.endsWith('/')) config.external_url = config.external_url.replace(/\/+$/, '')
  if (config.scanning.registry_url.endsWith('/')) config.scanning.registry_url = config.scanning.registry_url.replace(/\/+$/, '')
  if (config.scanning.refresh_min_seconds > config.scanning.refresh_max_seconds) throw configError('scanning.refresh_min_seconds', 'must not be larger than scanning.refresh_max_seconds')
  return config
}

function unknownKey(doc: Record<string, unknown>, schema: TSchema = ConfigSchema, path: string[] = []): string | undefined {
  if (schema[Kind] !== 'Object' || typeof doc !== 'object' || doc === null) return undefined
  const props = schema.properties as Record<string, TSchema>
  for (const [k, v] of Object.entries(doc)) {
    if (!(k in props)) return [...path, k].join('.')
    const inner = unknownKey(v as Record<string, unknown>, props[k]!, [...path, k])
    if (inner !== undefined) return inner
  }
  return undefined
}

/** Paths derived from data_dir where a setting was left empty. */
export function resolvedPaths(config: Config): { dataDir: string; databaseUrl: string; storageRoot: string } {
  const dataDir = resolve(config.data_dir)
  const databaseUrl = config.database.url !== '' ? config.database.url : join(dataDir, 'berth.db')
  const storageRoot = config.storage.root !== '' ? (isAbsolute(config.storage.root) ? config.storage.root : resolve(config.storage.root)) : join(dataDir, 'storage')
  return { dataDir, databaseUrl, storageRoot }
}

/** The configuration with secrets masked, for printing. */
export function maskedConfig(config: Config): Config {
  const copy = Value.Clone(config) as Record<string, any>
  for (const key of SECRET_KEYS) {
    const path = key.split('.')
    const parent = path.slice(0, -1).reduce<Record<string, any>>((o, k) => o[k], copy)
    if (parent[path[path.length - 1]!]) parent[path[path.length - 1]!] = '********'
  }
  if (/\/\/[^/@]*:[^/@]*@/.test(copy.database.url)) copy.database.url = copy.database.url.replace(/\/\/([^/:@]*):[^/@]*@/, '//$1:********@')
  return copy as Config
}
