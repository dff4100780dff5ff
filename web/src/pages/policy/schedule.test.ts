// The schedule's choices and the crons they store.
import { describe, expect, it } from 'vitest'
import { cronLooksValid, cronOf, scheduleChoiceOf } from './schedule'

describe('schedule choices', () => {
  it("read Harbor's preset crons back as their choice, anything else as custom", () => {
    expect(scheduleChoiceOf('')).toBe('none')
    expect(scheduleChoiceOf('0 0 * * * *')).toBe('hourly')
    expect(scheduleChoiceOf('0  0 0 * * *')).toBe('daily')
    expect(scheduleChoiceOf('0 0 0 * * 0')).toBe('weekly')
    expect(scheduleChoiceOf('0 30 2 * * *')).toBe('custom')
  })

  it('store the preset cron, nothing for none, and the typed cron (tidied) for custom', () => {
    expect(cronOf('none', '0 1 * * * *')).toBe('')
    expect(cronOf('hourly', '')).toBe('0 0 * * * *')
    expect(cronOf('daily', '')).toBe('0 0 0 * * *')
    expect(cronOf('weekly', '')).toBe('0 0 0 * * 0')
    expect(cronOf('custom', '  0 30  2 * * * ')).toBe('0 30 2 * * *')
  })

  it('take a custom cron of five or six fields', () => {
    expect(cronLooksValid('0 30 2 * * *')).toBe(true)
    expect(cronLooksValid('*/5 * * * *')).toBe(true)
    expect(cronLooksValid('0 0 * *')).toBe(false)
    expect(cronLooksValid('0 0 0 * * * * *')).toBe(false)
    expect(cronLooksValid('0 0 0 * * ; rm')).toBe(false)
  })
})
