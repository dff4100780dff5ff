// Small stream helpers shared by the HTTP edge and services.
import type { Readable } from 'node:stream'
import { BerthError, type ErrorCode } from './errors.js'

/**
 * Reads a stream into one Buffer, refusing more than `max` bytes with `code`. For small bodies
 * only (manifests): blobs are never read this way.
 */
export function readCapped(stream: Readable, max: number, code: ErrorCode): Promise<Buffer> {
  // Past the cap, reading stops without destroying the stream: for an HTTP request that would
  // close the socket before the error reply is written. The edge drains or closes it.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let total = 0
    const stop = (err?: Error) => {
      stream.off('data', onData).off('end', onEnd).off('error', stop)
      if (err !== undefined) reject(err)
    }
    const onData = (chunk: Buffer) => {
      total += chunk.length
      if (total > max) {
        stop(new BerthError(code, `body is larger than ${max} bytes`, { limit: max }))
        return
      }
      chunks.push(chunk)
    }
    const onEnd = () => {
      stop()
      resolve(Buffer.concat(chunks, total))
    }
    stream.on('data', onData).once('end', onEnd).once('error', stop)
  })
}
