import { describe, expect, it } from 'vitest'
import { fitSms, graphemes, isGsm7, smsSegments, truncate } from './sms-segments.ts'

const a = (n: number) => 'a'.repeat(n)

describe('smsSegments: GSM-7', () => {
  it('exactly 160 GSM-7 characters are one part; 161 are two', () => {
    expect(smsSegments(a(160))).toEqual({ encoding: 'GSM-7', units: 160, segments: 1 })
    expect(smsSegments(a(161))).toEqual({ encoding: 'GSM-7', units: 161, segments: 2 })
  })

  it('a concatenated message carries 153 per part: 306 are two parts, 307 three', () => {
    expect(smsSegments(a(306)).segments).toBe(2)
    expect(smsSegments(a(307)).segments).toBe(3)
  })

  it('extension characters (€ [ ] { } ~ ^ | \\) cost two septets and stay GSM-7', () => {
    for (const ch of ['€', '[', ']', '{', '}', '~', '^', '|', '\\']) {
      expect(smsSegments(a(158) + ch)).toEqual({ encoding: 'GSM-7', units: 160, segments: 1 })
      expect(smsSegments(a(159) + ch)).toEqual({ encoding: 'GSM-7', units: 161, segments: 2 })
    }
  })

  it('an escape pair never straddles two parts (306 septets can need three parts)', () => {
    // 152 + € would leave the escape in part 1 and the € in part 2; handsets move both to part 2.
    expect(smsSegments(a(152) + '€' + a(152))).toEqual({ encoding: 'GSM-7', units: 306, segments: 3 })
  })

  it('the default alphabet beyond ASCII (£ ¥ è é Ä ñ Δ Ω §, newline) costs one septet each', () => {
    const text = '£¥èéÄñΔΩ§\n@_'
    expect(smsSegments(text)).toEqual({ encoding: 'GSM-7', units: [...text].length, segments: 1 })
  })

  it('an empty text is no part at all', () => {
    expect(smsSegments('')).toEqual({ encoding: 'GSM-7', units: 0, segments: 0 })
  })
})

describe('smsSegments: UCS-2', () => {
  it('one Cyrillic letter switches the whole text to UCS-2: 70 per part alone, 67 concatenated', () => {
    expect(smsSegments(a(69) + 'ж')).toEqual({ encoding: 'UCS-2', units: 70, segments: 1 })
    expect(smsSegments(a(70) + 'ж')).toEqual({ encoding: 'UCS-2', units: 71, segments: 2 })
    expect(smsSegments('ж'.repeat(134)).segments).toBe(2)
    expect(smsSegments('ж'.repeat(135)).segments).toBe(3)
  })

  it('an emoji is a surrogate pair: 2 code units', () => {
    expect(smsSegments(a(68) + '😀')).toEqual({ encoding: 'UCS-2', units: 70, segments: 1 })
    expect(smsSegments(a(69) + '😀')).toEqual({ encoding: 'UCS-2', units: 71, segments: 2 })
  })

  it('a surrogate pair never straddles two parts', () => {
    expect(smsSegments(a(66) + '😀' + a(66))).toEqual({ encoding: 'UCS-2', units: 134, segments: 3 })
  })

  it('typographic characters Intl and editors produce are not GSM-7 (…, no-break spaces, «», ₽)', () => {
    for (const ch of ['…', '\u00a0', '\u202f', '«', '₽', 'ç']) expect(isGsm7(`ok${ch}`), JSON.stringify(ch)).toBe(false)
  })
})

describe('truncate', () => {
  it('cuts on grapheme boundaries: a skin-toned emoji is never split', () => {
    expect(truncate('ab👍🏽cd', 4)).toBe('ab👍🏽…')
    expect(graphemes('ab👍🏽cd')).toHaveLength(5)
  })

  it('drops trailing spaces and punctuation before the ellipsis', () => {
    expect(truncate('Мутновский и Горелый: два вулкана', 22)).toBe('Мутновский и Горелый…')
  })

  it('leaves a text that fits unchanged', () => {
    expect(truncate('Авача', 5)).toBe('Авача')
  })
})

describe('fitSms', () => {
  const budget = { maxSegments: 2 }

  it('a message that fits is returned unchanged', () => {
    expect(fitSms((f) => `Tour: ${f.title}`, { title: { text: 'Avacha' } }, budget)).toBe('Tour: Avacha')
  })

  it('a long Cyrillic title is shortened with … until the message fits two UCS-2 parts', () => {
    const title = 'Вулкан '.repeat(60).trim()
    const text = fitSms((f) => `KamHub: «${f.title}». Билет: https://kamhub.ru/t/K7M2QX9P`, { title: { text: title } }, budget)
    expect(smsSegments(text)).toMatchObject({ encoding: 'UCS-2', segments: 2 })
    expect(text).toMatch(/…»\. Билет: https:\/\/kamhub\.ru\/t\/K7M2QX9P$/)
    expect(smsSegments(text).units).toBeGreaterThan(125) // it uses the room it has
  })

  it('a GSM-7 message is shortened with "..." so the ellipsis does not switch it to UCS-2', () => {
    const text = fitSms((f) => `KamHub: ${f.title} confirmed.`, { title: { text: 'Avacha volcano '.repeat(40) } }, budget)
    expect(smsSegments(text)).toMatchObject({ encoding: 'GSM-7', segments: 2 })
    expect(text).toContain('... confirmed.')
  })

  it('the second elastic field is shortened only once the first is down to its minimum', () => {
    const long = 'Петропавловск '.repeat(20)
    const text = fitSms((f) => `${f.title} | ${f.place}`, { title: { text: long, min: 10 }, place: { text: long, min: 30 } }, budget)
    const [title, place] = text.split(' | ')
    expect(graphemes(title!)).toHaveLength(10)
    expect(graphemes(place!).length).toBeGreaterThan(30)
    expect(smsSegments(text).segments).toBeLessThanOrEqual(2)
  })

  it('when the fixed text alone is too long the whole message is cut, and still fits', () => {
    const text = fitSms((f) => `${'Ж'.repeat(300)} ${f.title}`, { title: { text: 'title' } }, budget)
    expect(smsSegments(text).segments).toBe(2)
    expect(text.endsWith('…')).toBe(true)
  })
})
