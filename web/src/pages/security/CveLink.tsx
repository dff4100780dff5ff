// A CVE id linking out to its advisory: NVD for CVE ids, GitHub for GHSA ids; other ids as text.
import { useTranslation } from 'react-i18next'

export function advisoryUrl(id: string): string | null {
  if (/^CVE-\d{4}-\d{4,}$/i.test(id)) return `https://nvd.nist.gov/vuln/detail/${encodeURIComponent(id.toUpperCase())}`
  if (/^GHSA(-[23456789cfghjmpqrvwx]{4}){3}$/i.test(id)) return `https://github.com/advisories/${encodeURIComponent(id)}`
  return null
}

export function CveLink({ id }: { id: string }) {
  const { t } = useTranslation()
  const url = advisoryUrl(id)
  if (url === null) return <>{id}</>
  return (
    <a href={url} target="_blank" rel="noopener noreferrer" aria-label={t('security.advisoryOf', { id })}>
      {id}
    </a>
  )
}
