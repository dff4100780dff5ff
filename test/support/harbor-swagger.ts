// Harbor's API reference (harbor-swagger.yaml), for tests that hold Berth's shapes against
// Harbor's models. It is not part of the repository: BERTH_HARBOR_SWAGGER names it, or it is
// found as shared/reference/harbor-swagger.yaml beside a parent directory; tests skip without it.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { Ajv, type ValidateFunction } from 'ajv'
import { parse } from 'yaml'

export interface HarborSwagger {
  definitions: Record<string, HarborModel>
}

export interface HarborModel {
  type?: string
  properties?: Record<string, HarborModel>
  items?: HarborModel
  $ref?: string
  additionalProperties?: unknown
}

function find(): string | null {
  const given = process.env.BERTH_HARBOR_SWAGGER
  if (given !== undefined && given !== '') return existsSync(given) ? given : null
  for (let dir = resolve(process.cwd()); ; dir = dirname(dir)) {
    const candidate = join(dir, 'shared', 'reference', 'harbor-swagger.yaml')
    if (existsSync(candidate)) return candidate
    if (dirname(dir) === dir) return null
  }
}

let loaded: HarborSwagger | null | undefined

/** Harbor's swagger document, or null when it is not available here. */
export function harborSwagger(): HarborSwagger | null {
  if (loaded === undefined) {
    const path = find()
    loaded = path === null ? null : (parse(readFileSync(path, 'utf8')) as HarborSwagger)
  }
  return loaded
}

/** A validator for one of Harbor's models (swagger 2.0 definitions; formats and x- extensions not checked). */
export function harborValidator(doc: HarborSwagger, model: string): ValidateFunction {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false })
  return ajv.compile({ definitions: doc.definitions, $ref: `#/definitions/${model}` })
}

/** The model behind a schema: `$ref` followed, arrays to their items. */
export function modelOf(doc: HarborSwagger, m: HarborModel | undefined): HarborModel | undefined {
  if (m === undefined) return undefined
  if (m.$ref !== undefined) return modelOf(doc, doc.definitions[m.$ref.replace('#/definitions/', '')])
  if (m.type === 'array') return modelOf(doc, m.items)
  return m
}
