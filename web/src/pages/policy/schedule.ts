// A schedule as a choice (none, hourly, daily, weekly or a custom cron expression) and back: the
// presets are Harbor's crons (six fields, seconds first), so a policy written by Harbor's portal
// reads back as the same choice.
export type ScheduleChoice = 'none' | 'hourly' | 'daily' | 'weekly' | 'custom'

export const SCHEDULE_CHOICES: readonly ScheduleChoice[] = ['none', 'hourly', 'daily', 'weekly', 'custom']

export const SCHEDULE_KEYS: Record<ScheduleChoice, string> = {
  none: 'policy.schedule.none',
  hourly: 'policy.schedule.hourly',
  daily: 'policy.schedule.daily',
  weekly: 'policy.schedule.weekly',
  custom: 'policy.schedule.custom',
}

export const PRESET_CRONS = { hourly: '0 0 * * * *', daily: '0 0 0 * * *', weekly: '0 0 0 * * 0' } as const

/** The choice a stored cron reads as ('' is none). */
export function scheduleChoiceOf(cron: string): ScheduleChoice {
  const c = cron.trim().replace(/\s+/g, ' ')
  if (c === '') return 'none'
  for (const [choice, preset] of Object.entries(PRESET_CRONS)) if (c === preset) return choice as ScheduleChoice
  return 'custom'
}

/** The cron to store for a choice; `custom`: what was typed. */
export function cronOf(choice: ScheduleChoice, custom: string): string {
  if (choice === 'none') return ''
  if (choice === 'custom') return custom.trim().replace(/\s+/g, ' ')
  return PRESET_CRONS[choice]
}

/** Five or six fields of cron characters; the server has the last word (it says what is wrong). */
export function cronLooksValid(cron: string): boolean {
  const fields = cron.trim().split(/\s+/)
  return (fields.length === 5 || fields.length === 6) && fields.every((f) => /^[\d*/,?LW#A-Za-z-]+$/.test(f))
}
