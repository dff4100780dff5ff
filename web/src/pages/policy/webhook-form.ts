// A webhook policy as the console edits it (one target: Harbor's portal edits one) and the body
// the API takes. Stored secrets are never shown: the API sends a mask, and sending the mask back
// keeps the secret, provided the target keeps its address and type (the server ties a secret to
// its address, so a moved target must be given its secrets again).
import type { paths } from '../../api/schema'

export type WebhookPolicy = paths['/api/v2.0/projects/{project}/webhook/policies']['get']['responses'][200]['content']['application/json'][number]
export type WebhookPolicyBody = paths['/api/v2.0/projects/{project}/webhook/policies']['post']['requestBody']['content']['application/json']
type TargetBody = NonNullable<WebhookPolicyBody['targets']>[number]

/** What the API shows for a stored secret, and what keeps it when sent back. */
export const SECRET_MASK = '*****'

export type NotifyType = 'http' | 'slack'
export type PayloadFormat = 'Default' | 'CloudEvents'

/** A secret field: what was typed (never the stored value), whether one is stored, and whether to remove it. */
export interface SecretForm {
  typed: string
  stored: boolean
  remove: boolean
}

export interface WebhookForm {
  name: string
  description: string
  eventTypes: string[]
  type: NotifyType
  address: string
  authHeader: SecretForm
  signingSecret: SecretForm
  skipCertVerify: boolean
  payloadFormat: PayloadFormat
  enabled: boolean
}

const noSecret: SecretForm = { typed: '', stored: false, remove: false }

/** Harbor's event type names, each with its catalogue key (a key is never built at run time). */
export const EVENT_TYPE_KEYS: Record<string, string> = {
  PUSH_ARTIFACT: 'policy.webhooks.event.PUSH_ARTIFACT',
  PULL_ARTIFACT: 'policy.webhooks.event.PULL_ARTIFACT',
  DELETE_ARTIFACT: 'policy.webhooks.event.DELETE_ARTIFACT',
  QUOTA_EXCEED: 'policy.webhooks.event.QUOTA_EXCEED',
  QUOTA_WARNING: 'policy.webhooks.event.QUOTA_WARNING',
  REPLICATION: 'policy.webhooks.event.REPLICATION',
  TAG_RETENTION: 'policy.webhooks.event.TAG_RETENTION',
}

/** A new policy: every event type the server offers. */
export function newWebhookForm(eventTypes: readonly string[]): WebhookForm {
  return { name: '', description: '', eventTypes: [...eventTypes], type: 'http', address: '', authHeader: noSecret, signingSecret: noSecret, skipCertVerify: false, payloadFormat: 'Default', enabled: true }
}

export function webhookFormOf(p: WebhookPolicy): WebhookForm {
  const target = p.targets[0]
  const secret = (v: string | undefined): SecretForm => ({ typed: '', stored: v !== undefined && v !== '', remove: false })
  return {
    name: p.name,
    description: p.description,
    eventTypes: [...p.event_types],
    type: target?.type === 'slack' ? 'slack' : 'http',
    address: target?.address ?? '',
    authHeader: secret(target?.auth_header),
    signingSecret: secret(target?.signing_secret),
    skipCertVerify: target?.skip_cert_verify ?? false,
    payloadFormat: target?.payload_format === 'CloudEvents' ? 'CloudEvents' : 'Default',
    enabled: p.enabled,
  }
}

/** What to send for a secret field: the new value, the mask to keep the stored one, or '' for none. */
export function secretValue(s: SecretForm): string {
  if (s.typed !== '') return s.typed
  return s.stored && !s.remove ? SECRET_MASK : ''
}

/** Whether the edited target moves away from the address or type its stored secrets belong to, keeping one it cannot keep. */
export function secretsLost(f: WebhookForm, original: WebhookPolicy | undefined): boolean {
  const first = original?.targets[0]
  if (first === undefined) return false
  const moved = first.address !== f.address.trim() || first.type !== f.type
  const keeps = (s: SecretForm) => s.typed === '' && s.stored && !s.remove
  return moved && (keeps(f.authHeader) || keeps(f.signingSecret))
}

/** The form's problems as catalogue keys by field; empty when it may be sent. */
export function webhookErrors(f: WebhookForm): Partial<Record<'name' | 'address' | 'eventTypes', string>> {
  const out: Partial<Record<'name' | 'address' | 'eventTypes', string>> = {}
  if (f.name.trim() === '') out.name = 'policy.webhooks.form.nameRequired'
  if (!/^https?:\/\/[^\s/]+/i.test(f.address.trim())) out.address = 'policy.webhooks.form.addressInvalid'
  if (f.eventTypes.length === 0) out.eventTypes = 'policy.webhooks.form.eventTypesRequired'
  return out
}

/** The target the form edits, as the API takes it. */
export function targetBody(f: WebhookForm): TargetBody {
  return {
    type: f.type,
    address: f.address.trim(),
    auth_header: secretValue(f.authHeader),
    signing_secret: secretValue(f.signingSecret),
    skip_cert_verify: f.skipCertVerify,
    // Slack takes its own message shape; the format applies to http targets only.
    payload_format: f.type === 'slack' ? 'Default' : f.payloadFormat,
  }
}

/**
 * The policy as POST and PUT take it. A policy made elsewhere with several targets keeps the
 * ones after the first (their masks keep their secrets).
 */
export function webhookBody(f: WebhookForm, original?: WebhookPolicy): WebhookPolicyBody {
  const rest = (original?.targets ?? []).slice(1)
  return {
    name: f.name.trim(),
    description: f.description,
    event_types: f.eventTypes,
    enabled: f.enabled,
    targets: [targetBody(f), ...rest],
  }
}

/** A stored policy sent back as it is, but enabled or disabled (the masks keep its secrets). */
export function toggledBody(p: WebhookPolicy, enabled: boolean): WebhookPolicyBody {
  return { name: p.name, description: p.description, event_types: p.event_types, enabled, targets: p.targets }
}
