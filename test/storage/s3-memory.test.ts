// The S3 driver streams: a 64 MiB write (and reading it back) must not grow the process's RSS by more
// than ~32 MiB. The fake S3 runs in a child process, so what is measured is this process: the driver,
// the SDK and the test's source of bytes.
//
// Garbage is collected every 4 MiB of data (the test enables global.gc at run time): left alone, V8
// lets up to 64 MiB of dead Buffers pile up before it collects them (its external-memory trigger),
// which would measure V8's patience, not what the driver keeps alive.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { S3Driver } from '../../src/storage/drivers/s3.js'
import { driverFor, startS3Process } from '../support/s3-server.js'

const MiB = 1024 * 1024
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/** `total` bytes in 256 KiB chunks, each made on demand, hashed as they go. */
function source(total: number, seed: number): { stream: Readable; digest(): string } {
  const hash = createHash('sha256')
  let sent = 0
  const stream = new Readable({
    highWaterMark: MiB,
    read() {
      if (sent >= total) return void this.push(null)
      if (sent % (4 * MiB) === 0) gc()
      const chunk = Buffer.alloc(Math.min(256 * 1024, total - sent), (seed + sent / 4096) & 0xff)
      chunk.writeUInt32BE(sent, 0)
      sent += chunk.length
      hash.update(chunk)
      this.push(chunk)
    },
  })
  return { stream, digest: () => hash.digest('hex') }
}

/** Runs `fn`, sampling RSS every 2 ms; returns the growth over the RSS before, in MiB. */
async function rssGrowth(fn: () => Promise<void>): Promise<number> {
  gc()
  const before = process.memoryUsage.rss()
  let peak = before
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss())
  }, 2)
  try {
    await fn()
  } finally {
    clearInterval(timer)
  }
  return (Math.max(peak, process.memoryUsage.rss()) - before) / MiB
}

describe('S3 driver memory', { timeout: 60_000 }, () => {
  let s3: Awaited<ReturnType<typeof startS3Process>>
  let driver: S3Driver
  before(async () => {
    s3 = await startS3Process()
    driver = driverFor(s3, { prefix: 'memory' })
  })
  after(async () => {
    driver?.destroy()
    await s3?.stop()
  })

  const write = async (path: string, total: number, seed: number): Promise<string> => {
    const src = source(total, seed)
    const w = await driver.write(path)
    await pipeline(src.stream, w.stream)
    assert.equal(await w.commit(), total)
    return src.digest()
  }
  const readDigest = async (path: string): Promise<string> => {
    const hash = createHash('sha256')
    let n = 0
    await pipeline(await driver.read(path), async function* (chunks) {
      for await (const c of chunks) {
        hash.update(c as Buffer)
        n += (c as Buffer).length
        if (n >= 4 * MiB) {
          n = 0
          gc()
        }
      }
    })
    return hash.digest('hex')
  }

  it('writes and reads back 64 MiB without growing RSS by more than 32 MiB', async () => {
    // Warm up with a write of a few parts: the SDK's code, its connections, the allocator's first arenas.
    assert.equal(await readDigest('warm/data').catch(() => ''), '')
    await write('warm/data', 12 * MiB, 1)
    let digest = ''
    const writing = await rssGrowth(async () => {
      digest = await write('big/data', 64 * MiB, 2)
    })
    let back = ''
    const reading = await rssGrowth(async () => {
      back = await readDigest('big/data')
    })
    console.log(`# RSS growth: write of 64 MiB +${writing.toFixed(1)} MiB, read +${reading.toFixed(1)} MiB`)
    assert.equal(back, digest)
    assert.equal((await driver.stat('big/data'))?.size, 64 * MiB)
    assert.ok(writing <= 32, `the write grew RSS by ${writing.toFixed(1)} MiB`)
    assert.ok(reading <= 32, `the read grew RSS by ${reading.toFixed(1)} MiB`)
  })
})
