import { describe, expect, it } from 'vitest'
import { render, screen } from '@testing-library/react'
import { progressOf, statusLook } from './status'
import { StatusLabel } from './StatusLabel'
import { ExecutionProgress } from './ExecutionProgress'
import { canRetry, canStop } from './execution-actions'

const counts = { status: 'InProgress', total: 0, succeed: 0, failed: 0, stopped: 0, in_progress: 0 }

describe('statusLook', () => {
  it('gives each status its words and colour', () => {
    expect(statusLook('Succeed')).toEqual({ key: 'replication.status.succeed', color: 'green' })
    expect(statusLook('Failed')).toEqual({ key: 'replication.status.failed', color: 'red' })
    expect(statusLook('InProgress')).toEqual({ key: 'replication.status.inProgress', color: 'blue' })
    expect(statusLook('Pending')).toEqual({ key: 'replication.status.pending', color: 'grey' })
    expect(statusLook('Stopped')).toEqual({ key: 'replication.status.stopped', color: 'orange' })
  })
  it('an unknown status is shown as written, in grey', () => {
    expect(statusLook('Exploded')).toEqual({ key: null, color: 'grey' })
    expect(statusLook('constructor')).toEqual({ key: null, color: 'grey' })
  })
  it('StatusLabel reads in the catalogue language', () => {
    render(<StatusLabel status="Succeed" />)
    expect(screen.getByText('Succeeded')).toBeTruthy()
  })
})

describe('progressOf', () => {
  it('counts every ended task as done', () => {
    expect(progressOf({ ...counts, total: 4, succeed: 1, failed: 1, in_progress: 2 })).toEqual({ done: 2, total: 4, percent: 50, variant: 'danger' })
  })
  it('an execution still planning stands at 0, one that ended with nothing to do at 100', () => {
    expect(progressOf(counts).percent).toBe(0)
    expect(progressOf({ ...counts, status: 'Succeed' })).toEqual({ done: 0, total: 0, percent: 100, variant: 'success' })
  })
  it('a stopped execution warns; done never passes the total', () => {
    expect(progressOf({ ...counts, status: 'Stopped', total: 2, succeed: 1, stopped: 1 })).toEqual({ done: 2, total: 2, percent: 100, variant: 'warning' })
    expect(progressOf({ ...counts, total: 1, succeed: 1, stopped: 1 }).done).toBe(1)
  })
  it('ExecutionProgress shows done of total', () => {
    render(<ExecutionProgress id="p" execution={{ ...counts, total: 3, succeed: 1 }} />)
    expect(screen.getByText('1 of 3')).toBeTruthy()
  })
})

describe('execution actions', () => {
  it('stop while running; retry once ended with failures', () => {
    expect(canStop({ status: 'InProgress' })).toBe(true)
    expect(canStop({ status: 'Succeed' })).toBe(false)
    expect(canRetry({ status: 'Failed', failed: 2 })).toBe(true)
    expect(canRetry({ status: 'InProgress', failed: 2 })).toBe(false)
    expect(canRetry({ status: 'Succeed', failed: 0 })).toBe(false)
  })
})
