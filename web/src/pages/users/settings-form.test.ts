import { describe, expect, it } from 'vitest'
import { changedSettings, formOf, settingsOf, settingsProblems, storageOf, type Configurations } from './settings-form'

const config = (over: Record<string, string | number | boolean> = {}): Configurations => {
  const base: Record<string, string | number | boolean> = {
    auth_mode: 'db_auth',
    self_registration: false,
    project_creation_restriction: 'everyone',
    token_expiration: 30,
    banner_message: '',
    storage_per_project: -1,
    ...over,
  }
  return Object.fromEntries(Object.entries(base).map(([k, value]) => [k, { value, editable: k !== 'auth_mode' }]))
}

describe('changedSettings', () => {
  it('sends nothing when nothing was edited', () => {
    const initial = formOf(config({ storage_per_project: 5 * 1024 ** 3, banner_message: JSON.stringify({ message: 'hi', type: 'warning', closable: true, fromDate: '', toDate: '' }) }))
    expect(changedSettings(initial, { ...initial })).toEqual({})
  })

  it('sends only the keys whose value changed', () => {
    const initial = formOf(config())
    const edited = { ...initial, selfRegistration: true, tokenExpiration: '60' }
    expect(changedSettings(initial, edited)).toEqual({ self_registration: true, token_expiration: 60 })
  })

  it('does not count an edit that is undone', () => {
    const initial = formOf(config({ token_expiration: 30 }))
    expect(changedSettings(initial, { ...initial, tokenExpiration: '030' })).toEqual({})
  })

  it('sends a banner Harbor wrote with its keys in another order only when it is edited', () => {
    const harbor = '{"toDate":"","fromDate":"","closable":false,"type":"info","message":"Maintenance"}'
    const initial = formOf(config({ banner_message: harbor }))
    expect(changedSettings(initial, { ...initial })).toEqual({})
    const edited = { ...initial, banner: { ...initial.banner, type: 'danger' as const } }
    expect(JSON.parse(changedSettings(initial, edited).banner_message!)).toEqual({ message: 'Maintenance', type: 'danger', closable: false, fromDate: '', toDate: '' })
  })

  it('clears the default storage limit with an empty field', () => {
    const initial = formOf(config({ storage_per_project: 1024 ** 4 }))
    expect(initial).toMatchObject({ storageLimit: '1', storageUnit: 'TiB' })
    expect(changedSettings(initial, { ...initial, storageLimit: '' })).toEqual({ storage_per_project: -1 })
    expect(changedSettings(initial, { ...initial, storageUnit: 'GiB' })).toEqual({ storage_per_project: 1024 ** 3 })
  })
})

describe('storageOf', () => {
  it('keeps any byte count exactly', () => {
    for (const bytes of [1, 1000, 3 * 1024 ** 2, 1536 * 1024 ** 2, 7 * 1024 ** 4, 123456789]) {
      const form = { ...formOf(config()), ...storageOf(bytes) }
      expect(settingsOf(form).storage_per_project).toBe(bytes)
    }
  })
})

describe('settingsProblems', () => {
  it('refuses what the server refuses', () => {
    const ok = formOf(config())
    expect(settingsProblems(ok)).toEqual([])
    expect(settingsProblems({ ...ok, tokenExpiration: '0' })).toEqual(['tokenExpiration'])
    expect(settingsProblems({ ...ok, tokenExpiration: '1441' })).toEqual(['tokenExpiration'])
    expect(settingsProblems({ ...ok, tokenExpiration: '1.5' })).toEqual(['tokenExpiration'])
    expect(settingsProblems({ ...ok, storageLimit: '-3' })).toEqual(['storageLimit'])
    expect(settingsProblems({ ...ok, banner: { ...ok.banner, message: 'x', from: '2030-02-02', to: '2030-02-01' } })).toEqual(['bannerDates'])
  })
})

describe('read-only mode and audit log forwarding', () => {
  it('loads them from the configurations and sends only the one that changed', () => {
    const initial = formOf(config({ read_only: false, audit_log_forward_endpoint: 'syslog.example.com:514', skip_audit_log_database: false }))
    expect([initial.readOnly, initial.auditEndpoint, initial.skipAuditDb]).toEqual([false, 'syslog.example.com:514', false])
    expect(changedSettings(initial, { ...initial, readOnly: true })).toEqual({ read_only: true })
    expect(changedSettings(initial, { ...initial, auditEndpoint: ' udp://10.0.0.5:514 ' })).toEqual({ audit_log_forward_endpoint: 'udp://10.0.0.5:514' })
  })

  it('reads a server without the keys as off and empty', () => {
    const form = formOf(config())
    expect([form.readOnly, form.auditEndpoint, form.skipAuditDb]).toEqual([false, '', false])
    expect(settingsOf(form)).toMatchObject({ read_only: false, audit_log_forward_endpoint: '', skip_audit_log_database: false })
  })

  it('refuses keeping entries out of the database with nowhere to send them, as the server does', () => {
    const form = formOf(config())
    expect(settingsProblems({ ...form, skipAuditDb: true })).toEqual(['skipAuditDb'])
    expect(settingsProblems({ ...form, skipAuditDb: true, auditEndpoint: '  ' })).toEqual(['skipAuditDb'])
    expect(settingsProblems({ ...form, skipAuditDb: true, auditEndpoint: 'syslog:514' })).toEqual([])
  })
})
