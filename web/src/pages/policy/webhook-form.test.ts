// The webhook form to the request body: event types, target, and secrets never sent back in clear.
import { describe, expect, it } from 'vitest'
import { newWebhookForm, SECRET_MASK, secretsLost, toggledBody, webhookBody, webhookErrors, webhookFormOf, type WebhookPolicy } from './webhook-form'

const stored: WebhookPolicy = {
  id: 4,
  name: 'ci',
  description: 'tell CI',
  project_id: 1,
  targets: [
    { type: 'http', address: 'https://ci.example.com/hook', auth_header: SECRET_MASK, signing_secret: '', skip_cert_verify: false, payload_format: 'CloudEvents' },
    { type: 'slack', address: 'https://hooks.slack.com/x', auth_header: '', signing_secret: '', skip_cert_verify: false, payload_format: 'Default' },
  ],
  event_types: ['PUSH_ARTIFACT'],
  creator: 'admin',
  creation_time: '2025-01-01T00:00:00Z',
  update_time: '2025-01-01T00:00:00Z',
  enabled: true,
}

describe('the webhook form', () => {
  it('makes the body of a new policy', () => {
    const f = { ...newWebhookForm(['PUSH_ARTIFACT', 'DELETE_ARTIFACT']), name: ' hook ', address: ' http://127.0.0.1:9/hook ', authHeader: { typed: 'Bearer x', stored: false, remove: false }, skipCertVerify: true }
    expect(webhookBody(f)).toEqual({
      name: 'hook',
      description: '',
      event_types: ['PUSH_ARTIFACT', 'DELETE_ARTIFACT'],
      enabled: true,
      targets: [{ type: 'http', address: 'http://127.0.0.1:9/hook', auth_header: 'Bearer x', signing_secret: '', skip_cert_verify: true, payload_format: 'Default' }],
    })
  })

  it('never shows a stored secret: the field is empty, and the mask goes back to keep it', () => {
    const f = webhookFormOf(stored)
    expect(f.authHeader).toEqual({ typed: '', stored: true, remove: false })
    expect(webhookBody(f, stored).targets?.[0]?.auth_header).toBe(SECRET_MASK)
  })

  it('replaces a stored secret with what is typed, and removes it when asked', () => {
    const f = webhookFormOf(stored)
    expect(webhookBody({ ...f, authHeader: { ...f.authHeader, typed: 'Bearer new' } }, stored).targets?.[0]?.auth_header).toBe('Bearer new')
    expect(webhookBody({ ...f, authHeader: { ...f.authHeader, remove: true } }, stored).targets?.[0]?.auth_header).toBe('')
  })

  it('keeps the targets after the first, and sends Slack targets in the default format', () => {
    const f = { ...webhookFormOf(stored), type: 'slack' as const }
    const body = webhookBody(f, stored)
    expect(body.targets).toHaveLength(2)
    expect(body.targets?.[0]?.payload_format).toBe('Default')
    expect(body.targets?.[1]).toEqual(stored.targets[1])
  })

  it('warns when a stored secret would move to another address', () => {
    const f = webhookFormOf(stored)
    expect(secretsLost(f, stored)).toBe(false)
    expect(secretsLost({ ...f, address: 'https://elsewhere.example.com/' }, stored)).toBe(true)
    expect(secretsLost({ ...f, address: 'https://elsewhere.example.com/', authHeader: { ...f.authHeader, remove: true } }, stored)).toBe(false)
  })

  it('needs a name, an http(s) address and an event type', () => {
    expect(webhookErrors({ ...newWebhookForm([]), address: 'ftp://x' })).toEqual({ name: 'policy.webhooks.form.nameRequired', address: 'policy.webhooks.form.addressInvalid', eventTypes: 'policy.webhooks.form.eventTypesRequired' })
  })

  it('switches a stored policy on or off, sending its masks back', () => {
    expect(toggledBody(stored, false)).toEqual({ name: 'ci', description: 'tell CI', event_types: ['PUSH_ARTIFACT'], enabled: false, targets: stored.targets })
  })
})
