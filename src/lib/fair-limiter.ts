// A concurrency limit with a bounded, fair queue. At most `concurrency` tasks run at once; waiting
// tasks queue per lane (for passwords: the client address) and are started round-robin across
// lanes, so a lane with a thousand waiting tasks delays a lane with one by at most one task per
// busy lane. The queue holds at most `maxQueued` tasks: when it is full, a newcomer takes the
// place of the newest task of the longest lane if that lane is longer than its own (the evicted
// task is refused), and is refused itself otherwise. Refusals are immediate, never a wait.
// Written here because the queue libraries on npm (p-limit, p-queue) queue in one FIFO and
// cannot evict; fairness between lanes is the point.
import { BerthError } from './errors.js'

export interface FairLimiterOptions {
  concurrency: number
  maxQueued: number
  /** The error a refused task rejects with. */
  refused: () => BerthError
}

interface Waiter {
  start: () => void
  refuse: (err: BerthError) => void
}

export class FairLimiter {
  private running = 0
  private queued = 0
  /** Lanes with waiting tasks, in round-robin order: the first lane is served next. */
  private readonly lanes = new Map<string, Waiter[]>()

  constructor(private readonly o: FairLimiterOptions) {
    if (!(o.concurrency >= 1) || !(o.maxQueued >= 0)) throw new Error('FairLimiter needs concurrency >= 1 and maxQueued >= 0')
  }

  /** Tasks running and waiting now. */
  stats(): { running: number; queued: number; lanes: number } {
    return { running: this.running, queued: this.queued, lanes: this.lanes.size }
  }

  /** Runs `task` when a place is free; rejects with `refused()` at once when the queue has no room for it. */
  async run<T>(lane: string, task: () => Promise<T>): Promise<T> {
    if (this.running < this.o.concurrency && this.queued === 0) {
      this.running++
    } else {
      await this.wait(lane)
    }
    try {
      return await task()
    } finally {
      this.running--
      this.next()
    }
  }

  private wait(lane: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const mine = this.lanes.get(lane) ?? []
      if (this.queued >= this.o.maxQueued && !this.evictFor(mine.length)) {
        reject(this.o.refused())
        return
      }
      // `next()` counts the task as running before it starts it.
      mine.push({ start: resolve, refuse: reject })
      if (!this.lanes.has(lane)) this.lanes.set(lane, mine)
      this.queued++
    })
  }

  /** Refuses the newest task of the longest lane if it is longer than `ownLength` + 1; whether one was. */
  private evictFor(ownLength: number): boolean {
    let longest: [string, Waiter[]] | undefined
    for (const entry of this.lanes) if (longest === undefined || entry[1].length > longest[1].length) longest = entry
    if (longest === undefined || longest[1].length <= ownLength + 1) return false
    const evicted = longest[1].pop()!
    if (longest[1].length === 0) this.lanes.delete(longest[0])
    this.queued--
    evicted.refuse(this.o.refused())
    return true
  }

  private next(): void {
    while (this.running < this.o.concurrency && this.queued > 0) {
      const [lane, waiters] = this.lanes.entries().next().value as [string, Waiter[]]
      const w = waiters.shift()!
      // The lane goes to the back of the round, or leaves it when it has nothing more waiting.
      this.lanes.delete(lane)
      if (waiters.length > 0) this.lanes.set(lane, waiters)
      this.queued--
      this.running++
      w.start()
    }
  }
}
