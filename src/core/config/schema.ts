/**
 * The whole runtime configuration, parsed once from the environment.
 * Every variable is documented in README.md with its default; an invalid value stops start-up with a message
 * naming the variable, and production mode refuses the dev-only adapters unless explicitly allowed.
 */
import { z } from 'zod'
import { paymentsConfigShape } from '../payments/config.ts'
import { notificationsConfigShape } from '../notifications/config.ts'

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes')

const csv = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  APP_ENV: z.enum(['development', 'test', 'staging', 'production']).optional(),
  PORT: z.coerce.number().int().min(1).max(65535).default(8787),
  HOST: z.string().min(1).default('0.0.0.0'),
  PUBLIC_URL: z.url().optional(),
  /** postgres:// URL; when absent the embedded PGlite database under DATA_DIR is used (dev only). */
  DATABASE_URL: z.url().optional(),
  DATA_DIR: z.string().min(1).default('.data'),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  MIGRATE_ON_START: bool.default(true),
  /** Allows dev-only adapters (embedded DB, sandbox payments, dev inbox) when running in production mode. */
  ALLOW_DEV_ADAPTERS: bool.default(false),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SLOW_QUERY_MS: z.coerce.number().min(0).default(200),
  /** When set, GET /metrics requires `Authorization: Bearer <METRICS_TOKEN>` (at least 16 characters). */
  METRICS_TOKEN: z.string().min(16).optional(),
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(15_000),
  /**
   * Node: the answers of one event-loop turn go to their sockets together at its end (runtime/write-coalescing.node.ts)
   * — fewer wake-ups of the readers, a fifth to a third less CPU per small answer under load here.
   */
  HTTP_WRITE_COALESCING: bool.default(true),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(50 * 1024 * 1024).default(1024 * 1024),
  CORS_ORIGINS: csv.default([]),
  /** HS256 key for access tokens; required in production (at least 32 characters). */
  JWT_SECRET: z.string().min(32).optional(),
  JWT_ISSUER: z.string().min(1).default('kamhub'),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
  REFRESH_TOKEN_TTL_SECONDS: z.coerce.number().int().min(3600).max(90 * 86_400).default(30 * 86_400),
  AUTH_RATE_LIMIT: z.coerce.number().int().min(1).default(10),
  AUTH_RATE_WINDOW_SECONDS: z.coerce.number().int().min(1).default(60),
  ADMIN_EMAIL: z.email().optional(),
  ADMIN_PASSWORD: z.string().min(12).optional(),
  /** Run the event dispatcher in this process (Node, Deno). Turn off on API-only replicas. */
  EVENTS_DISPATCHER: bool.default(true),
  /**
   * The longest an idle dispatcher loop sleeps. NOTIFY (or a commit in this process) wakes it, and so does its own
   * next retry; the backstop finds what a crashed process left leased and wakes lost while the listener reconnected.
   */
  EVENTS_POLL_INTERVAL_MS: z.coerce.number().int().min(50).max(600_000).default(30_000),
  EVENTS_BATCH_SIZE: z.coerce.number().int().min(1).max(1_000).default(100),
  /**
   * Claim loops side by side on PostgreSQL (PGlite is one session and keeps one). Up to EVENTS_BATCH_SIZE ×
   * EVENTS_CLAIM_LOOPS handlers run at once; the default keeps that at 200, and `npm run bench:events` drains fastest
   * at 500 × 4 with handlers that return at once.
   */
  EVENTS_CLAIM_LOOPS: z.coerce.number().int().min(1).max(16).default(2),
  EVENTS_LEASE_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(30_000),
  /**
   * Push ownership (src/events/push.ts): one listening dispatcher per database has its fresh deliveries leased to it
   * at publish and runs them from the NOTIFY, without a claim round trip. Off: every delivery is claimed.
   */
  EVENTS_PUSH: bool.default(true),
  /** QStash (Workers event delivery): API base URL; the token enables publishing, deliveries come back to PUBLIC_URL. */
  QSTASH_URL: z.url().default('https://qstash.upstash.io'),
  QSTASH_TOKEN: z.string().min(1).optional(),
  /** Signing keys that verify QStash's calls to /internal/events/deliver (current, then next during a rotation). */
  QSTASH_CURRENT_SIGNING_KEY: z.string().min(1).optional(),
  QSTASH_NEXT_SIGNING_KEY: z.string().min(1).optional(),
  /** Retries QStash makes per message (Upstash-Retries); after them the cron sweep takes a failing delivery back. */
  QSTASH_RETRIES: z.coerce.number().int().min(0).max(20).default(3),
  /** Deliveries of one subscription QStash runs at once (flow control keyed by subscription name). */
  QSTASH_PARALLELISM: z.coerce.number().int().min(1).max(1_000).default(10),
  /** How long QStash has to deliver a published message before the sweep may claim the delivery again. */
  QSTASH_LEASE_MS: z.coerce.number().int().min(10_000).max(86_400_000).default(900_000),
  /** Readiness reports events as down (degraded) when the oldest due delivery waited longer than this. */
  EVENTS_MAX_LAG_SECONDS: z.coerce.number().min(1).default(60),
  /** Days a delivered event delivery is kept (pending and dead ones are kept until resolved). */
  EVENTS_DELIVERED_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(7),
  /** Days events stay in the outbox: the replay window (events with pending or dead deliveries are kept longer). */
  EVENTS_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  UPSTASH_REDIS_REST_URL: z.url().optional(),
  UPSTASH_REDIS_REST_TOKEN: z.string().min(1).optional(),
  /** Entries the in-process cache keeps (LRU): the whole cache without Upstash; L1 and fallback with it. */
  CACHE_MAX_ENTRIES: z.coerce.number().int().min(1).max(10_000_000).default(10_000),
  /** Longest wait for one Upstash cache call; past it the call counts as failed and the request goes on without it. */
  CACHE_TIMEOUT_MS: z.coerce.number().int().min(5).max(10_000).default(100),
  /** Prepended to every cache key in Upstash (the rate limiter uses `kamhub:ratelimit`). */
  CACHE_KEY_PREFIX: z.string().min(1).max(100).default('kamhub:cache:'),
  /** Consecutive Upstash failures that open the cache's circuit (memory serves while it is open). */
  CACHE_BREAKER_FAILURES: z.coerce.number().int().min(1).max(1_000).default(5),
  /** How long the open circuit serves from memory before one probe call tries Upstash again. */
  CACHE_BREAKER_COOLDOWN_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  /** Lifetime of the in-process copy of an Upstash entry: bounds staleness after another instance's invalidation. */
  CACHE_L1_TTL_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
  /** Hours an Idempotency-Key (and the answer stored with it) is kept after first use; expired keys are pruned. */
  IDEMPOTENCY_TTL_HOURS: z.coerce.number().int().min(1).max(720).default(24),
  /** Ed25519 private key signing tickets: PKCS8 DER, base64url. Required in production; dev derives one from JWT_SECRET. */
  TICKET_SIGNING_KEY: z
    .string()
    .regex(/^MC4CAQAwBQYDK2VwBCIEI[A-Za-z0-9_-]{43}$/, 'must be an Ed25519 private key in PKCS8 DER, base64url (64 characters starting MC4CAQAwBQYDK2VwBCIEI)')
    .optional(),
  /** Days after a departure completed before the operator's share becomes available for payout. */
  PAYOUT_HOLD_DAYS: z.coerce.number().int().min(0).max(365).default(3),
  /** Smallest payout, in minor units of the payout currency (100 = 1 RUB / 1 USD). */
  PAYOUT_MIN_AMOUNT: z.coerce.number().int().min(1).default(100),
  /** A payout whose provider call ended without an answer is retried (same idempotency key) after this long. */
  /** The UTC hour of the daily payout run (2 = 14:00 in Kamchatka, after the morning's departures settle). */
  PAYOUT_RUN_HOUR_UTC: z.coerce.number().int().min(0).max(23).default(2),
  PAYOUT_RETRY_AFTER_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  /** How long a booking holds its seats while the traveller pays; then the maintenance sweep returns them. */
  BOOKING_HOLD_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(15),
  /** Hours before a departure starts when it is cancelled (full refunds) if it has fewer seats taken than the tour's minimum. */
  BOOKING_MIN_PARTICIPANTS_DEADLINE_HOURS: z.coerce.number().int().min(0).max(30 * 24).default(48),
  /** Rows one maintenance step handles per run (holds expired, bookings completed, departures auto-cancelled). */
  BOOKING_MAINTENANCE_BATCH: z.coerce.number().int().min(1).max(10_000).default(200),
  /** Platform commission on each captured payment, in basis points (1500 = 15 %). */
  PLATFORM_COMMISSION_BPS: z.coerce.number().int().min(0).max(10_000).default(1500),
  /**
   * Capture at confirmation when the departure is at most this many days away; otherwise capture this many days
   * before it (card holds last about 7 days, so a hold for a tour months away would lapse before the trip).
   */
  PAYMENT_CAPTURE_LEAD_DAYS: z.coerce.number().int().min(0).max(30).default(7),
  /** Payments pending or authorized for longer than this are fetched back from the provider (a lost webhook). */
  PAYMENT_RECONCILE_AFTER_MINUTES: z.coerce.number().int().min(1).max(7 * 24 * 60).default(10),
  /**
   * The request header carrying the caller's real address, set by the proxy in front of the app:
   * `cf-connecting-ip` behind Cloudflare, `x-forwarded-for` (its last entry: what our proxy appended) behind a proxy.
   * YooKassa's notifications are trusted by source address, so without it they are refused.
   */
  TRUSTED_PROXY_IP_HEADER: z.string().regex(/^[A-Za-z0-9-]+$/).transform((v) => v.toLowerCase()).optional(),
  /** Seconds a critical alert (a cancelled departure) has to be confirmed delivered before the next channel (push → SMS → e-mail). */
  NOTIFY_ESCALATE_AFTER_SECONDS: z.coerce.number().int().min(10).max(86_400).default(300),
  /** Send attempts of one notification before it is dead. */
  NOTIFY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  /** First retry delay after an outage or a rate limit; doubles per attempt (with jitter) up to NOTIFY_BACKOFF_MAX_SECONDS. */
  NOTIFY_BACKOFF_BASE_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  NOTIFY_BACKOFF_MAX_SECONDS: z.coerce.number().int().min(1).max(86_400).default(3600),
  /** How long a claimed notification is a worker's before another may take it over (a crashed worker's rows). */
  NOTIFY_LEASE_SECONDS: z.coerce.number().int().min(5).max(3600).default(60),
  /** Notifications one worker claims per round, and how many it sends at once. */
  NOTIFY_BATCH_SIZE: z.coerce.number().int().min(1).max(1000).default(100),
  NOTIFY_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
  /**
   * Node/Deno: the longest the queue worker sleeps. It wakes when a subscriber (or a failure webhook) adds work and
   * when the queue's next row falls due; this backstop only finds rows another process queued and died before sending.
   */
  NOTIFY_POLL_INTERVAL_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  /** Per-provider send rates (per process), e.g. `twilio=1,resend=10`: sends per second, bursts of the same size. */
  NOTIFY_RATE_LIMITS: z
    .string()
    .regex(/^\s*[a-z]+\s*=\s*\d+(\.\d+)?\s*(,\s*[a-z]+\s*=\s*\d+(\.\d+)?\s*)*$/, 'provider=perSecond pairs, e.g. twilio=1,resend=10')
    .transform((v) =>
      Object.fromEntries(
        v.split(',').map((pair) => {
          const [name, rate] = pair.split('=').map((x) => x.trim())
          return [name!, { perSecond: Number(rate), capacity: Math.max(1, Number(rate)) }]
        }),
      ) as Record<string, { perSecond: number; capacity: number }>,
    )
    .default({}),
  ...paymentsConfigShape,
  ...notificationsConfigShape,
})

export type Config = z.output<typeof configSchema> & { production: boolean }

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** A fixed development key: tokens survive restarts locally; production refuses to start without JWT_SECRET. */
export const DEV_JWT_SECRET = 'kamhub-development-only-secret-do-not-use-in-production'

export function parseConfig(env: Record<string, string | undefined>): Config {
  // Empty strings mean "unset" — a blank line in .env must not turn into an invalid value.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''))
  const result = configSchema.safeParse(cleaned)
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`)
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`)
  }
  const parsed = result.data
  const production = parsed.NODE_ENV === 'production' || parsed.APP_ENV === 'production'
  const config: Config = { ...parsed, production }
  if (Boolean(config.UPSTASH_REDIS_REST_URL) !== Boolean(config.UPSTASH_REDIS_REST_TOKEN)) {
    throw new ConfigError('Invalid configuration:\n  UPSTASH_REDIS_REST_TOKEN: UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN go together')
  }
  if (Boolean(config.QSTASH_CURRENT_SIGNING_KEY) !== Boolean(config.QSTASH_NEXT_SIGNING_KEY)) {
    throw new ConfigError('Invalid configuration:\n  QSTASH_NEXT_SIGNING_KEY: QSTASH_CURRENT_SIGNING_KEY and QSTASH_NEXT_SIGNING_KEY go together')
  }
  if (config.QSTASH_TOKEN && (!config.PUBLIC_URL || !config.QSTASH_CURRENT_SIGNING_KEY)) {
    // Publishing deliveries that the endpoint could not verify (or that point nowhere) would only fill QStash's DLQ.
    throw new ConfigError('Invalid configuration:\n  QSTASH_TOKEN: needs PUBLIC_URL (where QStash delivers) and the QStash signing keys')
  }
  assertProductionSafe(config)
  return config
}

function assertProductionSafe(config: Config) {
  if (!config.production) return
  const problems: string[] = []
  if (!config.JWT_SECRET) problems.push('  JWT_SECRET: required in production (at least 32 characters)')
  if (!config.TICKET_SIGNING_KEY) problems.push('  TICKET_SIGNING_KEY: required in production (an Ed25519 private key, PKCS8 DER in base64url)')
  if (!config.DATABASE_URL && !config.ALLOW_DEV_ADAPTERS) {
    problems.push('  DATABASE_URL: required in production (the embedded database is dev-only; set ALLOW_DEV_ADAPTERS=true to override)')
  }
  if (problems.length) throw new ConfigError(`Invalid production configuration:\n${problems.join('\n')}`)
}

/** Refuses a dev-only adapter in production unless ALLOW_DEV_ADAPTERS is set. */
export function assertDevAdapterAllowed(config: Config, adapter: string) {
  if (config.production && !config.ALLOW_DEV_ADAPTERS) {
    throw new ConfigError(`${adapter} is a development adapter and is refused in production (set ALLOW_DEV_ADAPTERS=true to override)`)
  }
}

export function jwtSecret(config: Config): string {
  return config.JWT_SECRET ?? DEV_JWT_SECRET
}
