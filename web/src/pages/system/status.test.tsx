// Job and component statuses in the console's words and colours.
import { describe, expect, it } from 'vitest'
import { render, screen } from '@testing-library/react'
import { healthStatus, runStatus } from './status'
import { StatusLabel } from './StatusLabel'

describe('runStatus', () => {
  it('maps Harbor’s job statuses and replication’s to one set', () => {
    expect(runStatus('Success')).toEqual(runStatus('Succeed'))
    expect(runStatus('Error')).toEqual(runStatus('Failed'))
    expect(runStatus('Running')).toEqual(runStatus('InProgress'))
    expect(runStatus('Error')).toMatchObject({ key: 'system.status.error', tone: 'danger', active: false })
    expect(runStatus('Stopped')).toMatchObject({ tone: 'warning', active: false })
    for (const active of ['Pending', 'Running', 'InProgress', 'Scheduled']) expect(runStatus(active)?.active).toBe(true)
  })
  it('knows nothing of other words, nor of inherited names', () => {
    expect(runStatus('Exploded')).toBeNull()
    expect(runStatus('toString')).toBeNull()
    expect(runStatus('')).toBeNull()
  })
  it('maps health', () => {
    expect(healthStatus('healthy')).toMatchObject({ tone: 'success' })
    expect(healthStatus('unhealthy')).toMatchObject({ tone: 'danger' })
    expect(healthStatus('constructor')).toBeNull()
  })
})

describe('StatusLabel', () => {
  it('shows the status in words, and an unknown one as the server wrote it', () => {
    render(
      <>
        <StatusLabel look={runStatus('Error')} raw="Error" />
        <StatusLabel look={runStatus('Succeed')} raw="Succeed" />
        <StatusLabel look={runStatus('Exploded')} raw="Exploded" />
        <StatusLabel look={healthStatus('unhealthy')} raw="unhealthy" />
      </>,
    )
    expect(screen.getByText('Failed')).toBeTruthy()
    expect(screen.getByText('Succeeded')).toBeTruthy()
    expect(screen.getByText('Exploded')).toBeTruthy()
    expect(screen.getByText('Unhealthy')).toBeTruthy()
  })
})
