// How much of its limit a project uses, as a bar (amber from 80 %, red when full), or the bytes
// alone when it has no limit.
import { Progress, ProgressMeasureLocation, ProgressSize } from '@patternfly/react-core'
import { useTranslation } from 'react-i18next'
import { useFormat } from '../../lib/format'
import { usageFraction, usageVariant } from './quota'

/** `percent`: the bar is labelled with the share only (where the bytes are in columns beside it). */
export function QuotaUsage({ used, hard, name, percent }: { used: number; hard: number; name: string; percent?: boolean }) {
  const { t } = useTranslation()
  const f = useFormat()
  const fraction = usageFraction(used, hard)
  if (fraction === null) return <>{t('system.quota.usedUnlimited', { used: f.bytes(used) })}</>
  const variant = usageVariant(fraction)
  const text = t('system.quota.usedOf', { used: f.bytes(used), limit: f.bytes(hard) })
  return (
    <Progress
      value={Math.min(100, fraction * 100)}
      label={percent === true ? f.percent(fraction) : text}
      valueText={text}
      aria-label={t('system.quota.usageOf', { name })}
      measureLocation={ProgressMeasureLocation.outside}
      size={ProgressSize.sm}
      {...(variant !== undefined ? { variant } : {})}
    />
  )
}
