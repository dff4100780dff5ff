import { describe, expect, it } from 'vitest'
import { EMPTY_KEY, keyProblems, kindOf, shortFingerprint, trustCounts, trustedKeyBody } from './trusted-keys'

const PEM = '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----'

describe('trusted keys', () => {
  it('calls x509 a notation root and every other algorithm a cosign key', () => {
    expect(['ecdsa-p256', 'ecdsa-p521', 'rsa', 'ed25519', 'x509'].map(kindOf)).toEqual(['cosign', 'cosign', 'cosign', 'cosign', 'notation'])
    expect(trustCounts([{ algorithm: 'rsa' }, { algorithm: 'x509' }, { algorithm: 'ed25519' }])).toEqual({ cosign: 2, notation: 1 })
    expect(trustCounts([])).toEqual({ cosign: 0, notation: 0 })
  })
  it('shortens a fingerprint to its first 16 characters', () => {
    expect(shortFingerprint('a'.repeat(64))).toBe(`${'a'.repeat(16)}…`)
    expect(shortFingerprint('abc')).toBe('abc')
  })
  it('sends the trimmed name, the PEM with one final newline, and a description only when given', () => {
    expect(trustedKeyBody({ name: ' release ', description: '  ', pem: `\n${PEM}\n\n` })).toEqual({ name: 'release', public_key: `${PEM}\n` })
    expect(trustedKeyBody({ name: 'release', description: ' CI key ', pem: PEM })).toEqual({ name: 'release', description: 'CI key', public_key: `${PEM}\n` })
  })
  it('wants a name the server takes and one PEM of at most 8 KiB', () => {
    expect(keyProblems(EMPTY_KEY)).toEqual(['name', 'pem'])
    expect(keyProblems({ ...EMPTY_KEY, name: 'release-1.0_a', pem: PEM })).toEqual([])
    expect(keyProblems({ ...EMPTY_KEY, name: '-bad', pem: PEM })).toEqual(['name'])
    expect(keyProblems({ ...EMPTY_KEY, name: 'has space', pem: PEM })).toEqual(['name'])
    expect(keyProblems({ ...EMPTY_KEY, name: 'a'.repeat(65), pem: PEM })).toEqual(['name'])
    expect(keyProblems({ ...EMPTY_KEY, name: 'k', pem: 'ssh-ed25519 AAAA' })).toEqual(['pem'])
    expect(keyProblems({ ...EMPTY_KEY, name: 'k', pem: `${PEM}${'x'.repeat(8 * 1024)}` })).toEqual(['pemSize'])
  })
})
