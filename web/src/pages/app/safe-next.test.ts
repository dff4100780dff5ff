import { describe, expect, it } from 'vitest'
import { safeNext } from './safe-next'

describe('safeNext', () => {
  it('keeps a path of the console, with its query and fragment', () => {
    expect(safeNext('/projects/3/members')).toBe('/projects/3/members')
    expect(safeNext('/projects?page=2&q=abc#top')).toBe('/projects?page=2&q=abc#top')
    expect(safeNext('/admin/users')).toBe('/admin/users')
  })

  it('goes to the projects without a next', () => {
    expect(safeNext(null)).toBe('/projects')
    expect(safeNext('')).toBe('/projects')
  })

  it('refuses whatever would leave the console (open redirect)', () => {
    for (const hostile of [
      'https://evil.example/',
      'http:evil.example',
      '//evil.example/projects',
      '/\\evil.example',
      '\\\\evil.example',
      '/\t/evil.example',
      '/\n/evil.example',
      '/./\\evil.example',
      'javascript:alert(1)',
      'projects',
    ]) {
      expect(safeNext(hostile), hostile).toBe('/projects')
    }
  })
})
