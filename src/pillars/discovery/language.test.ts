import { describe, expect, it } from 'vitest'
import { localise, pickLanguage } from './language.ts'

describe('content language', () => {
  it('picks the best supported language by weight, then order', () => {
    expect(pickLanguage('en-GB,en;q=0.9')).toBe('en')
    expect(pickLanguage('de-DE, en;q=0.5, zh-Hans;q=0.8')).toBe('zh')
    expect(pickLanguage('fr, de')).toBe('ru')
    expect(pickLanguage('en;q=0, zh')).toBe('zh')
    expect(pickLanguage(undefined)).toBe('ru')
    expect(pickLanguage('*')).toBe('ru')
  })

  it('falls back to Russian field by field', () => {
    const content = {
      ru: { title: 'Вулкан', summary: 'Кратко', description: 'Подробно', meetingPoint: 'Лагерь' },
      en: { title: 'Volcano' },
    }
    expect(localise(content, 'en')).toEqual({ title: 'Volcano', summary: 'Кратко', description: 'Подробно', meetingPoint: 'Лагерь' })
    expect(localise(content, 'zh')).toEqual(content.ru)
  })
})
