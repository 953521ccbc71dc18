/**
 * The runs a push owner remembers around a reconnect of its listener. After the reconnect it adopts what was pushed to
 * it while it did not listen (push.ts adoptPushes), and for a while a delivery may reach it twice: adopted, and
 * pushed on the new connection; or adopted, and claimed by one of its own claim loops. The second way is a claim
 * that leased the delivery (committed) before the adoption's UPDATE read it and whose answer came back after the
 * adoption's — the two statements run on different connections, so their answers come back in either order.
 *
 * A run is known by its delivery id AND attempt: a duplicate carries the attempt the first one ran (a claim counts
 * the attempt, the adoption only renews the lease), while a real retry — claimed again after a recorded failure —
 * carries the next attempt and must run.
 */
export class AdoptionWindow {
  #until = 0
  readonly #ran = new Map<string, number>()

  constructor(
    /** How long after an adoption a delivery may still arrive another way (NOTIFYs and claims answer in milliseconds). */
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The listener dropped: remember every run from now on, so one that ran and was recorded before the adoption's
   * answer came back is still known then.
   */
  open(): void {
    this.#until = Number.POSITIVE_INFINITY
    this.#ran.clear()
  }

  /** The adoption answered (or failed): keep remembering for the window, then forget. */
  close(): void {
    this.#until = this.now() + this.windowMs
  }

  /** A delivery starts running. */
  ran(id: string, attempt: number): void {
    if (this.now() < this.#until) this.#ran.set(id, attempt)
  }

  /** Whether this run of the delivery is not the second of the same attempt. */
  isFirst(id: string, attempt: number): boolean {
    if (this.now() < this.#until) return this.#ran.get(id) !== attempt
    if (this.#ran.size) this.#ran.clear()
    return true
  }
}
