import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { keepTickObjectShape } from './tick-object-shape.node.ts'

interface Maps {
  kept: boolean
  /** The kept object and a nextTick record made afterwards share a hidden class. */
  sameAsRecord: boolean
  /** Control: the same keys in another order never share it, so a "same" answer is not a given. */
  sameAsReordered: boolean
}

/**
 * Whether two objects share a hidden class is only visible through V8's natives syntax, so the check runs in a child
 * Node with --allow-natives-syntax, which keeps the shape as early as a server does (first thing in its entry).
 */
function maps(): Maps {
  const module = new URL('./tick-object-shape.node.ts', import.meta.url).href
  const early = `data:text/javascript,import { keepTickObjectShape } from ${JSON.stringify(module)}; keepTickObjectShape()`
  const script = `
    import { createHook } from 'node:async_hooks'
    import { keepTickObjectShape } from ${JSON.stringify(module)}
    const kept = keepTickObjectShape()
    const record = () => {
      let caught
      const hook = createHook({ init(_id, type, _trigger, resource) { if (type === 'TickObject') caught ??= resource } }).enable()
      process.nextTick(() => {})
      hook.disable()
      return caught
    }
    const [asyncId, triggerAsyncId] = Object.getOwnPropertySymbols(record())
    // Records made later, many and from optimised code too, must still be of the kept object's class.
    for (let round = 0; round < 20; round++) {
      await new Promise((resolve) => { let left = 1000; for (let i = 0; i < 1000; i++) process.nextTick(() => --left || resolve(), i) })
    }
    const reordered = { callback: () => {}, args: undefined, [asyncId]: 1, [triggerAsyncId]: 1 }
    const later = record()
    console.log(JSON.stringify({
      kept: kept !== undefined,
      sameAsRecord: %HaveSameMap(kept, later),
      sameAsReordered: %HaveSameMap(reordered, later),
    }))
  `
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--import', early, '--allow-natives-syntax', '--input-type=module', '-e', script], { encoding: 'utf8' })
  return JSON.parse(out.trim().split('\n').at(-1)!) as Maps
}

describe('keepTickObjectShape', () => {
  it('holds an object with the hidden class nextTick records keep having', () => {
    expect(maps()).toEqual({ kept: true, sameAsRecord: true, sameAsReordered: false })
  })

  it('keeps one object for the life of the process', () => {
    const first = keepTickObjectShape()
    expect(first).toBeDefined()
    expect(keepTickObjectShape()).toBe(first)
  })
})
