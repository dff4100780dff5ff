import { describe, expect, it } from 'vitest'
import { auditQ, NO_FILTERS } from './audit-query'
import { paletteColor, PALETTE } from './label-colors'
import { robotQ } from './RobotList'

describe('audit log q', () => {
  it('nothing filtered, no q', () => {
    expect(auditQ(NO_FILTERS)).toBeUndefined()
  })
  it('operation exact, the others substrings, the time as an op_time range in UTC', () => {
    const from = '2026-01-31T12:00'
    const q = auditQ({ operation: 'delete', resourceType: 'robot', resource: 'ci', username: 'al', from, to: '' })
    expect(q).toBe(`operation=delete,resource_type=~robot,resource=~ci,username=~al,op_time=[${new Date(from).toISOString()}~]`)
  })
  it('drops what would change the meaning of q', () => {
    expect(auditQ({ ...NO_FILTERS, username: 'a,b=c~{d}[e]' })).toBe('username=~abcde')
  })
})

describe('robot list q', () => {
  it('project robots by project, system robots by level, name as a substring', () => {
    expect(robotQ('project', 3, '')).toBe('Level=project,ProjectID=3')
    expect(robotQ('system', undefined, ' c,i ')).toBe('Level=system,name=~ci')
  })
})

describe('label colours', () => {
  it('a palette colour is itself; another hex is the nearest one; nothing is grey', () => {
    for (const p of PALETTE) expect(paletteColor(p.hex.toLowerCase()).color).toBe(p.color)
    expect(paletteColor('#0065AB').color).toBe('blue')
    expect(paletteColor('#FF0000').color).toBe('red')
    expect(paletteColor('').color).toBe('grey')
    expect(paletteColor('red').color).toBe('grey')
  })
})
