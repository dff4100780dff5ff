// Parsing of the request headers the distribution API gives meaning to.
import { BerthError } from '../../lib/errors.js'
import { bareMediaType } from '../../oci/media-types.js'
import type { ChunkRange } from '../../services/registry/blob-service.js'

/** Content-Range of an upload chunk: "start-end" (the spec), also "bytes start-end/total" and "bytes=start-end". */
export function parseContentRange(header: string | undefined): ChunkRange | undefined {
  if (header === undefined || header === '') return undefined
  const m = /^(?:bytes[ =])?(\d{1,15})-(\d{1,15})(?:\/(?:\d{1,15}|\*))?$/.exec(header.trim())
  if (m === null) throw new BerthError('BLOB_UPLOAD_INVALID', 'Content-Range must be "<start>-<end>"', { contentRange: header.slice(0, 100) })
  const start = Number(m[1])
  const end = Number(m[2])
  if (end < start) throw new BerthError('CHUNK_OUT_OF_ORDER', 'Content-Range end is before its start')
  return { start, end }
}

export function parseContentLength(header: string | undefined): number | undefined {
  if (header === undefined) return undefined
  if (!/^\d{1,15}$/.test(header)) throw new BerthError('SIZE_INVALID', 'invalid Content-Length')
  return Number(header)
}

/**
 * A single byte range of a `Range: bytes=...` header, resolved against `size`. Returns undefined
 * when the header is absent, names another unit, or asks for several ranges (the whole body is
 * sent then, as RFC 9110 allows). Throws RANGE_NOT_SATISFIABLE (416) for a byte range that is
 * malformed (`bytes=abc`, `bytes=-5-10`), reversed (`bytes=20-10`) or past the end: the client
 * asked for part of the blob, and sending all of it instead would be taken for that part.
 */
export function parseRange(header: string | undefined, size: number): { offset: number; length: number } | undefined {
  if (header === undefined) return undefined
  const value = header.trim()
  if (!/^bytes=/i.test(value) || value.includes(',')) return undefined
  const m = /^bytes=(\d{0,15})-(\d{0,15})$/i.exec(value)
  if (m === null || (m[1] === '' && m[2] === '')) throw notSatisfiable(size)
  let start: number
  let end: number
  if (m[1] === '') {
    const suffix = Number(m[2])
    if (suffix === 0) throw notSatisfiable(size)
    start = Math.max(0, size - suffix)
    end = size - 1
  } else {
    start = Number(m[1])
    if (m[2] !== '' && Number(m[2]) < start) throw notSatisfiable(size)
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)
  }
  if (start >= size) throw notSatisfiable(size)
  return { offset: start, length: end - start + 1 }
}

function notSatisfiable(size: number): BerthError {
  return new BerthError('RANGE_NOT_SATISFIABLE', 'range not satisfiable', { size })
}

/**
 * Media types listed in Accept headers, without parameters; those with q=0 are left out.
 * Null when there is no Accept header at all (anything goes).
 */
export function acceptedTypes(header: string | string[] | undefined): string[] | null {
  if (header === undefined || (Array.isArray(header) && header.length === 0)) return null
  const all = Array.isArray(header) ? header.join(',') : header
  const out: string[] = []
  for (const part of all.split(',')) {
    if (/;\s*q=0(\.0*)?\s*(;|$)/.test(part)) continue
    const t = bareMediaType(part)
    if (t !== undefined) out.push(t)
  }
  return out
}

/** Whether a manifest of `mediaType` may be sent to a client that sent `accepted`. */
export function isAcceptable(mediaType: string, accepted: string[] | null): boolean {
  return accepted === null || accepted.includes(mediaType) || accepted.includes('*/*') || accepted.includes('application/*')
}
