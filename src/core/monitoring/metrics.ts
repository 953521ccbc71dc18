/**
 * A small in-process metrics registry rendered in the Prometheus text exposition format (version 0.0.4).
 * Counters, gauges and histograms with labels; no dependency, runs on every runtime. On Workers each isolate keeps
 * its own numbers — scrape-based metrics are a server concern there, logs are the durable signal.
 */

export type Labels = Record<string, string | number>

type Series<T> = Map<string, { labels: Labels; value: T }>

const DEFAULT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/

/**
 * The series key: label names in sorted order so `{a, b}` and `{b, a}` are one series. On the hot path (one call per
 * request per metric) the names usually arrive sorted already, so this only checks and concatenates; the NUL
 * separators keep a value containing `,` or `=` from colliding with another series.
 */
function keyOf(labels: Labels): string {
  let key = ''
  let previous = ''
  for (const name in labels) {
    if (name < previous) return sortedKeyOf(labels)
    previous = name
    key += name + '\0' + labels[name] + '\0'
  }
  return key
}

function sortedKeyOf(labels: Labels): string {
  let key = ''
  for (const name of Object.keys(labels).sort()) key += name + '\0' + labels[name] + '\0'
  return key
}

function checkLabelNames(metric: string, labels: Labels) {
  for (const name in labels) {
    if (!LABEL_NAME.test(name) || name.startsWith('__')) throw new Error(`Invalid label name "${name}" on ${metric}`)
  }
}

function escapeLabel(value: string | number): string {
  return String(value).replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
}

/** HELP text escapes only backslash and newline (quotes are literal there). */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}

/** Sample values are Go-style floats: infinities are `+Inf` / `-Inf`, not JavaScript's `Infinity`. */
function formatValue(value: number): string {
  if (value === Infinity) return '+Inf'
  if (value === -Infinity) return '-Inf'
  return String(value)
}

function renderLabels(labels: Labels, extra?: Labels): string {
  const all = extra ? { ...labels, ...extra } : labels
  const parts = Object.keys(all).map((k) => `${k}="${escapeLabel(all[k]!)}"`)
  return parts.length ? `{${parts.join(',')}}` : ''
}

abstract class Metric {
  constructor(
    readonly name: string,
    readonly help: string,
  ) {
    if (!METRIC_NAME.test(name)) throw new Error(`Invalid metric name "${name}"`)
  }
  abstract readonly type: 'counter' | 'gauge' | 'histogram'
  abstract samples(): string[]
  render(): string {
    return [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`, ...this.samples()].join('\n')
  }
  /** The series for `labels`, created (with its label names checked, once) on first use. */
  protected seriesFor<T>(series: Series<T>, labels: Labels, initial: () => T): { labels: Labels; value: T } {
    const key = keyOf(labels)
    let s = series.get(key)
    if (!s) {
      checkLabelNames(this.name, labels)
      // A copy: the caller may reuse or mutate its labels object.
      s = { labels: { ...labels }, value: initial() }
      series.set(key, s)
    }
    return s
  }
}

export class Counter extends Metric {
  readonly type = 'counter'
  private series: Series<number> = new Map()
  inc(labels: Labels = {}, by = 1) {
    // A counter that goes down reads as a process restart to Prometheus' rate(); refuse it loudly.
    if (!(by >= 0)) throw new RangeError(`${this.name}: a counter only goes up (got ${by})`)
    this.seriesFor(this.series, labels, () => 0).value += by
  }
  get(labels: Labels = {}): number {
    return this.series.get(keyOf(labels))?.value ?? 0
  }
  /** A handle on one series, for hot paths that count the same labels again and again (no key per call). */
  child(labels: Labels): CounterSeries {
    const s = this.seriesFor(this.series, labels, () => 0)
    const name = this.name
    return {
      inc(by = 1) {
        if (!(by >= 0)) throw new RangeError(`${name}: a counter only goes up (got ${by})`)
        s.value += by
      },
    }
  }
  samples() {
    return [...this.series.values()].map((s) => `${this.name}${renderLabels(s.labels)} ${formatValue(s.value)}`)
  }
}

export interface CounterSeries {
  inc(by?: number): void
}

export interface GaugeSeries {
  set(value: number): void
  inc(by?: number): void
  dec(by?: number): void
}

export class Gauge extends Metric {
  readonly type = 'gauge'
  private series: Series<number> = new Map()
  /** Called at scrape time, for values that are cheaper to read than to track (pool size, memory, uptime). */
  private collectors: Array<() => void> = []
  set(value: number, labels: Labels = {}) {
    this.seriesFor(this.series, labels, () => 0).value = value
  }
  inc(labels: Labels = {}, by = 1) {
    this.seriesFor(this.series, labels, () => 0).value += by
  }
  dec(labels: Labels = {}, by = 1) {
    this.inc(labels, -by)
  }
  get(labels: Labels = {}): number {
    return this.series.get(keyOf(labels))?.value ?? 0
  }
  collect(fn: () => void) {
    this.collectors.push(fn)
  }
  /** A handle on one series (no key per call), for hot paths. */
  child(labels: Labels = {}): GaugeSeries {
    const s = this.seriesFor(this.series, labels, () => 0)
    return {
      set: (value) => void (s.value = value),
      inc: (by = 1) => void (s.value += by),
      dec: (by = 1) => void (s.value -= by),
    }
  }
  samples() {
    for (const fn of this.collectors) {
      try {
        fn()
      } catch {
        // One broken collector must not blank the whole scrape; its series keeps the last value.
      }
    }
    return [...this.series.values()].map((s) => `${this.name}${renderLabels(s.labels)} ${formatValue(s.value)}`)
  }
}

interface HistogramState {
  counts: number[]
  sum: number
  count: number
}

export class Histogram extends Metric {
  readonly type = 'histogram'
  private series_: Series<HistogramState> = new Map()
  readonly buckets: number[]
  constructor(name: string, help: string, buckets: number[] = DEFAULT_BUCKETS) {
    super(name, help)
    // +Inf is always added at render time; the rest must be finite and increasing.
    this.buckets = buckets.filter((b) => b !== Infinity)
    if (this.buckets.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= this.buckets[i - 1]!))) {
      throw new Error(`${name}: histogram buckets must be finite and strictly increasing`)
    }
  }
  observe(value: number, labels: Labels = {}) {
    record(this.buckets, this.stateFor(labels), value)
  }
  /** A handle on one series, for hot paths that observe the same labels again and again (no key per call). */
  child(labels: Labels): HistogramSeries {
    const buckets = this.buckets
    const state = this.stateFor(labels)
    return { observe: (value) => record(buckets, state, value) }
  }
  count(labels: Labels = {}): number {
    return this.series_.get(keyOf(labels))?.value.count ?? 0
  }
  /** Observations across every series. */
  totalCount(): number {
    let total = 0
    for (const { value } of this.series_.values()) total += value.count
    return total
  }
  /** Every series' labels and observation count (a counter view renders these). */
  counts(): Array<{ labels: Labels; count: number }> {
    return [...this.series_.values()].map(({ labels, value }) => ({ labels, count: value.count }))
  }
  private stateFor(labels: Labels): HistogramState {
    return this.seriesFor(this.series_, labels, () => ({ counts: new Array<number>(this.buckets.length).fill(0), sum: 0, count: 0 })).value
  }
  samples() {
    const out: string[] = []
    for (const { labels, value: s } of this.series_.values()) {
      let cumulative = 0
      this.buckets.forEach((b, i) => {
        cumulative += s.counts[i]!
        out.push(`${this.name}_bucket${renderLabels(labels, { le: b })} ${cumulative}`)
      })
      out.push(`${this.name}_bucket${renderLabels(labels, { le: '+Inf' })} ${s.count}`)
      out.push(`${this.name}_sum${renderLabels(labels)} ${formatValue(s.sum)}`)
      out.push(`${this.name}_count${renderLabels(labels)} ${s.count}`)
    }
    return out
  }
}

export interface HistogramSeries {
  observe(value: number): void
}

function record(buckets: number[], s: HistogramState, value: number) {
  if (Number.isNaN(value)) return
  // Buckets are cumulative at render time; here each observation lands in its first fitting bucket only.
  for (let i = 0; i < buckets.length; i++) {
    if (value <= buckets[i]!) {
      s.counts[i]!++
      break
    }
  }
  s.sum += value
  s.count++
}

/**
 * A counter whose value is a histogram's observation count, per series: the conventional `*_total` name for a
 * figure the histogram already keeps, at no cost per observation.
 */
export class HistogramCount extends Metric {
  readonly type = 'counter'
  constructor(
    name: string,
    help: string,
    private readonly histogram: Histogram,
  ) {
    super(name, help)
  }
  samples() {
    return this.histogram.counts().map(({ labels, count }) => `${this.name}${renderLabels(labels)} ${count}`)
  }
}

export class MetricsRegistry {
  private metrics = new Map<string, Metric>()
  private refreshers = new Set<() => Promise<void>>()

  counter(name: string, help: string): Counter {
    return this.register(name, Counter, () => new Counter(name, help))
  }
  gauge(name: string, help: string): Gauge {
    return this.register(name, Gauge, () => new Gauge(name, help))
  }
  histogram(name: string, help: string, buckets?: number[]): Histogram {
    return this.register(name, Histogram, () => new Histogram(name, help, buckets))
  }
  /** A counter read off `histogram`'s observation counts (see HistogramCount). */
  countOf(name: string, help: string, histogram: Histogram): HistogramCount {
    return this.register(name, HistogramCount, () => new HistogramCount(name, help, histogram))
  }

  /**
   * Work to do before a scrape, for values that take a query to read (the event backlog's age): read when someone
   * looks, not on a timer that runs whether anyone looks or not. Returns the way to remove it.
   */
  beforeScrape(refresh: () => Promise<void>): () => void {
    this.refreshers.add(refresh)
    return () => void this.refreshers.delete(refresh)
  }

  /** Runs every beforeScrape refresher; one that fails or hangs past `timeoutMs` leaves its metric's last value. */
  async refresh(timeoutMs = 2_000): Promise<void> {
    if (!this.refreshers.size) return
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))
    await Promise.race([Promise.allSettled([...this.refreshers].map((r) => r())), timeout])
    clearTimeout(timer)
  }

  /** Prometheus text format; the content type to serve it with is PROMETHEUS_CONTENT_TYPE. */
  render(): string {
    return [...this.metrics.values()].map((m) => m.render()).join('\n') + '\n'
  }

  /** The same name twice returns the same metric (modules register independently); a different kind is a bug. */
  private register<T extends Metric>(name: string, kind: abstract new (...args: never[]) => T, make: () => T): T {
    const existing = this.metrics.get(name)
    if (existing) {
      if (!(existing instanceof kind)) throw new Error(`Metric ${name} is already registered as a ${existing.type}`)
      return existing
    }
    const metric = make()
    this.metrics.set(name, metric)
    return metric
  }
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'
