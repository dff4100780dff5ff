// How executions and tasks read: each status as a catalogue key and a label colour, each
// trigger, registry type, operation and resource type as a catalogue key, and an execution's progress from its counts.
import type { LabelProps } from '@patternfly/react-core'

export interface StatusLook {
  /** Catalogue key, or null for a status this console does not know (shown as the server wrote it). */
  key: string | null
  color: NonNullable<LabelProps['color']>
}

const STATUS: Record<string, StatusLook> = {
  Pending: { key: 'replication.status.pending', color: 'grey' },
  InProgress: { key: 'replication.status.inProgress', color: 'blue' },
  Succeed: { key: 'replication.status.succeed', color: 'green' },
  Failed: { key: 'replication.status.failed', color: 'red' },
  Stopped: { key: 'replication.status.stopped', color: 'orange' },
}

export function statusLook(status: string): StatusLook {
  return Object.hasOwn(STATUS, status) ? STATUS[status]! : { key: null, color: 'grey' }
}

/** Statuses a list can be filtered by, in the order a menu shows them. */
export const EXECUTION_STATUSES = ['InProgress', 'Succeed', 'Failed', 'Stopped'] as const
export const TASK_STATUSES = ['Pending', 'InProgress', 'Succeed', 'Failed', 'Stopped'] as const

/** Whether an execution or task may still change (and so is worth polling). */
export function isRunning(status: string): boolean {
  return status === 'InProgress' || status === 'Pending'
}

export const TRIGGER: Record<string, string> = {
  manual: 'replication.trigger.manual',
  scheduled: 'replication.trigger.scheduled',
  event_based: 'replication.trigger.eventBased',
  reconcile: 'replication.trigger.reconcile',
}

export const REGISTRY_TYPE: Record<string, string> = {
  berth: 'replication.type.berth',
  harbor: 'replication.type.harbor',
  'docker-registry': 'replication.type.dockerRegistry',
  'docker-hub': 'replication.type.dockerHub',
}

export const OPERATION: Record<string, string> = {
  copy: 'replication.operation.copy',
  deletion: 'replication.operation.deletion',
}

export const RESOURCE_TYPE: Record<string, string> = {
  image: 'replication.policy.resourceImage',
  artifact: 'replication.policy.resourceArtifact',
}

export interface ExecutionCounts {
  status: string
  total: number
  succeed: number
  failed: number
  stopped: number
  in_progress: number
}

export interface Progress {
  /** Tasks that ended, whichever way. */
  done: number
  total: number
  /** 0 to 100. */
  percent: number
  variant: 'success' | 'danger' | 'warning' | undefined
}

/**
 * An execution's progress: ended tasks over all tasks. An ended execution is complete even with
 * no tasks (nothing matched); one still planning its tasks has none yet and stands at 0.
 */
export function progressOf(e: ExecutionCounts): Progress {
  const done = Math.min(e.total, e.succeed + e.failed + e.stopped)
  const ended = !isRunning(e.status)
  const percent = e.total > 0 ? (done / e.total) * 100 : ended ? 100 : 0
  const variant = e.failed > 0 || e.status === 'Failed' ? 'danger' : e.status === 'Stopped' ? 'warning' : e.status === 'Succeed' ? 'success' : undefined
  return { done, total: e.total, percent, variant }
}
