/**
 * Deadlines on one timer instead of a timer per piece of work: HTTP requests (the app's request timeout) and event
 * handlers (the server dispatcher's handler timeout).
 *
 * Why: a `setTimeout` and `clearTimeout` per request — a Timeout object, a timer-list insert and unlink — was a few
 * per cent of a small answer's CPU on Node (npm run bench). Everything one watcher serves has the same timeout, so
 * the deadlines fall due in the order the work started: a FIFO queue needs no sorting, finished work is skipped from
 * its head, and one timer waits for the oldest unfinished deadline. Under load it fires about once per timeout
 * period, not once per request.
 *
 * Not for Workers: a timer there belongs to the request that set it and ends with it, so a shared timer armed by
 * one request would never fire for the next. The Worker entry and the QStash deliver endpoint keep a timer per
 * call (`perRequestDeadlines`).
 */
import { monotonicNow } from './monotonic.ts'

export interface Deadline {
  /** The work finished: its deadline no longer fires. */
  finish(): void
}

/** Calls `onTimeout` `ms` after the call unless the returned deadline is finished first. */
export type WatchDeadline = (onTimeout: () => void) => Deadline

class Watch implements Deadline {
  constructor(
    readonly at: number,
    /** Dropped once the work finishes or times out: see `watch`. */
    public onTimeout: (() => void) | undefined,
  ) {}

  // On the prototype: no closure per piece of work.
  finish() {
    this.onTimeout = undefined
  }
}

/** Clock and timers, replaceable in tests. */
export interface DeadlineTimers {
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
}

const realTimers: DeadlineTimers = {
  now: monotonicNow,
  setTimeout(fn, ms) {
    const timer = setTimeout(fn, ms) as unknown as { unref?: () => void }
    // The sockets of unfinished requests keep a server alive; a sweep left over from finished ones must not.
    timer.unref?.()
    return timer
  },
}

// Finished entries at the head are dropped as they appear; the array is shifted down only now and then.
const COMPACT_AFTER = 1024

export function sharedDeadlines(ms: number, timers: DeadlineTimers = realTimers): WatchDeadline {
  let queue: Watch[] = []
  let head = 0
  let armed = false

  function dropFinished() {
    while (head < queue.length && queue[head]!.onTimeout === undefined) head++
    if (head === queue.length) {
      queue = []
      head = 0
    } else if (head >= COMPACT_AFTER && head * 2 >= queue.length) {
      queue = queue.slice(head)
      head = 0
    }
  }

  function arm() {
    dropFinished()
    const next = queue[head]
    armed = next !== undefined
    // Whole milliseconds, rounded up: a timer never fires early, and on Node a fractional delay would move the
    // timers' hidden classes from small integers to doubles mid-run (see runtime/timer-shape.node.ts).
    if (next) timers.setTimeout(fire, Math.max(0, Math.ceil(next.at - timers.now())))
  }

  function fire() {
    const now = timers.now()
    while (head < queue.length && queue[head]!.at <= now) {
      const w = queue[head++]!
      const { onTimeout } = w
      w.onTimeout = undefined
      onTimeout?.()
    }
    arm()
  }

  return function watch(onTimeout) {
    dropFinished()
    // A finished entry stays queued until every older one is done too, so it lets go of its callback at once: one
    // slow request must not keep the context of every request that started after it alive until it ends.
    const w = new Watch(timers.now() + ms, onTimeout)
    queue.push(w)
    if (!armed) arm()
    return w
  }
}

/** A timer per request: for runtimes whose timers cannot outlive the request that set them (Workers). */
export function perRequestDeadlines(ms: number): WatchDeadline {
  return (onTimeout) => {
    const timer = setTimeout(onTimeout, ms)
    return { finish: () => clearTimeout(timer) }
  }
}
