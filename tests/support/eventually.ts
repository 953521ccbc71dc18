/** Polls `check` until it returns true, failing with `what` after the deadline (for work done in the background). */
export async function eventually(what: string, check: () => Promise<boolean>, deadlineMs = 30_000, everyMs = 25) {
  const until = Date.now() + deadlineMs
  for (;;) {
    if (await check()) return
    if (Date.now() > until) throw new Error(`timed out waiting until ${what}`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}
