import { describe, expect, it } from 'vitest'
import { render, screen } from '@testing-library/react'
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import type { Registry } from './api-types'
import { createBody, pingBody, registryFormOf, registryUrlValid, updateBody } from './registry-form'
import { RegistryModal } from './RegistryModal'

const stored: Registry = {
  id: 4,
  name: 'peer',
  url: 'https://peer.example.com',
  description: '',
  type: 'berth',
  insecure: false,
  credential: { type: 'basic', access_key: 'robot', access_secret: '*****' },
  status: 'healthy',
  creation_time: '',
  update_time: '',
}

describe('registry bodies', () => {
  it('a stored secret is neither shown nor sent back unless a new one is typed', () => {
    const f = registryFormOf(stored)
    expect(f.secret).toBe('')
    expect(updateBody(f)).not.toHaveProperty('access_secret')
    expect(pingBody(f, stored.id)).toEqual({ id: 4, url: 'https://peer.example.com', access_key: 'robot', insecure: false })
    expect(updateBody({ ...f, secret: 'n3w' }).access_secret).toBe('n3w')
  })

  it('a new registry carries its type and basic credential', () => {
    const f = { ...registryFormOf(), type: 'docker-registry', name: ' mirror ', url: 'http://127.0.0.1:5000', accessKey: 'u', secret: 's', insecure: true }
    expect(createBody(f)).toEqual({ name: 'mirror', type: 'docker-registry', description: '', url: 'http://127.0.0.1:5000', credential: { type: 'basic', access_key: 'u', access_secret: 's' }, insecure: true })
    expect(pingBody(f)).toEqual({ type: 'docker-registry', credential_type: 'basic', url: 'http://127.0.0.1:5000', access_key: 'u', access_secret: 's', insecure: true })
  })

  it('URLs: http or https, no credentials in them', () => {
    expect(registryUrlValid('https://r.example.com')).toBe(true)
    expect(registryUrlValid('ftp://r.example.com')).toBe(false)
    expect(registryUrlValid('https://u:p@r.example.com')).toBe(false)
    expect(registryUrlValid('r.example.com')).toBe(false)
  })
})

describe('RegistryModal', () => {
  it('on edit, the secret field is empty and says the stored one is kept; the type cannot change', () => {
    const client = new QueryClient({ defaultOptions: { queries: { retry: false, enabled: false } } })
    render(
      <QueryClientProvider client={client}>
        <RegistryModal registry={stored} onClose={() => {}} onSaved={() => {}} />
      </QueryClientProvider>,
    )
    const secret = screen.getByLabelText('Access secret') as HTMLInputElement
    expect(secret.value).toBe('')
    expect(secret.type).toBe('password')
    expect(secret.placeholder).toBe('Unchanged')
    expect(document.body.textContent).not.toContain('*****')
    expect((screen.getByLabelText(/Provider/) as HTMLSelectElement).disabled).toBe(true)
  })
})
