// Copyable pull commands of an artifact, for docker or podman, by tag and by digest, with the
// host clients reach the registry at.
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { useQuery } from '@tanstack/react-query'
import { ClipboardCopy, Content, Stack, StackItem, ToggleGroup, ToggleGroupItem } from '@patternfly/react-core'
import { api, ok } from '../../api/client'
import { pullCommand, registryHost, type PullRef, type PullTool } from './artifacts'

/** Where clients pull from: systeminfo's registry_url, else this page's host. */
export function useRegistryHost(): string {
  const q = useQuery({ queryKey: ['systeminfo'], queryFn: async () => ok(await api.GET('/api/v2.0/systeminfo')), staleTime: 300_000 })
  return registryHost(q.data?.registry_url, window.location.host)
}

const TOOLS: PullTool[] = ['docker', 'podman']

export function PullCommands({ fullName, tags, digest }: { fullName: string; tags: readonly string[]; digest: string }) {
  const { t } = useTranslation()
  const host = useRegistryHost()
  const [tool, setTool] = useState<PullTool>('docker')
  const refs: { key: string; label: string; ref: PullRef }[] = [...tags.map((tag) => ({ key: `t:${tag}`, label: t('repositories.pull.byTag', { tag }), ref: { tag } })), { key: 'digest', label: t('repositories.pull.byDigest'), ref: { digest } }]
  return (
    <Stack hasGutter>
      <StackItem>
        <ToggleGroup aria-label={t('repositories.pull.tool')}>
          {TOOLS.map((x) => (
            <ToggleGroupItem key={x} text={x} buttonId={`pull-tool-${x}`} isSelected={tool === x} onChange={() => setTool(x)} />
          ))}
        </ToggleGroup>
      </StackItem>
      {refs.map(({ key, label, ref }) => (
        <StackItem key={key}>
          <Content component="small">{label}</Content>
          <ClipboardCopy isReadOnly isCode hoverTip={t('repositories.pull.copy')} clickTip={t('repositories.pull.copied')} copyAriaLabel={t('repositories.pull.copy')} textAriaLabel={label} toggleAriaLabel={label}>
            {pullCommand(tool, host, fullName, ref)}
          </ClipboardCopy>
        </StackItem>
      ))}
    </Stack>
  )
}
