// Time as a value passed in, so tests can move it.
export interface Clock {
  now(): Date
}

export const systemClock: Clock = { now: () => new Date() }
