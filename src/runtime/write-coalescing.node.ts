/**
 * Flush consolidation for Node's HTTP server: what the answers of one event-loop turn write to their sockets goes
 * to the kernel at the end of that turn's I/O (the check phase, `setImmediate`), back to back — still one system
 * call per socket, and every write in the order it was made.
 *
 * Why: on loopback and in a VM, most of a small answer's cost is the kernel's, and the dearest part is waking the
 * reader. Written the moment each handler finishes, answers leave ~30 µs apart; a client faster than the server
 * reads each one, goes back to sleep, and the next answer has to wake it again (an inter-processor interrupt, a VM
 * exit on this machine kind). Measured at saturation with 50 connections, 4 s rounds: the client slept 0.4–0.8 times
 * per answer, and the server's CPU per answer rose with it, 39 → 61 µs for the same /health/live; with the turn's
 * writes together the client slept 0.03 times per answer (0.04–0.05 with MOST_HELD below) and the server held
 * 28–33 µs (`npm run bench` compares).
 * Netty's FlushConsolidationHandler and uWebSockets' per-iteration cork do the same.
 *
 * What it costs: an answer waits for the rest of its turn's I/O callbacks — the other requests that arrived in the
 * same poll, at most MOST_HELD of them — before it is sent; a quiet server's turns hold one request, so it waits for
 * nothing.
 *
 * How: a socket's `_write`/`_writev` (what its Writable calls to hand data to the handle) are replaced per
 * connection by ones that queue the call for the turn's flush. While a socket's write is queued, Node's Writable
 * counts it as in progress and buffers later writes behind it, so at most one call per socket waits, and backpressure
 * (`write()` returning false past the high-water mark, `'drain'`) works as before. A socket closed before the flush
 * gets Node's own answer for a write on a closed socket (the write's callback with ERR_SOCKET_CLOSED).
 */
import type { Server } from 'node:http'
import { Socket } from 'node:net'

type WriteCallback = (error?: Error | null) => void
interface Chunk {
  chunk: unknown
  encoding: BufferEncoding
}
/** The Writable-facing methods of `net.Socket` (not in Node's public types). */
interface SocketWrites {
  _write(chunk: unknown, encoding: BufferEncoding, callback: WriteCallback): void
  _writev(chunks: Chunk[], callback: WriteCallback): void
}

const socketWrites = Socket.prototype as unknown as SocketWrites
const { _write: writeNow, _writev: writevNow } = socketWrites

/** One queued call: `chunks` for a `_writev`, else `chunk` and `encoding` for a `_write`. */
interface Queued {
  socket: SocketWrites
  chunks: Chunk[] | undefined
  chunk: unknown
  encoding: BufferEncoding | undefined
  callback: WriteCallback
}

/**
 * The most writes held at once. When a turn has written this many, they are handed on as soon as the callback that
 * wrote the last of them returns (`process.nextTick`), and holding starts again: a reader still sleeps at most once per
 * this many answers, and no answer waits behind more than this many others' handlers. Measured at saturation, 4 s
 * rounds, against holding the whole turn: the same throughput at 16 and 8 (the client slept 0.04–0.05 and 0.07–0.12
 * times per answer), a little less at 4 (0.14–0.21).
 */
const MOST_HELD = 16

let queue: Queued[] = []
let turnEndScheduled = false

/** Hands every queued write to its socket, oldest first. */
function handOver(): void {
  const due = queue
  queue = []
  let i = 0
  try {
    for (; i < due.length; i++) {
      const { socket, chunks, chunk, encoding, callback } = due[i]!
      if (chunks) writevNow.call(socket, chunks, callback)
      else writeNow.call(socket, chunk, encoding!, callback)
    }
  } finally {
    // A write's callback threw (a 'finish' listener, say). The writes after it still go, on the next tick: a socket
    // whose write never happened would wait for it for ever.
    if (i < due.length - 1) {
      queue = due.slice(i + 1).concat(queue)
      process.nextTick(handOver)
    }
  }
}

function handOverAtTurnEnd(): void {
  turnEndScheduled = false
  handOver()
}

function enqueue(entry: Queued): void {
  queue.push(entry)
  if (queue.length === MOST_HELD) process.nextTick(handOver)
  else if (!turnEndScheduled) {
    turnEndScheduled = true
    setImmediate(handOverAtTurnEnd)
  }
}

function writeAtTurnEnd(this: SocketWrites, chunk: unknown, encoding: BufferEncoding, callback: WriteCallback): void {
  enqueue({ socket: this, chunks: undefined, chunk, encoding, callback })
}

function writevAtTurnEnd(this: SocketWrites, chunks: Chunk[], callback: WriteCallback): void {
  enqueue({ socket: this, chunks, chunk: undefined, encoding: undefined, callback })
}

/**
 * Sends the writes of every connection `server` accepts from now on at the end of their event-loop turn. A socket
 * whose write methods something else has already replaced is left alone.
 */
export function coalesceSocketWrites(server: Server): void {
  server.on('connection', (socket: Socket) => {
    const writes = socket as unknown as SocketWrites
    if (writes._write !== writeNow || writes._writev !== writevNow) return
    writes._write = writeAtTurnEnd
    writes._writev = writevAtTurnEnd
  })
}
