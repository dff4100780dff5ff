// The hint the configuration tab shows beside a content-trust checkbox that is on, when the
// project trusts keys of that kind (the trusted keys tab lists them).
import { useTranslation } from 'react-i18next'
import { useQuery } from '@tanstack/react-query'
import { HelperText, HelperTextItem } from '@patternfly/react-core'
import { trustCounts, trustedKeysQuery, type KeyKind } from './trusted-keys'

/**
 * Beside a content-trust checkbox that is on: only signatures verified against the project's
 * keys of that kind count, when it trusts any (nothing when it does not, or when the caller may not read them).
 */
export function TrustHint({ projectId, kind }: { projectId: number; kind: KeyKind }) {
  const { t } = useTranslation()
  const q = useQuery({ ...trustedKeysQuery(projectId), retry: false })
  const n = trustCounts(q.data ?? [])[kind]
  if (n === 0) return null
  return (
    <HelperText className="pf-v6-u-ml-lg">
      <HelperTextItem>{t(kind === 'cosign' ? 'security.keys.cosignHint' : 'security.keys.notationHint', { count: n })}</HelperTextItem>
    </HelperText>
  )
}
