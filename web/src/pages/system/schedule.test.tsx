// The schedule picker and the Harbor schedule bodies it leads to.
import { useState } from 'react'
import { describe, expect, it } from 'vitest'
import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { SchedulePicker } from './SchedulePicker'
import { choiceOf, cronProblem, parametersOf, runNowBody, scheduleBody, type ScheduleChoice } from './schedule'

describe('scheduleBody', () => {
  const parameters = { delete_untagged: true, workers: 2 }
  it('sends Harbor’s named schedules with their crons', () => {
    expect(scheduleBody({ kind: 'Hourly', cron: '' }, parameters)).toEqual({ schedule: { type: 'Hourly', cron: '0 0 * * * *' }, parameters })
    expect(scheduleBody({ kind: 'Daily', cron: 'ignored' }, parameters)).toEqual({ schedule: { type: 'Daily', cron: '0 0 0 * * *' }, parameters })
    expect(scheduleBody({ kind: 'Weekly', cron: '' }, parameters)).toEqual({ schedule: { type: 'Weekly', cron: '0 0 0 * * 0' }, parameters })
  })
  it('sends a custom cron tidied, and None with the parameters the server still checks', () => {
    expect(scheduleBody({ kind: 'Custom', cron: '  0 30  2 * * 1-5 ' }, parameters)).toEqual({ schedule: { type: 'Custom', cron: '0 30 2 * * 1-5' }, parameters })
    expect(scheduleBody({ kind: 'None', cron: '0 0 0 * * *' }, parameters)).toEqual({ schedule: { type: 'None' }, parameters })
  })
  it('runs now as a Manual schedule, with Harbor’s dry run parameter', () => {
    expect(runNowBody({ delete_untagged: false, workers: 1, dry_run: true })).toEqual({ schedule: { type: 'Manual' }, parameters: { delete_untagged: false, workers: 1, dry_run: true } })
  })
})

describe('cronProblem', () => {
  it('wants six fields', () => {
    expect(cronProblem('')).toBe('empty')
    expect(cronProblem('   ')).toBe('empty')
    expect(cronProblem('0 2 * * *')).toBe('fields')
    expect(cronProblem('0 0 2 * * * *')).toBe('fields')
    expect(cronProblem('0 0 2 * * ; rm')).toBe('fields')
    expect(cronProblem('0 */15 8-18 * * MON-FRI')).toBeNull()
    expect(cronProblem('0 0 0 L * ?')).toBeNull()
  })
})

describe('choiceOf', () => {
  it('reads the schedule the server has', () => {
    expect(choiceOf(undefined)).toEqual({ kind: 'None', cron: '' })
    expect(choiceOf({ type: 'None', cron: '' })).toEqual({ kind: 'None', cron: '' })
    expect(choiceOf({ type: 'Daily', cron: '0 0 0 * * *' })).toEqual({ kind: 'Daily', cron: '' })
    expect(choiceOf({ type: 'Custom', cron: '0 30 2 * * *' })).toEqual({ kind: 'Custom', cron: '0 30 2 * * *' })
    // Harbor's generic type from older clients.
    expect(choiceOf({ type: 'Schedule', cron: '0 0 4 * * *' })).toEqual({ kind: 'Custom', cron: '0 0 4 * * *' })
  })
  it('reads job parameters, and nothing from text that is not an object', () => {
    expect(parametersOf('{"dry_run":true,"freed_space":10}')).toEqual({ dry_run: true, freed_space: 10 })
    expect(parametersOf('not json')).toEqual({})
    expect(parametersOf('[1]')).toEqual({})
    expect(parametersOf(undefined)).toEqual({})
  })
})

function Harness({ initial, seen }: { initial: ScheduleChoice; seen: ScheduleChoice[] }) {
  const [value, setValue] = useState(initial)
  return (
    <SchedulePicker
      id="t"
      value={value}
      onChange={(v) => {
        seen.push(v)
        setValue(v)
      }}
    />
  )
}

describe('SchedulePicker', () => {
  it('shows a preset’s cron, and a cron field only for Custom, prefilled and checked', async () => {
    const user = userEvent.setup()
    const seen: ScheduleChoice[] = []
    render(<Harness initial={{ kind: 'Daily', cron: '' }} seen={seen} />)
    expect(screen.getByText('Cron: 0 0 0 * * * (server time)')).toBeTruthy()
    expect(screen.queryByLabelText(/^Cron/)).toBeNull()

    await user.selectOptions(screen.getByLabelText('Schedule'), 'Custom')
    const cron = screen.getByLabelText(/^Cron/) as HTMLInputElement
    expect(cron.value).toBe('0 0 0 * * *')
    expect(cron.getAttribute('aria-invalid')).toBe('false')

    await user.clear(cron)
    await user.type(cron, '0 2 * * *')
    expect(cron.getAttribute('aria-invalid')).toBe('true')
    expect(scheduleBody(seen.at(-1)!, {}).schedule).toEqual({ type: 'Custom', cron: '0 2 * * *' })

    await user.selectOptions(screen.getByLabelText('Schedule'), 'None')
    expect(scheduleBody(seen.at(-1)!, {}).schedule).toEqual({ type: 'None' })
    expect(screen.queryByLabelText(/^Cron/)).toBeNull()
  })
})
