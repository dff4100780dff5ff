// A replication policy as its form holds it, and the mapping both ways between that and the
// API's body: the remote end and the mode, one name, tag, label and resource filter each (any
// further filters a policy was given through the API are kept as they are), the trigger with
// its cron, the destination namespace with flattening, and the speed limit.
import type { Filter, Policy, PolicyBody } from './api-types'

export type Mode = 'push' | 'pull'
export type Decoration = 'matches' | 'excludes'
export type TriggerType = 'manual' | 'scheduled' | 'event_based'
export type ResourceType = '' | 'image' | 'artifact'

export interface PolicyForm {
  name: string
  description: string
  mode: Mode
  /** The remote registry: the destination of a push, the source of a pull. */
  registryId: number | null
  nameFilter: string
  nameDecoration: Decoration
  tagFilter: string
  tagDecoration: Decoration
  /** Label names, separated by commas. */
  labels: string
  labelDecoration: Decoration
  resource: ResourceType
  destNamespace: string
  /** Path components the namespace replaces (dest_namespace_replace_count). */
  flatten: number
  trigger: TriggerType
  cron: string
  override: boolean
  replicateDeletion: boolean
  enabled: boolean
  copyByChunk: boolean
  /** KiB/s per task; empty for no limit. */
  speed: string
  /** Filters the form has no field for (a second name filter...), sent back unchanged. */
  otherFilters: Filter[]
}

/** Flattening choices; the server treats -1 (Harbor's legacy default) as 1 and more levels than a name has as "all but the last". */
export const FLATTEN_LEVELS = [0, 1, 2, 3, 100] as const

export function emptyPolicyForm(): PolicyForm {
  return {
    name: '',
    description: '',
    mode: 'push',
    registryId: null,
    nameFilter: '',
    nameDecoration: 'matches',
    tagFilter: '',
    tagDecoration: 'matches',
    labels: '',
    labelDecoration: 'matches',
    resource: '',
    destNamespace: '',
    flatten: 1,
    trigger: 'manual',
    cron: '',
    override: true,
    replicateDeletion: false,
    enabled: true,
    copyByChunk: false,
    speed: '',
    otherFilters: [],
  }
}

const decorationOf = (f: Filter): Decoration => (f.decoration === 'excludes' ? 'excludes' : 'matches')

export function policyFormOf(p: Policy): PolicyForm {
  const form = emptyPolicyForm()
  const seen = new Set<string>()
  for (const f of p.filters) {
    if (seen.has(f.type)) {
      form.otherFilters.push(f)
      continue
    }
    seen.add(f.type)
    const text = Array.isArray(f.value) ? f.value.join(', ') : f.value
    if (f.type === 'name') Object.assign(form, { nameFilter: text, nameDecoration: decorationOf(f) })
    else if (f.type === 'tag') Object.assign(form, { tagFilter: text, tagDecoration: decorationOf(f) })
    else if (f.type === 'label') Object.assign(form, { labels: text, labelDecoration: decorationOf(f) })
    else if (f.type === 'resource' && (text === 'image' || text === 'artifact')) form.resource = text
    else form.otherFilters.push(f)
  }
  const push = p.src_registry.id === 0
  return {
    ...form,
    name: p.name,
    description: p.description,
    mode: push ? 'push' : 'pull',
    registryId: push ? p.dest_registry.id : p.src_registry.id,
    destNamespace: p.dest_namespace,
    flatten: p.dest_namespace_replace_count < 0 ? 1 : p.dest_namespace_replace_count,
    trigger: p.trigger.type === 'scheduled' || p.trigger.type === 'event_based' ? p.trigger.type : 'manual',
    cron: p.trigger.trigger_settings.cron,
    override: p.override,
    replicateDeletion: p.replicate_deletion,
    enabled: p.enabled,
    copyByChunk: p.copy_by_chunk,
    speed: p.speed > 0 ? String(p.speed) : '',
  }
}

export function labelNames(labels: string): string[] {
  return labels
    .split(',')
    .map((l) => l.trim())
    .filter((l) => l !== '')
}

function filtersOf(f: PolicyForm): Filter[] {
  const out: Filter[] = []
  const decoration = (d: Decoration) => (d === 'excludes' ? { decoration: 'excludes' } : {})
  if (f.nameFilter.trim() !== '') out.push({ type: 'name', value: f.nameFilter.trim(), ...decoration(f.nameDecoration) })
  if (f.tagFilter.trim() !== '') out.push({ type: 'tag', value: f.tagFilter.trim(), ...decoration(f.tagDecoration) })
  const labels = labelNames(f.labels)
  if (labels.length > 0) out.push({ type: 'label', value: labels, ...decoration(f.labelDecoration) })
  if (f.resource !== '') out.push({ type: 'resource', value: f.resource })
  return [...out, ...f.otherFilters]
}

/** The request body of POST and PUT /replication/policies. */
export function policyBody(f: PolicyForm): PolicyBody {
  const remote = { id: f.registryId ?? 0 }
  const speed = f.speed.trim() === '' ? -1 : Number(f.speed)
  return {
    name: f.name.trim(),
    description: f.description,
    src_registry: f.mode === 'push' ? null : remote,
    dest_registry: f.mode === 'push' ? remote : null,
    dest_namespace: f.destNamespace.trim(),
    dest_namespace_replace_count: f.flatten,
    trigger: { type: f.trigger, trigger_settings: { cron: f.trigger === 'scheduled' ? f.cron.trim().replace(/\s+/g, ' ') : '' } },
    filters: filtersOf(f),
    override: f.override,
    replicate_deletion: f.replicateDeletion,
    enabled: f.enabled,
    speed,
    copy_by_chunk: f.copyByChunk,
  }
}

const NAMESPACE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/

export type PolicyField = 'name' | 'registryId' | 'cron' | 'trigger' | 'destNamespace' | 'speed'

/** What is wrong with the form, field by field, as catalogue keys (the server checks again). */
export function policyErrors(f: PolicyForm): Partial<Record<PolicyField, string>> {
  const errors: Partial<Record<PolicyField, string>> = {}
  if (f.name.trim() === '' || f.name.length > 255) errors.name = 'replication.policy.error.name'
  if (f.registryId === null) errors.registryId = 'replication.policy.error.registry'
  if (f.trigger === 'scheduled' && f.cron.trim().split(/\s+/).length !== 6) errors.cron = 'replication.policy.error.cron'
  if (f.trigger === 'event_based' && f.mode === 'pull') errors.trigger = 'replication.policy.error.eventPull'
  if (f.destNamespace.trim() !== '' && !NAMESPACE.test(f.destNamespace.trim())) errors.destNamespace = 'replication.policy.error.namespace'
  if (f.speed.trim() !== '' && !(Number.isInteger(Number(f.speed)) && Number(f.speed) > 0)) errors.speed = 'replication.policy.error.speed'
  return errors
}
