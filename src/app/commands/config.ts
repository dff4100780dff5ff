// berth config check: validates the configuration exactly as `serve` loads it and prints the
// effective settings (secrets masked) as YAML.
import type { TSchema } from '@sinclair/typebox'
import { configOf, type Group, type Invocation } from './common.js'

/** `value` with its keys in the order of the schema (the file and BERTH_* variables may come in any order). */
function inSchemaOrder(value: unknown, schema: TSchema): unknown {
  if (schema.type !== 'object' || typeof value !== 'object' || value === null) return value
  const props = schema.properties as Record<string, TSchema>
  return Object.fromEntries(Object.keys(props).filter((k) => k in value).map((k) => [k, inSchemaOrder((value as Record<string, unknown>)[k], props[k]!)]))
}

async function check(inv: Invocation): Promise<void> {
  const config = await configOf(inv)
  const [{ stringify }, { ConfigSchema, maskedConfig, resolvedPaths }] = await Promise.all([import('yaml'), import('../config.js')])
  const paths = resolvedPaths(config)
  const database = maskedConfig({ ...config, database: { ...config.database, url: paths.databaseUrl } }).database.url
  inv.out(
    `# the configuration is valid; effective settings (secrets masked):\n` +
      `# database: ${database}\n# storage root: ${paths.storageRoot}\n` +
      stringify(inSchemaOrder(maskedConfig(config), ConfigSchema), { singleQuote: true }),
  )
}

export const configGroup: Group = {
  name: 'config',
  summary: 'check the configuration',
  commands: [
    {
      name: 'check',
      summary: 'validate the configuration and print the effective settings',
      usage: 'check [--config FILE]',
      details: `Loads the configuration as \`berth serve\` does (the file, then BERTH_* variables) and prints
the effective settings as YAML, with secrets masked. Exits 78 naming the first invalid key.`,
      options: {},
      args: [],
      run: check,
    },
  ],
}
