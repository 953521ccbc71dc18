import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { settleTimerShape, timerShapeSettled } from './timer-shape.node.ts'

/**
 * V8 only tells which optimised code it throws away through --trace-deopt, so the check runs in a child Node with it:
 * timers with whole-number delays until Node's timer code is optimised, then one fractional delay, and the deopts
 * printed after it are counted. Run with and without settling first; without is the control that shows the check can
 * fail (on this Node the fractional delay deoptimises the timer lists' code). The child compiles on its main thread
 * (--no-concurrent-recompilation): with V8's background compiler, which functions were optimised by the fractional
 * delay depended on how busy the machine was, and two CI runs saw names the check had not expected. Synchronous, six
 * runs each gave the same list: the control insert, append, remove (with initAsyncResource, warmUp, unenroll), settled
 * none.
 */
function deoptsAfterFractionalDelay(settleFirst: boolean): string[] {
  const module = new URL('./timer-shape.node.ts', import.meta.url).href
  const script = `
    import { settleTimerShape } from ${JSON.stringify(module)}
    if (${settleFirst}) settleTimerShape()
    const make = (ms) => { const t = setTimeout(() => {}, ms); clearTimeout(t); return t }
    function warmUp() { let sum = 0; for (let i = 0; i < 200000; i++) sum += make(5 + (i & 3))._idleTimeout; return sum }
    function afterFractional() { let sum = 0; for (let i = 0; i < 1000; i++) sum += make(5)._idleTimeout; return sum }
    const warm = warmUp()
    console.log('--- fractional')
    make(5.5)
    console.log('--- done', warm + afterFractional() > 0)
  `
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--trace-deopt', '--no-concurrent-recompilation', '--input-type=module', '-e', script], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  const after = out.slice(out.indexOf('--- fractional'), out.indexOf('--- done'))
  // "deoptimizing <JSFunction insert (sfi = ...)>" (eager; an anonymous function prints no name before "(sfi") and
  // "marking dependent code ... (<SharedFunctionInfo Timeout>)".
  const deopts = after.matchAll(/deoptimizing\s+\S+ <JSFunction (?:(\S+) )?\(sfi|<SharedFunctionInfo (\S+?)>\) \(opt id \d+\) for deoptimization/g)
  return [...deopts].map((m) => m[1] ?? m[2] ?? '(anonymous)')
}

describe('settleTimerShape', () => {
  it('leaves the timer lists optimised when a fractional delay arrives', () => {
    const unsettled = deoptsAfterFractionalDelay(false)
    expect(unsettled).toEqual(expect.arrayContaining(['insert', 'append', 'remove']))
    const settled = deoptsAfterFractionalDelay(true)
    // At most the code whose own type feedback had seen only whole numbers: the Timeout constructor (settling's
    // setInterval ran before V8 gave it a feedback vector) and setTimeout, which only the script calls ("not a Smi" at
    // its delay), or the script's own functions where V8 inlined them (usually `make`; a CI run optimised setTimeout
    // on its own and deoptimised it by that name). The loops sit in named functions because the module body, when V8
    // compiles a loop of it on stack, is anonymous — a CI run saw exactly that and the check could not tell it apart.
    // The timer lists (insert, append, remove), which settling is for, are never in this set.
    const scriptsOwn = new Set(['Timeout', 'setTimeout', 'make', 'warmUp', 'afterFractional'])
    expect(settled.filter((name) => !scriptsOwn.has(name))).toEqual([])
  })

  it('keeps one interval for the life of the process', () => {
    settleTimerShape()
    settleTimerShape()
    expect(timerShapeSettled()).toBe(true)
  })
})
