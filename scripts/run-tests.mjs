#!/usr/bin/env node
// Runs every compiled test file (dist/**/*.test.js) with node's test runner and, beside it, the
// console's component tests (vitest over web/src/**/*.test.ts(x)); fails when either fails.
// Node 20's `node --test` takes no globs, so the file list is gathered here.
// Usage: npm test [-- <substring filter on file paths>...]
//   A filter selects the node test files whose path contains it; the component tests run when
//   there is no filter or a filter names web (`web` runs them all, `web/src/pages/access` those
//   under that folder).
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { spawn } from 'node:child_process'

const root = new URL('..', import.meta.url).pathname

function collect(dir, out) {
  for (const entry of readdirSync(dir)) {
    const full = join(dir, entry)
    if (statSync(full).isDirectory()) collect(full, out)
    else if (entry.endsWith('.test.js')) out.push(full)
  }
  return out
}

const filters = process.argv.slice(2)
const files = collect(join(root, 'dist'), [])
  .map((f) => f.slice(root.length))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort()
const webFilters = filters.filter((s) => s === 'web' || s.startsWith('web/'))
const runWeb = filters.length === 0 || webFilters.length > 0
if (files.length === 0 && !runWeb) {
  console.error('no test files matched')
  process.exit(1)
}

/** Resolves to the child's exit code (1 when a signal ended it). */
function run(cmd, args, stdio) {
  const child = spawn(cmd, args, { cwd: root, stdio })
  const output = []
  child.stdout?.on('data', (d) => output.push(d))
  child.stderr?.on('data', (d) => output.push(d))
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output: Buffer.concat(output) })))
}

// --test-force-exit: a test file whose tests are done exits even if a leaked handle would keep it alive.
const node = files.length > 0 ? run(process.execPath, ['--test', '--test-concurrency=2', '--test-force-exit', ...files], 'inherit') : null
// The component tests' report is held back and printed after node's, so that the two do not interleave.
const web = runWeb
  ? run(join(root, 'node_modules', '.bin', 'vitest'), ['run', '--config', 'web/vite.config.ts', ...webFilters.filter((s) => s !== 'web')], ['ignore', 'pipe', 'pipe'])
  : null

const nodeResult = node === null ? null : await node
const webResult = web === null ? null : await web
if (webResult !== null) {
  process.stdout.write('\n# component tests (vitest run --config web/vite.config.ts)\n')
  process.stdout.write(webResult.output)
}
const failed = []
if (nodeResult !== null && nodeResult.code !== 0) failed.push('node tests')
if (webResult !== null && webResult.code !== 0) failed.push('component tests')
if (nodeResult !== null && webResult !== null) console.log(failed.length === 0 ? '\n# node tests and component tests passed' : `\n# failed: ${failed.join(', ')}`)
process.exit(failed.length === 0 ? 0 : 1)
