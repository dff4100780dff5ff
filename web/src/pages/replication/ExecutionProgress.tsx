// An execution's tasks done out of all, as a bar with the counts beside it.
import { Progress, ProgressMeasureLocation, ProgressSize } from '@patternfly/react-core'
import { useTranslation } from 'react-i18next'
import { useFormat } from '../../lib/format'
import { progressOf, type ExecutionCounts } from './status'

export function ExecutionProgress({ execution, id }: { execution: ExecutionCounts; id: string }) {
  const { t } = useTranslation()
  const f = useFormat()
  const p = progressOf(execution)
  const text = t('replication.progress.text', { done: f.number(p.done), total: f.number(p.total) })
  return (
    <Progress
      id={id}
      value={p.percent}
      size={ProgressSize.sm}
      measureLocation={ProgressMeasureLocation.outside}
      label={text}
      valueText={`${text} (${f.percent(p.percent / 100)})`}
      aria-label={t('replication.progress.label')}
      {...(p.variant !== undefined ? { variant: p.variant } : {})}
    />
  )
}
