#!/usr/bin/env node
// Builds the web console (web/) into dist/web, after the server is compiled:
//   1. Berth's OpenAPI document -> web/src/api/openapi.json -> web/src/api/schema.d.ts
//      (openapi-typescript), so the console's client is typed from the API it talks to;
//   2. a type check of web/ (tsc --noEmit): a console that no longer fits the API fails here;
//   3. vite build -> dist/web (hashed assets, index.html);
//   4. a brotli and a gzip copy of each compressible asset beside it (file.js.br, file.js.gz),
//      which the server sends to clients that take them (src/http/console.ts).
// Skipped when nothing it reads changed since the last build (a hash of web/, the document and
// the lockfile is kept in dist/web/.inputs).
import { createHash } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'

const root = new URL('..', import.meta.url).pathname
const web = join(root, 'web')
const out = join(root, 'dist', 'web')
const api = join(web, 'src', 'api')
const bin = (name) => join(root, 'node_modules', '.bin', name)
const run = (cmd, args) => {
  try {
    execFileSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] })
  } catch {
    console.error(`build-web: ${cmd.split('/').pop()} failed (above)`)
    process.exit(1)
  }
}

const doc = execFileSync(process.execPath, [join(root, 'scripts', 'openapi.mjs')], { cwd: root, maxBuffer: 64 << 20 }).toString()
const docPath = join(api, 'openapi.json')
if (!existsSync(docPath) || readFileSync(docPath, 'utf8') !== doc) writeFileSync(docPath, doc)

const hash = createHash('sha256')
const walk = (dir) => {
  for (const e of readdirSync(dir).sort()) {
    if (e === 'node_modules' || e === 'schema.d.ts') continue
    const p = join(dir, e)
    if (statSync(p).isDirectory()) walk(p)
    else hash.update(p).update(readFileSync(p))
  }
}
walk(web)
hash.update(readFileSync(join(root, 'package-lock.json')))
const inputs = hash.digest('hex')
const stamp = join(out, '.inputs')
if (existsSync(stamp) && readFileSync(stamp, 'utf8') === inputs && existsSync(join(out, 'index.html'))) process.exit(0)

run(bin('openapi-typescript'), [docPath, '-o', join(api, 'schema.d.ts'), '--alphabetize'])
run(bin('tsc'), ['-p', join(web, 'tsconfig.json'), '--noEmit'])
run(bin('vite'), ['build', '--config', join(web, 'vite.config.ts'), '--logLevel', 'warn'])
const assets = join(out, 'assets')
for (const name of readdirSync(assets)) {
  if (!/\.(js|css|svg|json)$/.test(name)) continue
  const body = readFileSync(join(assets, name))
  writeFileSync(join(assets, `${name}.br`), brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } }))
  writeFileSync(join(assets, `${name}.gz`), gzipSync(body, { level: 9 }))
}
writeFileSync(stamp, inputs)
