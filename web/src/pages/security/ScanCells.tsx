// How a scan reads in lists: the counts by severity as coloured labels, and an artifact's scan
// state (not scanned, scanning, failed, stopped, or its findings).
import { useTranslation } from 'react-i18next'
import { Label, LabelGroup, Spinner } from '@patternfly/react-core'
import './security.css'
import { SEVERITY_COLORS, SEVERITY_KEYS, scanStateOf, type Severity } from './severity'

export function SeverityLabel({ severity, count }: { severity: Severity; count?: number }) {
  const { t } = useTranslation()
  const name = t(SEVERITY_KEYS[severity])
  return <Label color={SEVERITY_COLORS[severity]} isCompact>{count === undefined ? name : t('security.countOf', { severity: name, count })}</Label>
}

export function SeverityCounts({ counts, label }: { counts: { severity: Severity; count: number }[]; label: string }) {
  return (
    <LabelGroup aria-label={label} numLabels={6}>
      {counts.map((c) => (
        <SeverityLabel key={c.severity} severity={c.severity} count={c.count} />
      ))}
    </LabelGroup>
  )
}

/** An artifact's scan_overview in a cell. */
export function ScanCell({ overview }: { overview: unknown }) {
  const { t } = useTranslation()
  const s = scanStateOf(overview)
  switch (s.kind) {
    case 'none':
      return <span className="berth-scan-note">{t('security.scan.notScanned')}</span>
    case 'running':
      return (
        <span>
          <Spinner size="sm" aria-valuetext={t('security.scan.running')} /> {t('security.scan.running')}
        </span>
      )
    case 'error':
      return <Label color="red" isCompact>{t('security.scan.error')}</Label>
    case 'stopped':
      return <Label isCompact>{t('security.scan.stopped')}</Label>
    case 'done':
      if (s.total === 0) return <Label color="green" isCompact>{t('security.scan.clean')}</Label>
      return (
        <>
          <SeverityCounts counts={s.counts} label={t('security.scan.found', { count: s.total })} />
          {s.fixable > 0 && <div className="berth-scan-note">{t('security.scan.fixable', { count: s.fixable })}</div>}
        </>
      )
  }
}
