/**
 * Keeps the hidden class of Node's nextTick records alive for the life of the process, so that an idle spell does
 * not make every `process.nextTick` afterwards go through V8's C++ runtime.
 *
 * Why: Node builds each nextTick record as an object literal with computed keys
 * (`{ [async_id_symbol]: id, [trigger_async_id_symbol]: trigger, callback, args }`, internal/process/task_queues).
 * V8 adds computed keys one by one through a cache that remembers the hidden class (map) it saw at each step. The
 * intermediate maps of that chain have no instances of their own between ticks and are held only weakly. When a
 * server goes quiet, V8's memory reducer runs a memory-reducing mark-compact which, unlike an ordinary one, does not
 * retain recently used maps: the chain dies, the remembered map is cleared, and on the next call V8 finds "a different
 * map" and marks the site megamorphic for good. From then on each of the several nextTicks of an HTTP request defines
 * its keys in `Runtime_DefineKeyedOwnPropertyInLiteral`.
 *
 * Measured here (Node 20, perf cpu-clock, the full app on PostgreSQL): no runtime calls of that kind until the first
 * "Mark-Compact (reduce)" about 100 s after start-up, then 5–7% of the loaded server's samples inside that one runtime
 * function for the rest of its life, and 16% more CPU per /health/live request in all (A/B after 130 s idle: 40.9 vs
 * 34.4 µs); with one record-shaped object kept, none in the 190 s watched, past that collection.
 *
 * How: an object built from the same literal shape (same keys, same order, same kinds of value) shares the map chain
 * of the real records; holding it keeps every map of the chain alive. The two symbols are Node's own, read off an
 * AsyncResource (which carries both). On a Node whose records look different the object shares nothing and costs
 * nothing — tick-object-shape.node.test.ts checks that it shares the map on the Node this runs on.
 * `buildServerDeps` (server-deps.node.ts) keeps it, so every server start-up does.
 */
import { AsyncResource } from 'node:async_hooks'

let kept: object | undefined

/** Whether this process keeps the shape (what a server's start-up is checked for). */
export const tickObjectShapeKept = (): boolean => kept !== undefined

/** The kept record-shaped object (idempotent), or undefined where Node's async id symbols are not found. */
export function keepTickObjectShape(): object | undefined {
  if (kept) return kept
  const keys = Reflect.ownKeys(new AsyncResource('kamhub.tick-object-shape'))
  const symbolNamed = (description: string) => keys.find((key): key is symbol => typeof key === 'symbol' && key.description === description)
  const asyncId = symbolNamed('async_id_symbol')
  const triggerAsyncId = symbolNamed('trigger_async_id_symbol')
  if (!asyncId || !triggerAsyncId) return undefined
  // Field kinds as general as the records' ever get, so that no later record generalises (and so replaces) the maps
  // kept here: Node reads ids out of a Float64Array, and some seconds into a server's life records arrive with them
  // as heap numbers, which moves the id fields from small integers to doubles. Kept with small integers, this object
  // was on a replaced (deprecated) map 5 s after start-up and the server slowed down as before; with doubles it
  // shared the records' map through every collection (both checked in the running server with %HaveSameMap).
  kept = { [asyncId]: 0.5, [triggerAsyncId]: 0.5, callback: keepTickObjectShape, args: undefined }
  return kept
}
