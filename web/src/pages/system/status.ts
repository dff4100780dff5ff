// The words of job and component statuses as the console shows them: Harbor's job statuses
// (Pending, Running, Success, Error, Stopped, Scheduled), replication's (InProgress, Succeed,
// Failed) and health's (healthy, unhealthy), each with the look of its label.
export type Tone = 'success' | 'danger' | 'warning' | 'info' | 'neutral'

export interface StatusLook {
  key: string
  tone: Tone
  /** Still going: it may be stopped, and its list refreshes. */
  active: boolean
}

const PENDING: StatusLook = { key: 'system.status.pending', tone: 'neutral', active: true }
const RUNNING: StatusLook = { key: 'system.status.running', tone: 'info', active: true }
const SUCCESS: StatusLook = { key: 'system.status.success', tone: 'success', active: false }
const ERROR: StatusLook = { key: 'system.status.error', tone: 'danger', active: false }
const STOPPED: StatusLook = { key: 'system.status.stopped', tone: 'warning', active: false }
const SCHEDULED: StatusLook = { key: 'system.status.scheduled', tone: 'neutral', active: true }

const RUN_STATUSES: Record<string, StatusLook> = {
  Pending: PENDING,
  Running: RUNNING,
  InProgress: RUNNING,
  Success: SUCCESS,
  Succeed: SUCCESS,
  Error: ERROR,
  Failed: ERROR,
  Stopped: STOPPED,
  Scheduled: SCHEDULED,
}

/** A run's status, or null for a word the console does not know (shown as the server wrote it). */
export function runStatus(status: string): StatusLook | null {
  return Object.hasOwn(RUN_STATUSES, status) ? RUN_STATUSES[status]! : null
}

const HEALTH: Record<string, StatusLook> = {
  healthy: { key: 'system.health.healthy', tone: 'success', active: false },
  unhealthy: { key: 'system.health.unhealthy', tone: 'danger', active: false },
}

export function healthStatus(status: string): StatusLook | null {
  return Object.hasOwn(HEALTH, status) ? HEALTH[status]! : null
}

/** Names of the components /health reports, in the console's words. */
export const COMPONENT_KEYS: Record<string, string> = {
  core: 'system.health.component.core',
  database: 'system.health.component.database',
  storage: 'system.health.component.storage',
  redis: 'system.health.component.redis',
}
