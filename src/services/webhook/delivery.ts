// One delivery of a webhook payload: a POST through the outbound guard (every connection judged
// by the address it reaches; metadata addresses refused), bounded in time and in what is read
// back, redirects not followed (a redirect could lead the payload and its auth header elsewhere).
// Signed with HMAC-SHA256 when the target has a signing secret, so a receiver can verify it:
//
//   X-Berth-Timestamp: <unix seconds>
//   X-Berth-Signature: sha256=<hex of HMAC-SHA256(secret, "<timestamp>.<body>")>
import { createHmac } from 'node:crypto'
import { request, type Dispatcher } from 'undici'
import { BerthError } from '../../lib/errors.js'
import { PermanentJobError } from '../../jobs/job-service.js'

/** How long a receiver has to answer. */
export const DELIVERY_TIMEOUT_MS = 10_000
/** Bytes of a receiver's answer read back (for the log); the rest is dropped. */
const MAX_ANSWER = 2048

export interface Delivery {
  address: string
  body: string
  contentType: string
  /** Sent as Authorization when set. */
  authHeader?: string
  signingSecret?: string
  eventType: string
  /** A stable id of this delivery (its task), the same on every retry: receivers may deduplicate by it. */
  deliveryId: string
  userAgent: string
}

export interface DeliveryResult {
  status: number
  answer: string
}

/** The signature header's value for `body` sent at `timestamp` (unix seconds). */
export function signature(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`
}

/**
 * Posts the payload. Resolves with the receiver's status when it is 2xx; otherwise throws: an
 * Error to retry (5xx, 408, 429, a network failure, a timeout) or a PermanentJobError (another 4xx,
 * a redirect, an address the guard refuses), which ends the delivery at once.
 */
export async function deliver(d: Delivery, dispatcher: Dispatcher, signal?: AbortSignal): Promise<DeliveryResult> {
  const timestamp = Math.floor(Date.now() / 1000)
  const headers: Record<string, string> = {
    'content-type': d.contentType,
    'user-agent': d.userAgent,
    'x-berth-event': d.eventType,
    'x-berth-delivery': d.deliveryId,
    'x-berth-timestamp': String(timestamp),
  }
  if (d.authHeader !== undefined && d.authHeader !== '') headers.authorization = d.authHeader
  if (d.signingSecret !== undefined && d.signingSecret !== '') headers['x-berth-signature'] = signature(d.signingSecret, timestamp, d.body)
  const timeout = AbortSignal.timeout(DELIVERY_TIMEOUT_MS)
  let res: Dispatcher.ResponseData
  try {
    res = await request(d.address, { method: 'POST', headers, body: d.body, signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]), dispatcher })
  } catch (err) {
    if (err instanceof BerthError) throw new PermanentJobError(err.message)
    const e = err as Error & { cause?: Error }
    if (e.cause instanceof BerthError) throw new PermanentJobError(e.cause.message)
    if (timeout.aborted) throw new Error(`POST ${d.address}: no answer within ${DELIVERY_TIMEOUT_MS / 1000} s`)
    throw new Error(`POST ${d.address}: ${e.message}`)
  }
  const answer = await readSome(res.body)
  const status = res.statusCode
  if (status >= 200 && status < 300) return { status, answer }
  const what = `POST ${d.address}: ${status}${answer === '' ? '' : ` ${answer.slice(0, 200)}`}`
  if (status >= 300 && status < 400) throw new PermanentJobError(`${what} (redirects are not followed: give the address it points to)`)
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) throw new PermanentJobError(what)
  throw new Error(what)
}

/** The first bytes of a body as text; the rest is read and dropped, so the connection can be reused. */
async function readSome(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of body) {
      const b = chunk as Buffer
      if (size < MAX_ANSWER) chunks.push(b.subarray(0, MAX_ANSWER - size))
      size += b.length
      // A receiver that keeps talking is not listened to.
      if (size > 64 * MAX_ANSWER) {
        body.destroy()
        break
      }
    }
  } catch {
    // An answer cut short says nothing more.
  }
  return Buffer.concat(chunks).toString('utf8').replace(/[\x00-\x1f\x7f]+/g, ' ').trim()
}
