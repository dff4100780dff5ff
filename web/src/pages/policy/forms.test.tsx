// The schedule and webhook forms as a user fills them: the cron each schedule choice saves, and a
// stored auth header that is never shown and is kept by sending its mask back.
import { describe, expect, it, vi } from 'vitest'
import { fireEvent, render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { RetentionSchedule } from './RetentionSchedule'
import { WebhookPolicyModal } from './WebhookPolicyModal'
import { SECRET_MASK, type WebhookPolicy, type WebhookPolicyBody } from './webhook-form'

describe('the retention schedule', () => {
  it('saves the preset cron of a choice', async () => {
    const onSave = vi.fn(async () => {})
    render(<RetentionSchedule cron="" editable onSave={onSave} />)
    const save = screen.getByRole('button', { name: 'Save schedule' })
    expect((save as HTMLButtonElement).disabled).toBe(true)
    await userEvent.selectOptions(screen.getByLabelText('Runs by itself'), 'weekly')
    await userEvent.click(save)
    expect(onSave).toHaveBeenCalledWith('0 0 0 * * 0')
  })

  it('asks for a cron expression when custom, and refuses one that is not', async () => {
    const onSave = vi.fn(async () => {})
    render(<RetentionSchedule cron="0 0 * * * *" editable onSave={onSave} />)
    expect((screen.getByLabelText('Runs by itself') as HTMLSelectElement).value).toBe('hourly')
    await userEvent.selectOptions(screen.getByLabelText('Runs by itself'), 'custom')
    const cron = screen.getByLabelText(/Cron expression/)
    fireEvent.change(cron, { target: { value: 'every day' } })
    expect((screen.getByRole('button', { name: 'Save schedule' }) as HTMLButtonElement).disabled).toBe(true)
    fireEvent.change(cron, { target: { value: '0 30 2 * * *' } })
    await userEvent.click(screen.getByRole('button', { name: 'Save schedule' }))
    expect(onSave).toHaveBeenCalledWith('0 30 2 * * *')
  })

  it('shows the schedule without a way to change it to a caller who may not', () => {
    render(<RetentionSchedule cron="0 0 0 * * *" editable={false} onSave={async () => {}} />)
    expect((screen.getByLabelText('Runs by itself') as HTMLSelectElement).disabled).toBe(true)
    expect(screen.queryByRole('button', { name: 'Save schedule' })).toBeNull()
  })
})

describe('the webhook form', () => {
  const stored: WebhookPolicy = {
    id: 3,
    name: 'ci',
    description: '',
    project_id: 1,
    targets: [{ type: 'http', address: 'https://ci.example.com/hook', auth_header: SECRET_MASK, signing_secret: '', skip_cert_verify: false, payload_format: 'Default' }],
    event_types: ['PUSH_ARTIFACT'],
    creator: 'admin',
    creation_time: '2025-01-01T00:00:00Z',
    update_time: '2025-01-01T00:00:00Z',
    enabled: true,
  }
  const props = { eventTypes: ['PUSH_ARTIFACT', 'DELETE_ARTIFACT'], notifyTypes: ['http', 'slack'], formats: ['Default', 'CloudEvents'], onTest: async () => {}, onClose: () => {} }

  it('never shows a stored auth header, and keeps it when saved unchanged', async () => {
    let sent: WebhookPolicyBody | undefined
    render(<WebhookPolicyModal {...props} original={stored} onSave={async (b) => void (sent = b)} />)
    const auth = screen.getByLabelText('Auth header') as HTMLInputElement
    expect(auth.value).toBe('')
    expect(auth.placeholder).toBe('Stored (hidden)')
    expect(document.body.innerHTML).not.toContain(SECRET_MASK)
    await userEvent.click(screen.getByRole('button', { name: 'Save' }))
    expect(sent?.targets?.[0]?.auth_header).toBe(SECRET_MASK)
  })

  it('warns and refuses to save when the target moves away from its stored header', async () => {
    render(<WebhookPolicyModal {...props} original={stored} onSave={async () => {}} />)
    fireEvent.change(screen.getByLabelText(/Endpoint URL/), { target: { value: 'https://elsewhere.example.com/hook' } })
    screen.getByText(/Stored secrets belong to the old address/)
    const save = () => screen.getByRole('button', { name: 'Save' }) as HTMLButtonElement
    expect(save().disabled).toBe(true)
    await userEvent.click(screen.getByLabelText('Remove the stored value', { selector: '#webhook-auth-remove' }))
    expect(save().disabled).toBe(false)
  })

  it('sends the event types that are checked', async () => {
    let sent: WebhookPolicyBody | undefined
    render(<WebhookPolicyModal {...props} onSave={async (b) => void (sent = b)} />)
    fireEvent.change(screen.getByLabelText(/^Name/), { target: { value: 'hook' } })
    fireEvent.change(screen.getByLabelText(/Endpoint URL/), { target: { value: 'http://127.0.0.1:9/hook' } })
    await userEvent.click(screen.getByLabelText('Artifact deleted'))
    await userEvent.click(screen.getByRole('button', { name: 'Add' }))
    expect(sent).toMatchObject({ name: 'hook', event_types: ['PUSH_ARTIFACT'], targets: [{ address: 'http://127.0.0.1:9/hook', auth_header: '' }] })
  })
})
