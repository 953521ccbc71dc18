/**
 * A small in-process metrics registry rendered in the Prometheus text exposition format (version 0.0.4).
 * Counters, gauges and histograms with labels; no dependency, runs on every runtime. On Workers each isolate keeps
 * its own numbers — scrape-based metrics are a server concern there, logs are the durable signal.
 */

export type Labels = Record<string, string | number>

type Series<T> = Map<string, { labels: Labels; value: T }>

const DEFAULT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

function keyOf(labels: Labels): string {
  const names = Object.keys(labels).sort()
  return names.map((n) => `${n}=${labels[n]}`).join(',')
}

function escapeLabel(value: string | number): string {
  return String(value).replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
}

function renderLabels(labels: Labels, extra?: Labels): string {
  const all = { ...labels, ...extra }
  const parts = Object.keys(all).map((k) => `${k}="${escapeLabel(all[k]!)}"`)
  return parts.length ? `{${parts.join(',')}}` : ''
}

abstract class Metric {
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  abstract readonly type: 'counter' | 'gauge' | 'histogram'
  abstract samples(): string[]
  render(): string {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`, ...this.samples()].join('\n')
  }
}

export class Counter extends Metric {
  readonly type = 'counter'
  private series: Series<number> = new Map()
  inc(labels: Labels = {}, by = 1) {
    const key = keyOf(labels)
    const s = this.series.get(key)
    if (s) s.value += by
    else this.series.set(key, { labels, value: by })
  }
  get(labels: Labels = {}): number {
    return this.series.get(keyOf(labels))?.value ?? 0
  }
  samples() {
    return [...this.series.values()].map((s) => `${this.name}${renderLabels(s.labels)} ${s.value}`)
  }
}

export class Gauge extends Metric {
  readonly type = 'gauge'
  private series: Series<number> = new Map()
  /** Called at scrape time, for values that are cheaper to read than to track (pool size, oldest pending age). */
  private collectors: Array<() => void> = []
  set(value: number, labels: Labels = {}) {
    this.series.set(keyOf(labels), { labels, value })
  }
  inc(labels: Labels = {}, by = 1) {
    const key = keyOf(labels)
    const s = this.series.get(key)
    if (s) s.value += by
    else this.series.set(key, { labels, value: by })
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
  samples() {
    for (const fn of this.collectors) fn()
    return [...this.series.values()].map((s) => `${this.name}${renderLabels(s.labels)} ${s.value}`)
  }
}

interface HistogramState {
  labels: Labels
  counts: number[]
  sum: number
  count: number
}

export class Histogram extends Metric {
  readonly type = 'histogram'
  private series: Series<HistogramState> = new Map()
  constructor(
    name: string,
    help: string,
    readonly buckets: number[] = DEFAULT_BUCKETS,
  ) {
    super(name, help)
  }
  observe(value: number, labels: Labels = {}) {
    const key = keyOf(labels)
    let s = this.series.get(key)?.value
    if (!s) {
      s = { labels, counts: new Array(this.buckets.length).fill(0), sum: 0, count: 0 }
      this.series.set(key, { labels, value: s })
    }
    // Buckets are cumulative at render time; here each observation lands in its first fitting bucket.
    const i = this.buckets.findIndex((b) => value <= b)
    if (i >= 0) s.counts[i]!++
    s.sum += value
    s.count++
  }
  count(labels: Labels = {}): number {
    return this.series.get(keyOf(labels))?.value.count ?? 0
  }
  samples() {
    const out: string[] = []
    for (const { value: s } of this.series.values()) {
      let cumulative = 0
      this.buckets.forEach((b, i) => {
        cumulative += s.counts[i]!
        out.push(`${this.name}_bucket${renderLabels(s.labels, { le: b })} ${cumulative}`)
      })
      out.push(`${this.name}_bucket${renderLabels(s.labels, { le: '+Inf' })} ${s.count}`)
      out.push(`${this.name}_sum${renderLabels(s.labels)} ${s.sum}`)
      out.push(`${this.name}_count${renderLabels(s.labels)} ${s.count}`)
    }
    return out
  }
}

export class MetricsRegistry {
  private metrics = new Map<string, Metric>()

  counter(name: string, help: string): Counter {
    return this.register(name, () => new Counter(name, help))
  }
  gauge(name: string, help: string): Gauge {
    return this.register(name, () => new Gauge(name, help))
  }
  histogram(name: string, help: string, buckets?: number[]): Histogram {
    return this.register(name, () => new Histogram(name, help, buckets))
  }

  /** Prometheus text format; the content type to serve it with is PROMETHEUS_CONTENT_TYPE. */
  render(): string {
    return [...this.metrics.values()].map((m) => m.render()).join('\n') + '\n'
  }

  private register<T extends Metric>(name: string, make: () => T): T {
    const existing = this.metrics.get(name)
    if (existing) return existing as T
    const metric = make()
    this.metrics.set(name, metric)
    return metric
  }
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'
