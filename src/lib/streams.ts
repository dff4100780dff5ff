// Small stream helpers shared by the HTTP edge and services.
import type { Readable } from 'node:stream'
import { BerthError, type ErrorCode } from './errors.js'

/**
 * Reads a stream into one Buffer, refusing more than `max` bytes with `code`. For small bodies
 * only (manifests): blobs are never read this way.
 */
export async function readCapped(stream: Readable, max: number, code: ErrorCode): Promise<Buffer> {
  const chunks: Buffer[] = []
  let total = 0
  for await (const chunk of stream) {
    total += (chunk as Buffer).length
    if (total > max) {
      stream.destroy()
      throw new BerthError(code, `body is larger than ${max} bytes`, { limit: max })
    }
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks, total)
}
