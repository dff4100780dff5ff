// The status of a run or a task (the execution/task model's Pending, Running, Success, Error,
// Stopped), as a coloured label in the console's language.
import { Label } from '@patternfly/react-core'
import { useTranslation } from 'react-i18next'

const STATUS: Record<string, { key: string; color: 'grey' | 'blue' | 'green' | 'red' | 'orange' }> = {
  Pending: { key: 'policy.status.pending', color: 'grey' },
  Scheduled: { key: 'policy.status.pending', color: 'grey' },
  Running: { key: 'policy.status.running', color: 'blue' },
  Success: { key: 'policy.status.success', color: 'green' },
  Error: { key: 'policy.status.error', color: 'red' },
  Stopped: { key: 'policy.status.stopped', color: 'orange' },
}

/** How often a list with a run or task still going is read again. */
export const LIVE_MS = 2000

/** Whether a run or task with this status may still change (lists poll while one does). */
export function isActive(status: string): boolean {
  return status === 'Pending' || status === 'Running' || status === 'Scheduled'
}

export function StatusLabel({ status }: { status: string }) {
  const { t } = useTranslation()
  const s = STATUS[status]
  return <Label color={s?.color ?? 'grey'}>{s === undefined ? status : t(s.key)}</Label>
}
