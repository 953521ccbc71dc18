import { describe, expect, it } from 'vitest'
import { normaliseSearchText, tourSearchText, transliterate } from './text.ts'

describe('search text normalisation', () => {
  it('transliterates Russian the way maps and operators spell Kamchatka places', () => {
    expect(transliterate('Авача')).toBe('avacha')
    expect(transliterate('Ключевская')).toBe('klyuchevskaya')
    expect(transliterate('Халактырский')).toBe('khalaktyrskiy')
    expect(transliterate('Щёки')).toBe('shcheki')
  })

  it('folds Russian adjective endings so "Авачинский" and "Avachinsky" meet', () => {
    expect(normaliseSearchText('Авачинский')).toBe('avachinsky')
    expect(normaliseSearchText('Avachinsky')).toBe('avachinsky')
    expect(normaliseSearchText('Avachinskii')).toBe('avachinsky')
    expect(normaliseSearchText('Корякский вулкан')).toBe('koryaksky vulkan')
  })

  it('drops accents, case and punctuation', () => {
    expect(normaliseSearchText('  Évasion — "Mutnovsky"!  ')).toBe('evasion mutnovsky')
    expect(normaliseSearchText('Ёлки-палки')).toBe('elki palki')
    expect(normaliseSearchText('!!!')).toBe('')
  })

  it('builds a tour search text from several parts without repeating words', () => {
    expect(tourSearchText(['Авачинский вулкан', 'Avachinsky volcano', undefined, 'Авачинский перевал'])).toBe('avachinsky vulkan volcano pereval')
  })
})
