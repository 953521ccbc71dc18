/** Swagger UI files read once from the installed swagger-ui-dist package (Node and Deno). */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { DocsAssetName, DocsAssets } from './docs-assets.ts'

export function nodeDocsAssets(): DocsAssets {
  const dir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'))
  const cache = new Map<DocsAssetName, Promise<string>>()
  return {
    get(name) {
      let file = cache.get(name)
      if (!file) {
        file = readFile(join(dir, name), 'utf8')
        cache.set(name, file)
      }
      return file
    },
  }
}
