// Proxy-cache projects (a project that pulls what it lacks from a registry endpoint): the
// label the project list, frame and summary show, and the registry picker of the create dialog.
import { useTranslation } from 'react-i18next'
import { useQuery } from '@tanstack/react-query'
import { FormGroup, FormHelperText, FormSelect, FormSelectOption, HelperText, HelperTextItem, Label } from '@patternfly/react-core'
import { api, ok, page } from '../../api/client'
import { useUser } from '../../auth/session'

/** At most this many endpoints are offered (a registry list longer than this is not Harbor-sized). */
const REGISTRY_PAGE = 100

function useRegistry(id: number | undefined) {
  const user = useUser()
  // Only administrators may read registry endpoints; others see that it is a proxy cache.
  return useQuery({
    queryKey: ['registry', id],
    queryFn: async () => ok(await api.GET('/api/v2.0/registries/{id}', { params: { path: { id: String(id) } } })),
    enabled: id !== undefined && user.sysadmin_flag,
    staleTime: 60_000,
    retry: false,
  })
}

/** "Proxy cache" with the registry's name when the caller may read it; nothing for an ordinary project. */
export function ProxyCacheLabel({ registryId }: { registryId: number | undefined | null }) {
  const { t } = useTranslation()
  const id = registryId ?? undefined
  const q = useRegistry(id !== undefined && id > 0 ? id : undefined)
  if (id === undefined || id <= 0) return null
  return <Label color="purple">{q.data !== undefined ? t('projects.proxy.labelOf', { registry: q.data.name }) : t('projects.proxy.label')}</Label>
}

/** The registry a proxy cache pulls from, with its endpoint URL (for the summary). */
export function ProxyCacheSource({ registryId }: { registryId: number }) {
  const { t } = useTranslation()
  const q = useRegistry(registryId)
  if (q.data === undefined) return <>{t('projects.proxy.label')}</>
  return <>{t('projects.proxy.source', { registry: q.data.name, url: q.data.url })}</>
}

/** The endpoint select of the create dialog; value 0 is none chosen yet. */
export function RegistryPicker({ value, onChange }: { value: number; onChange(id: number): void }) {
  const { t } = useTranslation()
  const q = useQuery({
    queryKey: ['registries', 'picker'],
    queryFn: async () => page(await api.GET('/api/v2.0/registries', { params: { query: { page: 1, page_size: REGISTRY_PAGE, sort: 'name' } } })),
  })
  const registries = q.data?.items ?? []
  const chosen = registries.find((r) => r.id === value)
  return (
    <FormGroup label={t('projects.proxy.registry')} isRequired fieldId="project-registry">
      <FormSelect id="project-registry" value={value} onChange={(_e, v) => onChange(Number(v))} validated={q.error !== null ? 'error' : 'default'}>
        <FormSelectOption value={0} label={t('projects.proxy.choose')} isPlaceholder isDisabled />
        {registries.map((r) => (
          <FormSelectOption key={r.id} value={r.id} label={r.name} />
        ))}
      </FormSelect>
      <FormHelperText>
        <HelperText>
          <HelperTextItem variant={q.error !== null ? 'error' : 'default'}>
            {q.error !== null ? (q.error as Error).message : chosen !== undefined ? t('projects.proxy.endpoint', { url: chosen.url }) : registries.length === 0 && q.data !== undefined ? t('projects.proxy.noRegistries') : t('projects.proxy.help')}
          </HelperTextItem>
        </HelperText>
      </FormHelperText>
    </FormGroup>
  )
}
