import { describe, expect, it } from 'vitest'
import { EMPTY_SCANNER, scannerBody, scannerFormOf, scannerProblems } from './scanner-form'

const form = { ...EMPTY_SCANNER, name: ' trivy ', url: 'http://trivy:8080 ' }

describe('scannerBody', () => {
  it('sends no credential without a scheme', () => {
    expect(scannerBody({ ...form, secret: 'x' })).toEqual({ name: 'trivy', description: '', url: 'http://trivy:8080', auth: '', skip_certVerify: false, use_internal_addr: false })
  })
  it('joins Basic as user:password and sends tokens and keys as typed', () => {
    expect(scannerBody({ ...form, auth: 'Basic', username: 'u', secret: 'p:w' }).access_credential).toBe('u:p:w')
    expect(scannerBody({ ...form, auth: 'Bearer', secret: 'tok' }).access_credential).toBe('tok')
    expect(scannerBody({ ...form, auth: 'X-ScannerAdapter-API-Key', secret: 'k', skipCertVerify: true })).toMatchObject({ access_credential: 'k', skip_certVerify: true })
  })
  it('leaves a saved credential alone when nothing new is typed', () => {
    const edited = scannerFormOf({ name: 'a', description: 'd', url: 'https://a', auth: 'Bearer', skip_certVerify: false, use_internal_addr: true })
    expect(scannerBody(edited)).not.toHaveProperty('access_credential')
    expect(scannerProblems(edited, 'Bearer')).toEqual([])
  })
})

describe('scannerProblems', () => {
  it('wants a name and an http(s) URL without credentials', () => {
    expect(scannerProblems({ ...EMPTY_SCANNER }, null)).toEqual(['name', 'url'])
    expect(scannerProblems({ ...form, url: 'ftp://x' }, null)).toEqual(['url'])
    expect(scannerProblems({ ...form, url: 'http://u:p@x' }, null)).toEqual(['url'])
  })
  it('wants a credential for a new scheme, and a user name without a colon for Basic', () => {
    expect(scannerProblems({ ...form, auth: 'Bearer' }, null)).toEqual(['credential'])
    expect(scannerProblems({ ...form, auth: 'Bearer' }, '')).toEqual(['credential'])
    expect(scannerProblems({ ...form, auth: 'Basic', secret: 'p' }, null)).toEqual(['username'])
    expect(scannerProblems({ ...form, auth: 'Basic', username: 'a:b', secret: 'p' }, null)).toEqual(['username'])
    expect(scannerProblems({ ...form, auth: 'Basic', username: 'a', secret: 'p' }, null)).toEqual([])
  })
})
