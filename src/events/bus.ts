/**
 * What the rest of the app sees of event delivery. Publishing is `publish(tx, event)` inside a transaction;
 * after that transaction commits, the route calls `afterCommit()` so delivery starts now rather than at the next
 * wake-up: on servers it kicks the in-process dispatcher (NOTIFY would too, a little later); on Workers it
 * schedules a dispatch through QStash with `waitUntil`.
 */
export interface EventBus {
  afterCommit(): void
  /** Seconds the oldest due delivery has waited: the dispatcher's lag, for readiness. */
  lagSeconds(): Promise<number>
}

/** For processes that publish but do not deliver (tests, CLIs): delivery happens wherever a dispatcher runs. */
export const detachedEventBus: EventBus = {
  afterCommit() {},
  lagSeconds: async () => 0,
}
