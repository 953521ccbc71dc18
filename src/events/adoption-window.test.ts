import { describe, expect, it } from 'vitest'
import { AdoptionWindow } from './adoption-window.ts'

function windowAt(start = 1_000) {
  const clock = { now: start }
  return { clock, window: new AdoptionWindow(60_000, () => clock.now) }
}

describe('AdoptionWindow', () => {
  it('outside a reconnect every run is a first run, and nothing is remembered', () => {
    const { window } = windowAt()
    window.ran('7', 1)
    expect(window.isFirst('7', 1)).toBe(true)
  })

  it('from the drop until the window ends, the same attempt of a delivery runs once', () => {
    const { clock, window } = windowAt()
    window.open()
    window.ran('7', 1) // adopted
    clock.now += 5_000
    window.close()
    clock.now += 59_000
    // its claim's answer (same attempt: the adoption only renewed the claim's lease), or its push on the new connection
    expect(window.isFirst('7', 1)).toBe(false)
    expect(window.isFirst('8', 1)).toBe(true)
  })

  it('a retry of a delivery that ran in the window runs: it carries the next attempt', () => {
    const { window } = windowAt()
    window.open()
    window.ran('7', 1)
    window.close()
    expect(window.isFirst('7', 2)).toBe(true)
  })

  it('a run before the adoption answered is still known after it (remembered from the drop on)', () => {
    const { clock, window } = windowAt()
    window.open()
    clock.now += 600_000 // however long the reconnect takes
    window.ran('9', 3)
    window.close()
    expect(window.isFirst('9', 3)).toBe(false)
  })

  it('after the window the runs are forgotten', () => {
    const { clock, window } = windowAt()
    window.open()
    window.ran('7', 1)
    window.close()
    clock.now += 60_000
    expect(window.isFirst('7', 1)).toBe(true)
    clock.now -= 1 // cleared for good, not hidden by the clock
    expect(window.isFirst('7', 1)).toBe(true)
  })

  it('a second drop starts afresh', () => {
    const { window } = windowAt()
    window.open()
    window.ran('7', 1)
    window.close()
    window.open()
    expect(window.isFirst('7', 1)).toBe(true)
  })
})
