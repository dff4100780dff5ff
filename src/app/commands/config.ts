// berth config check: validates the configuration exactly as `serve` loads it and prints the
// effective settings (secrets masked) as YAML.
import { stringify } from 'yaml'
import { maskedConfig, resolvedPaths } from '../config.js'
import { configOf, type Group, type Invocation } from './common.js'

async function check(inv: Invocation): Promise<void> {
  const config = configOf(inv)
  const paths = resolvedPaths(config)
  const database = maskedConfig({ ...config, database: { ...config.database, url: paths.databaseUrl } }).database.url
  inv.out(
    `# the configuration is valid; effective settings (secrets masked):\n` +
      `# database: ${database}\n# storage root: ${paths.storageRoot}\n` +
      stringify(maskedConfig(config), { singleQuote: true }),
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
