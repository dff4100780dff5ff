// Create or change a replication policy: push or pull and the remote registry, the source
// filters the source's type supports, the destination namespace and flattening, the trigger
// (by hand, on a cron schedule, on every push), override, deletion, enabled, speed limit.
import { useState, type FormEvent, type ReactNode } from 'react'
import { useTranslation } from 'react-i18next'
import { useQuery } from '@tanstack/react-query'
import {
  Button,
  Checkbox,
  Form,
  FormGroup,
  FormHelperText,
  FormSection,
  FormSelect,
  FormSelectOption,
  HelperText,
  HelperTextItem,
  InputGroup,
  InputGroupItem,
  InputGroupText,
  Modal,
  ModalBody,
  ModalFooter,
  ModalHeader,
  Radio,
  TextInput,
} from '@patternfly/react-core'
import { api, ok } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'
import type { Policy } from './api-types'
import { emptyPolicyForm, FLATTEN_LEVELS, policyBody, policyErrors, policyFormOf, type Decoration, type PolicyField, type PolicyForm, type ResourceType, type TriggerType } from './policy-form'
import { REGISTRY_TYPE } from './status'
import { ModalClose } from '../../components/ModalClose'
import './replication.css'

/** Registries offered in the menu at once; more than this and a name filter narrows them. */
const REGISTRY_PAGE = 100

const FLATTEN_KEYS: Record<number, string> = {
  0: 'replication.policy.flatten.none',
  1: 'replication.policy.flatten.one',
  2: 'replication.policy.flatten.two',
  3: 'replication.policy.flatten.three',
  100: 'replication.policy.flatten.all',
}

const TRIGGER_KEYS: Record<TriggerType, string> = {
  manual: 'replication.trigger.manual',
  scheduled: 'replication.trigger.scheduled',
  event_based: 'replication.trigger.eventBased',
}

function Help({ error, children }: { error?: string | undefined; children?: ReactNode }) {
  const { t } = useTranslation()
  if (error === undefined && children === undefined) return null
  return (
    <FormHelperText>
      <HelperText>
        <HelperTextItem variant={error !== undefined ? 'error' : 'default'}>{error !== undefined ? t(error) : children}</HelperTextItem>
      </HelperText>
    </FormHelperText>
  )
}

function DecorationSelect({ value, onChange, label }: { value: Decoration; onChange(d: Decoration): void; label: string }) {
  const { t } = useTranslation()
  return (
    <FormSelect className="berth-replication-fit-select" value={value} onChange={(_e, v) => onChange(v as Decoration)} aria-label={label}>
      <FormSelectOption value="matches" label={t('replication.policy.matches')} />
      <FormSelectOption value="excludes" label={t('replication.policy.excludes')} />
    </FormSelect>
  )
}

export function PolicyModal({ policy, onClose, onSaved }: { policy?: Policy; onClose(): void; onSaved(name: string): Promise<unknown> | void }) {
  const { t } = useTranslation()
  const editing = policy !== undefined
  const [form, setForm] = useState<PolicyForm>(() => (policy !== undefined ? policyFormOf(policy) : emptyPolicyForm()))
  const set = <K extends keyof PolicyForm>(k: K, v: PolicyForm[K]) => setForm((prev) => ({ ...prev, [k]: v }))
  const [registryFilter, setRegistryFilter] = useState('')
  const [tried, setTried] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)

  const registries = useQuery({
    queryKey: ['replication', 'registries', 'choices', registryFilter],
    queryFn: async () => {
      const answer = await api.GET('/api/v2.0/registries', { params: { query: { page: 1, page_size: REGISTRY_PAGE, ...(registryFilter !== '' ? { name: registryFilter } : {}) } } })
      return { items: ok(answer), total: Number(answer.response.headers.get('x-total-count') ?? 0) }
    },
  })
  const infos = useQuery({ queryKey: ['replication', 'adapterinfos'], queryFn: async () => ok(await api.GET('/api/v2.0/replication/adapterinfos')), staleTime: 300_000 })
  const choices = registries.data?.items ?? []
  const remote = choices.find((r) => r.id === form.registryId) ?? (policy !== undefined && form.registryId !== null ? [policy.src_registry, policy.dest_registry].find((r) => r.id === form.registryId) : undefined)
  // The source's type decides which filters it can apply: this Berth for a push, the remote for a pull.
  const sourceType = form.mode === 'push' ? 'berth' : remote?.type
  const info = sourceType !== undefined ? infos.data?.[sourceType] : undefined
  const supports = (filter: string) => info === undefined || info.supported_resource_filters.some((f) => f.type === filter)
  const triggers = (['manual', 'scheduled', 'event_based'] as const).filter((x) => (x !== 'event_based' || form.mode === 'push') && (info === undefined || info.supported_triggers.includes(x)))

  const errors = policyErrors(form)
  const shown = (field: PolicyField, dirty: boolean) => (tried || dirty ? errors[field] : undefined)

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setTried(true)
    if (Object.keys(errors).length > 0) return
    setBusy(true)
    setError(null)
    try {
      const body = policyBody(form)
      if (editing) ok(await api.PUT('/api/v2.0/replication/policies/{id}', { params: { path: { id: String(policy.id) } }, body }))
      else ok(await api.POST('/api/v2.0/replication/policies', { body }))
      await onSaved(body.name)
      onClose()
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  const registryLabel = (r: { name: string; type: string; url: string }) => `${r.name} (${REGISTRY_TYPE[r.type] !== undefined ? t(REGISTRY_TYPE[r.type]!) : r.type}) ${r.url}`

  return (
    <Modal isOpen variant="medium" onEscapePress={onClose} aria-labelledby="policy-modal-title">
      <ModalClose onClose={onClose} />
      <ModalHeader title={editing ? t('replication.policy.editTitle') : t('replication.policy.createTitle')} labelId="policy-modal-title" />
      <ModalBody>
        <Form id="policy-form" onSubmit={submit} noValidate>
          {error !== null && <ErrorAlert error={error} />}
          <FormGroup label={t('replication.policy.name')} isRequired fieldId="policy-name">
            <TextInput id="policy-name" isRequired value={form.name} maxLength={255} onChange={(_e, v) => set('name', v)} validated={shown('name', false) !== undefined ? 'error' : 'default'} autoFocus={!editing} />
            <Help error={shown('name', false)} />
          </FormGroup>
          <FormGroup label={t('replication.policy.description')} fieldId="policy-description">
            <TextInput id="policy-description" value={form.description} maxLength={1024} onChange={(_e, v) => set('description', v)} />
          </FormGroup>
          <FormGroup label={t('replication.policy.mode')} role="radiogroup" isInline fieldId="policy-mode" isStack={false}>
            <Radio id="policy-mode-push" name="policy-mode" label={t('replication.policy.push')} description={t('replication.policy.pushHelp')} isChecked={form.mode === 'push'} onChange={() => set('mode', 'push')} />
            <Radio
              id="policy-mode-pull"
              name="policy-mode"
              label={t('replication.policy.pull')}
              description={t('replication.policy.pullHelp')}
              isChecked={form.mode === 'pull'}
              onChange={() => setForm((prev) => ({ ...prev, mode: 'pull', trigger: prev.trigger === 'event_based' ? 'manual' : prev.trigger }))}
            />
          </FormGroup>
          {(registries.data?.total ?? 0) > REGISTRY_PAGE || registryFilter !== '' ? (
            <FormGroup label={t('replication.policy.registryFilter')} fieldId="policy-registry-filter">
              <TextInput id="policy-registry-filter" type="search" value={registryFilter} onChange={(_e, v) => setRegistryFilter(v)} />
            </FormGroup>
          ) : null}
          <FormGroup label={form.mode === 'push' ? t('replication.policy.destRegistry') : t('replication.policy.srcRegistry')} isRequired fieldId="policy-registry">
            <FormSelect
              id="policy-registry"
              value={form.registryId === null ? '' : String(form.registryId)}
              onChange={(_e, v) => set('registryId', v === '' ? null : Number(v))}
              validated={shown('registryId', false) !== undefined ? 'error' : 'default'}
            >
              <FormSelectOption value="" label={t('replication.policy.chooseRegistry')} isPlaceholder />
              {remote !== undefined && !choices.some((r) => r.id === remote.id) && <FormSelectOption value={String(remote.id)} label={registryLabel(remote)} />}
              {choices.map((r) => (
                <FormSelectOption key={r.id} value={String(r.id)} label={registryLabel(r)} />
              ))}
            </FormSelect>
            <Help error={shown('registryId', false)}>{registries.data?.total === 0 ? t('replication.policy.noRegistries') : undefined}</Help>
          </FormGroup>

          <FormSection title={t('replication.policy.filters')}>
            <FormGroup label={t('replication.policy.nameFilter')} fieldId="policy-filter-name">
              <InputGroup>
                <InputGroupItem isFill>
                  <TextInput id="policy-filter-name" value={form.nameFilter} onChange={(_e, v) => set('nameFilter', v)} />
                </InputGroupItem>
                <InputGroupItem>
                  <DecorationSelect value={form.nameDecoration} onChange={(d) => set('nameDecoration', d)} label={t('replication.policy.nameDecoration')} />
                </InputGroupItem>
              </InputGroup>
              <Help>{t('replication.policy.globHelp')}</Help>
            </FormGroup>
            <FormGroup label={t('replication.policy.tagFilter')} fieldId="policy-filter-tag">
              <InputGroup>
                <InputGroupItem isFill>
                  <TextInput id="policy-filter-tag" value={form.tagFilter} onChange={(_e, v) => set('tagFilter', v)} />
                </InputGroupItem>
                <InputGroupItem>
                  <DecorationSelect value={form.tagDecoration} onChange={(d) => set('tagDecoration', d)} label={t('replication.policy.tagDecoration')} />
                </InputGroupItem>
              </InputGroup>
            </FormGroup>
            {supports('label') && (
              <FormGroup label={t('replication.policy.labelFilter')} fieldId="policy-filter-label">
                <InputGroup>
                  <InputGroupItem isFill>
                    <TextInput id="policy-filter-label" value={form.labels} onChange={(_e, v) => set('labels', v)} />
                  </InputGroupItem>
                  <InputGroupItem>
                    <DecorationSelect value={form.labelDecoration} onChange={(d) => set('labelDecoration', d)} label={t('replication.policy.labelDecoration')} />
                  </InputGroupItem>
                </InputGroup>
                <Help>{t('replication.policy.labelHelp')}</Help>
              </FormGroup>
            )}
            {supports('resource') && (
              <FormGroup label={t('replication.policy.resource')} role="radiogroup" isInline fieldId="policy-resource">
                {(
                  [
                    ['', 'replication.policy.resourceAll'],
                    ['image', 'replication.policy.resourceImage'],
                    ['artifact', 'replication.policy.resourceArtifact'],
                  ] as [ResourceType, string][]
                ).map(([value, key]) => (
                  <Radio key={value} id={`policy-resource-${value || 'all'}`} name="policy-resource" label={t(key)} isChecked={form.resource === value} onChange={() => set('resource', value)} />
                ))}
              </FormGroup>
            )}
          </FormSection>

          <FormSection title={t('replication.policy.destination')}>
            <FormGroup label={t('replication.policy.namespace')} fieldId="policy-namespace">
              <TextInput id="policy-namespace" value={form.destNamespace} onChange={(_e, v) => set('destNamespace', v)} validated={shown('destNamespace', true) !== undefined ? 'error' : 'default'} />
              <Help error={shown('destNamespace', true)}>{t('replication.policy.namespaceHelp')}</Help>
            </FormGroup>
            <FormGroup label={t('replication.policy.flattening')} fieldId="policy-flatten">
              <FormSelect id="policy-flatten" value={String(form.flatten)} onChange={(_e, v) => set('flatten', Number(v))} isDisabled={form.destNamespace.trim() === ''}>
                {FLATTEN_LEVELS.map((n) => (
                  <FormSelectOption key={n} value={String(n)} label={t(FLATTEN_KEYS[n]!)} />
                ))}
              </FormSelect>
              <Help>{t('replication.policy.flatteningHelp')}</Help>
            </FormGroup>
          </FormSection>

          <FormSection title={t('replication.policy.triggerSection')}>
            <FormGroup label={t('replication.policy.trigger')} fieldId="policy-trigger">
              <FormSelect id="policy-trigger" value={form.trigger} onChange={(_e, v) => set('trigger', v as TriggerType)} validated={shown('trigger', true) !== undefined ? 'error' : 'default'}>
                {triggers.map((x) => (
                  <FormSelectOption key={x} value={x} label={t(TRIGGER_KEYS[x])} />
                ))}
              </FormSelect>
              <Help error={shown('trigger', true)}>{form.trigger === 'event_based' ? t('replication.policy.eventHelp') : undefined}</Help>
            </FormGroup>
            {form.trigger === 'scheduled' && (
              <FormGroup label={t('replication.policy.cron')} isRequired fieldId="policy-cron">
                <TextInput id="policy-cron" isRequired value={form.cron} onChange={(_e, v) => set('cron', v)} validated={shown('cron', form.cron !== '') !== undefined ? 'error' : 'default'} />
                <Help error={shown('cron', form.cron !== '')}>{t('replication.policy.cronHelp')}</Help>
              </FormGroup>
            )}
            {form.trigger === 'event_based' && (
              <FormGroup fieldId="policy-deletion">
                <Checkbox id="policy-deletion" label={t('replication.policy.deletion')} isChecked={form.replicateDeletion} onChange={(_e, v) => set('replicateDeletion', v)} />
              </FormGroup>
            )}
          </FormSection>

          <FormSection title={t('replication.policy.options')}>
            <FormGroup fieldId="policy-override">
              <Checkbox id="policy-override" label={t('replication.policy.override')} description={t('replication.policy.overrideHelp')} isChecked={form.override} onChange={(_e, v) => set('override', v)} />
            </FormGroup>
            {(info === undefined || info.supported_copy_by_chunk) && (
              <FormGroup fieldId="policy-chunk">
                <Checkbox id="policy-chunk" label={t('replication.policy.copyByChunk')} isChecked={form.copyByChunk} onChange={(_e, v) => set('copyByChunk', v)} />
              </FormGroup>
            )}
            <FormGroup fieldId="policy-enabled">
              <Checkbox id="policy-enabled" label={t('replication.policy.enabled')} isChecked={form.enabled} onChange={(_e, v) => set('enabled', v)} />
            </FormGroup>
            <FormGroup label={t('replication.policy.speed')} fieldId="policy-speed">
              <InputGroup>
                <InputGroupItem isFill>
                  <TextInput id="policy-speed" type="number" min={1} value={form.speed} onChange={(_e, v) => set('speed', v)} placeholder={t('replication.policy.unlimited')} validated={shown('speed', true) !== undefined ? 'error' : 'default'} />
                </InputGroupItem>
                <InputGroupItem isPlain>
                  <InputGroupText>{t('replication.policy.speedUnit')}</InputGroupText>
                </InputGroupItem>
              </InputGroup>
              <Help error={shown('speed', true)} />
            </FormGroup>
          </FormSection>
        </Form>
      </ModalBody>
      <ModalFooter>
        <Button type="submit" form="policy-form" isLoading={busy} isDisabled={busy}>
          {editing ? t('common.save') : t('replication.policy.create')}
        </Button>
        <Button variant="link" onClick={onClose}>
          {t('common.cancel')}
        </Button>
      </ModalFooter>
    </Modal>
  )
}
