// Scanning in the artifact list: the Scan, Generate SBOM and Stop scan buttons for the selected
// artifacts (offered when the project has a scanner and the caller may scan), and whether a
// list is signed. The list polls while one of its artifacts is being scanned.
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { Button, Label } from '@patternfly/react-core'
import { api, ok } from '../../api/client'
import { useToast } from '../../components/Toasts'
import { useUser } from '../../auth/session'
import { repoParams } from '../repositories/artifacts'
import { projectScannerQuery } from './project-scanner'

type ScanType = 'vulnerability' | 'sbom'
type Verb = 'scan' | 'sbom' | 'stop'

/** How often a list with a running scan asks again. */
export const SCAN_POLL_MS = 3000

export function useScanActions(projectName: string, repo: string, can: (resource: string, action: string) => boolean, listKey: readonly unknown[]) {
  const { t } = useTranslation()
  const toast = useToast()
  const client = useQueryClient()
  const user = useUser()
  // Only those who may scan need to know the scanner.
  const mayScan = can('scan', 'create') || can('sbom', 'create') || can('scan', 'stop')
  const scanner = useQuery({ ...projectScannerQuery(projectName, user.sysadmin_flag), enabled: mayScan })
  const [busy, setBusy] = useState<Verb | null>(null)
  const hasScanner = scanner.data !== undefined && scanner.data !== null && !scanner.data.disabled
  const canScan = hasScanner && can('scan', 'create')
  const canSbom = hasScanner && can('sbom', 'create')
  const canStop = hasScanner && (can('scan', 'stop') || can('sbom', 'stop'))

  const act = async (verb: Verb, digests: string[], done: () => void) => {
    setBusy(verb)
    let started = 0
    try {
      for (const reference of digests) {
        const path = { ...repoParams(projectName, repo), reference }
        const scanType: ScanType = verb === 'sbom' ? 'sbom' : 'vulnerability'
        if (verb === 'stop') ok(await api.POST('/api/v2.0/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}/scan/stop', { params: { path }, body: { scan_type: scanType } }))
        else ok(await api.POST('/api/v2.0/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}/scan', { params: { path }, body: { scan_type: scanType } }))
        started++
      }
      done()
    } catch (e) {
      toast('danger', (e as Error).message)
    } finally {
      if (started > 0) toast('success', t(verb === 'stop' ? 'security.scan.stopRequested' : verb === 'sbom' ? 'security.scan.sbomStarted' : 'security.scan.started', { count: started }))
      setBusy(null)
      await client.invalidateQueries({ queryKey: listKey })
    }
  }

  const buttons = (digests: string[], clear: () => void) => (
    <>
      {canScan && (
        <Button variant="secondary" isLoading={busy === 'scan'} isDisabled={busy !== null} onClick={() => void act('scan', digests, clear)}>
          {t('security.scan.scan', { count: digests.length })}
        </Button>
      )}
      {canSbom && (
        <Button variant="secondary" isLoading={busy === 'sbom'} isDisabled={busy !== null} onClick={() => void act('sbom', digests, clear)}>
          {t('security.scan.sbom', { count: digests.length })}
        </Button>
      )}
      {canStop && (
        <Button variant="secondary" isLoading={busy === 'stop'} isDisabled={busy !== null} onClick={() => void act('stop', digests, clear)}>
          {t('security.scan.stop', { count: digests.length })}
        </Button>
      )}
    </>
  )
  return { any: canScan || canSbom || canStop, buttons }
}

/** "Signed" when one of the artifact's accessories is a signature (cosign or notation). */
export function SignedCell({ accessories }: { accessories: { type: string }[] | undefined }) {
  const { t } = useTranslation()
  return (accessories ?? []).some((a) => a.type.startsWith('signature.')) ? (
    <Label color="green" isCompact>
      {t('security.signed')}
    </Label>
  ) : (
    <span className="berth-scan-note">{t('security.unsigned')}</span>
  )
}
