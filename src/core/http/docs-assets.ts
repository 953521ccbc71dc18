/**
 * The static files of the interactive API reference (Swagger UI), served by the app itself so /docs renders
 * without internet. Node and Deno read them from node_modules; the Worker bundles them as text modules.
 */
export const DOCS_ASSETS = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
} as const

export type DocsAssetName = keyof typeof DOCS_ASSETS

export interface DocsAssets {
  get(name: DocsAssetName): Promise<string | null>
}

export function staticDocsAssets(files: Partial<Record<DocsAssetName, string>>): DocsAssets {
  return { get: async (name) => files[name] ?? null }
}
