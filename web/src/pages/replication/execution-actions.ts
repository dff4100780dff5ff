// What can be done to executions: start one of a policy, stop one while it runs, run its failed
// tasks again once it ended; and how often a page with one running asks again.
import { api, ok } from '../../api/client'
import type { Execution } from './api-types'
import { isRunning } from './status'

/** How often a page showing a running execution reads it again. */
export const POLL_MS = 2000

/** Starts a run of the policy; the server's refusal (one already running, disabled) is thrown. */
export async function replicateNow(policyId: number): Promise<void> {
  ok(await api.POST('/api/v2.0/replication/executions', { body: { policy_id: policyId } }))
}

export const canStop = (e: Pick<Execution, 'status'>) => isRunning(e.status)
export const canRetry = (e: Pick<Execution, 'status' | 'failed'>) => !isRunning(e.status) && e.failed > 0

export async function stopExecution(id: number): Promise<void> {
  ok(await api.PUT('/api/v2.0/replication/executions/{id}', { params: { path: { id: String(id) } } }))
}

/** The number of failed tasks started again. */
export async function retryExecution(id: number): Promise<number> {
  return ok(await api.POST('/api/v2.0/replication/executions/{id}/retry', { params: { path: { id: String(id) } } })).retried
}
