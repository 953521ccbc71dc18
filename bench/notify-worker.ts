/**
 * The queue processor of `npm run bench:notify`, in its own process (so the parent can SIGKILL it mid-run, and so
 * the fake provider in the parent has its own event loop). Built the way server-deps.node.ts builds it: config
 * parsed from the environment, providers from config (Resend pointed at the parent's fake by RESEND_BASE_URL),
 * a pool of DATABASE_POOL_MAX, pino logs to stdout (which the parent discards).
 *
 * Protocol (IPC): sends `{ type: 'ready' }`; on `{ type: 'go' }` starts BENCH_MODE — `loop` (processNotifications
 * back to back, the processor's own ceiling) or `worker` (startNotificationWorker, what a server runs: a round
 * whenever kicked and when the next row falls due, NOTIFY_POLL_INTERVAL_MS at most); `{ type: 'kick' }` is the kick a subscriber gives after
 * committing new rows; on `{ type: 'stop' }` finishes the batch in hand, closes the pool and exits. The parent
 * decides when the queue is empty.
 */
import { parseConfig } from '../src/core/config/schema.ts'
import { postgresDatabase } from '../src/core/db/postgres.ts'
import { createLogger } from '../src/core/monitoring/logger.ts'
import { bufferedDestination } from '../src/core/monitoring/logger.node.ts'
import { notificationProvidersFromConfigNode } from '../src/core/notifications/from-config.node.ts'
import { systemClock } from '../src/deps.ts'
import { notificationChannels } from '../src/pillars/engagement/notifications/channels.ts'
import { processNotifications } from '../src/pillars/engagement/notifications/processor.ts'
import { startNotificationWorker } from '../src/pillars/engagement/notifications/worker.ts'

const config = parseConfig(process.env)
const logger = createLogger({ level: config.LOG_LEVEL, destination: bufferedDestination() })
const db = postgresDatabase({ url: config.DATABASE_URL!, max: config.DATABASE_POOL_MAX, applicationName: 'kamhub-bench-notify' })
const deps = { config, db, logger, clock: systemClock, notifications: { channels: notificationChannels(config, notificationProvidersFromConfigNode(config)) } }
const mode = process.env.BENCH_MODE === 'worker' ? 'worker' : 'loop'

let stopping = false
let stop: () => Promise<void> = async () => {}
let kick = () => {}

async function loop() {
  while (!stopping) {
    const report = await processNotifications(deps, new Date())
    // An empty queue: poll like the worker would, but tighter (the parent stops us as soon as it sees the end).
    if (report.claimed === 0) await new Promise((r) => setTimeout(r, 20))
  }
}

process.on('message', (m: { type: string }) => {
  if (m.type === 'kick') kick()
  if (m.type === 'go') {
    if (mode === 'loop') {
      const running = loop()
      stop = () => running
    } else {
      const worker = startNotificationWorker(deps)
      worker.kick()
      kick = () => worker.kick()
      stop = () => worker.stop()
    }
  }
  if (m.type === 'stop') {
    stopping = true
    void stop().then(() => db.close()).then(() => process.exit(0))
  }
})
process.send!({ type: 'ready' })
