/**
 * The log sink of the Node and Deno servers: stdout through a synchronous pino destination that batches lines.
 *
 * Why batched: one write(2) per access line was a fifth of a cached catalogue read's CPU (npm run bench:search,
 * stdout to a pipe). Lines collect up to `minLength` bytes and go out in one synchronous write; a periodic flush
 * bounds how long a line waits on a quiet server, and the process's `exit` (normal end, uncaught exception,
 * process.exit) writes what is left. What a hard kill (SIGKILL, the OOM killer) can lose is the last `flushMs`.
 * Why 16 KiB: a write(2) costs a few µs whatever its size on this VM, and at 4 KiB (about 14 access lines) that was
 * still 0.6–1.2 µs per line through this destination, against 0.18 at 16 KiB and 0.15 at 64 KiB (200k lines of
 * 300 bytes to /dev/null). Writes over PIPE_BUF (4 KiB) are not atomic on a pipe, which matters only when other
 * processes write to the same pipe at once; every line here comes from this one thread, and lines stay whole.
 * Why synchronous writes, still: a slow log pipe pushes back on the server instead of growing an unbounded buffer,
 * and pino's asynchronous mode hands every write to the libuv thread pool (about 5 µs more per line, bench/http.ts).
 */
import pino from 'pino'

export interface BufferedDestinationOptions {
  /** Bytes collected before a write (0: every line written at once). */
  minLength?: number
  /** The longest a line waits on a quiet server, in ms. */
  flushMs?: number
}

/** What pino writes to, and what the exit hook and shutdown call. */
export interface BufferedDestination extends pino.DestinationStream {
  write(line: string): boolean
  /** Writes what is collected now, synchronously. */
  flushSync(): void
  /** pino's `logger.flush(cb)`. */
  flush(cb?: (error?: Error) => void): void
}

const open = new Set<BufferedDestination>()
let exitHook = false

/**
 * Lines are collected in an array and joined once per write, in front of a sonic-boom destination that writes at
 * once (it still owns the file descriptor, EAGAIN retries on a full pipe, and flushSync). sonic-boom's own batching
 * is not used: it appends each line to one growing string and asks that string's UTF-8 length on every write,
 * which copies the whole batch so far each time — 2 KB of garbage per access line at a 4 KB batch, the largest
 * single allocation of a cached catalogue read (npm run bench:search).
 */
export function bufferedDestination(dest: number | string = 1, { minLength = 16_384, flushMs = 100 }: BufferedDestinationOptions = {}): BufferedDestination {
  const sink = pino.destination({ dest, sync: true, minLength: 0 })
  let lines: string[] = []
  // In UTF-16 units, not bytes: a batch of non-ASCII lines goes out somewhat later in bytes, which is harmless.
  let collected = 0
  const writeOut = () => {
    if (!lines.length) return
    const text = lines.length === 1 ? lines[0]! : lines.join('')
    lines = []
    collected = 0
    sink.write(text)
  }
  const timer = minLength > 0 ? setInterval(writeOut, flushMs) : undefined
  // A periodic flush must not keep an otherwise finished process alive.
  timer?.unref()
  const destination: BufferedDestination = {
    write(line) {
      lines.push(line)
      collected += line.length
      if (collected >= minLength) writeOut()
      return true
    },
    flushSync() {
      writeOut()
      sink.flushSync()
    },
    flush(cb) {
      writeOut()
      sink.flush(cb)
    },
  }
  open.add(destination)
  if (!exitHook) {
    exitHook = true
    // 'exit' handlers run synchronously on every way out but a signal kill: flushSync is synchronous too.
    process.on('exit', () => {
      for (const d of open) {
        try {
          d.flushSync()
        } catch {
          // A closed or broken stdout: nothing more can be done with these lines.
        }
      }
    })
  }
  return destination
}
