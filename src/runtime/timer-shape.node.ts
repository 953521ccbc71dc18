/**
 * Settles the hidden classes of Node's timers at start-up, so that the first fractional timer delay of the process
 * does not deoptimise the HTTP path in the middle of serving.
 *
 * Why: Node 20 stores a timer's delay as given (`Timeout#_idleTimeout`, and the per-duration `TimersList`'s `msecs`
 * and `expiry`). While every delay has been a whole number those fields are small integers; the first fractional
 * one (`setTimeout(fn, 12.5)` — from any library, or from a deadline computed off `performance.now()`) moves them to
 * doubles, which replaces both hidden classes and throws away all optimised code that depends on them: the Timeout
 * constructor, the timer lists' insert/append/remove, clearTimeout, and through inlining the socket and stream code
 * of every request (`setStreamTimeout`, `doWrite`, `onParserExecute`, `resOnFinish`, seen with --trace-deopt).
 *
 * Seen here (--trace-deopt in the full app under paced load): it happened once per process, about a minute into
 * serving, together with the minute's background database work (which timer was the first fractional one was not
 * traced; the shared deadlines armed off `performance.now()` were one such source), and the 5 s round it fell in had
 * a p99 of 60.6 ms against 2.1–10.5 ms for the seven before it — the database work and the re-optimisation on V8's
 * compiler threads, beside the load generator on two vCPUs, fell in that round too.
 *
 * How: one unreferenced interval with a fractional period (a little under Node's 2^31 − 1 ms maximum, so it never
 * fires in practice) is made first thing and kept for the life of the process: the fields are doubles before any code
 * is optimised, and the kept timer and its list keep those classes alive through idle-time collections. Later
 * fractional delays then cost one deoptimisation of the Timeout constructor's own type feedback, nothing else.
 * KamHub's own delays are whole milliseconds anyway (deadlines.ts, postgres-listener.ts); this covers the libraries.
 * `buildServerDeps` (server-deps.node.ts) settles it, so every server start-up does.
 */
// Node's timers by name, since they are what this is about; elsewhere the global may be a web timer whose id is a
// number with no unref. Deno runs this start-up too: its node:timers gives objects with unref (as its globals do).
import { setInterval } from 'node:timers'

/** Just under Node's TIMEOUT_MAX (2^31 − 1 ms, ~24.8 days) and not a whole number. */
const FRACTIONAL_PERIOD_MS = 2 ** 31 - 1.5

let kept: ReturnType<typeof setInterval> | undefined

/** Whether this process has settled the timer shapes (what a server's start-up is checked for). */
export const timerShapeSettled = (): boolean => kept !== undefined

/** Makes the kept fractional-period interval (idempotent); it never holds the process open. */
export function settleTimerShape(): void {
  if (kept) return
  kept = setInterval(() => {}, FRACTIONAL_PERIOD_MS)
  kept.unref()
}
