// The console's message catalogues (web/src/locales/<language>/<area>.json) checked against
// English and against the console's code: the same keys in every language, each key under its
// file's area, ICU messages that parse with the same placeholders as English and every plural
// category the language uses, every key the code names present, no unused key, and no visible
// English text written into the JSX. Works for whatever areas web/src/locales/en holds.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { IntlMessageFormat } from 'intl-messageformat'
import ts from 'typescript'

function repositoryRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'web', 'src', 'locales', 'en'))) return dir
  }
  throw new Error('web/src/locales/en not found above this test')
}

const root = repositoryRoot()
const localesDir = join(root, 'web', 'src', 'locales')
const rel = (p: string) => relative(root, p)
const catalogueFile = (language: string, area: string) => join(localesDir, language, `${area}.json`)

/** The console's languages, as web/src/i18n/languages.ts lists them. */
const LANGUAGES = [...readFileSync(join(root, 'web', 'src', 'i18n', 'languages.ts'), 'utf8').matchAll(/\{\s*code:\s*'([^']+)'/g)].map((m) => m[1]!)
const AREAS = readdirSync(join(localesDir, 'en'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.slice(0, -'.json'.length))
  .sort()
const OTHERS = LANGUAGES.filter((l) => l !== 'en')

function readCatalogue(language: string, area: string): Record<string, unknown> | null {
  const file = catalogueFile(language, area)
  if (!existsSync(file)) return null
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
}

const english = new Map(AREAS.map((area) => [area, readCatalogue('en', area)!]))

/** Fails with every problem listed, one a line, rather than with the first. */
function report(problems: string[]): void {
  if (problems.length > 0) assert.fail(`${problems.length} problem(s):\n  ${problems.join('\n  ')}`)
}

// The parts of intl-messageformat's AST this test reads.
interface Element {
  type: number
  value?: string
  options?: Record<string, { value: Element[] }>
  pluralType?: 'cardinal' | 'ordinal'
  children?: Element[]
}
const ARGUMENT_TYPES = new Set([1, 2, 3, 4, 5, 6]) // argument, number, date, time, select, plural
const PLURAL = 6

/** Parses as i18next-icu does at run time (tags are text). */
function parse(message: string, language: string): Element[] {
  return new IntlMessageFormat(message, language, undefined, { ignoreTag: true }).getAst() as unknown as Element[]
}

function walk(elements: Element[], visit: (e: Element) => void): void {
  for (const e of elements) {
    visit(e)
    for (const option of Object.values(e.options ?? {})) walk(option.value, visit)
    if (e.children !== undefined) walk(e.children, visit)
  }
}

function placeholders(ast: Element[]): string[] {
  const names = new Set<string>()
  walk(ast, (e) => {
    if (ARGUMENT_TYPES.has(e.type) && e.value !== undefined) names.add(e.value)
  })
  return [...names].sort()
}

test('every language of languages.ts has a catalogue file for every area English has, and no other file', () => {
  const problems: string[] = []
  assert.ok(LANGUAGES.includes('en') && LANGUAGES.length > 1, 'the language list was not found in web/src/i18n/languages.ts')
  const dirs = readdirSync(localesDir).filter((d) => statSync(join(localesDir, d)).isDirectory())
  for (const d of dirs) if (!LANGUAGES.includes(d)) problems.push(`web/src/locales/${d}/: not a language of web/src/i18n/languages.ts`)
  for (const language of OTHERS) {
    for (const area of AREAS) if (!existsSync(catalogueFile(language, area))) problems.push(`${rel(catalogueFile(language, area))}: missing (English has ${area}.json)`)
    const dir = join(localesDir, language)
    if (!existsSync(dir)) continue
    for (const f of readdirSync(dir)) if (!AREAS.includes(f.replace(/\.json$/, ''))) problems.push(`${rel(join(dir, f))}: English has no such catalogue`)
  }
  report(problems)
})

test('every language has exactly the keys English has, each a string', () => {
  const problems: string[] = []
  for (const language of LANGUAGES) {
    for (const area of AREAS) {
      const messages = readCatalogue(language, area)
      if (messages === null) continue
      const file = rel(catalogueFile(language, area))
      const en = english.get(area)!
      for (const key of Object.keys(en)) if (!(key in messages)) problems.push(`${file}: lacks "${key}" (English has it)`)
      for (const [key, value] of Object.entries(messages)) {
        if (!(key in en)) problems.push(`${file}: has "${key}", which English lacks`)
        if (typeof value !== 'string') problems.push(`${file}: "${key}" is not a string`)
      }
    }
  }
  report(problems)
})

test("every key starts with its file's area and a dot", () => {
  const problems: string[] = []
  for (const language of LANGUAGES) {
    for (const area of AREAS) {
      const messages = readCatalogue(language, area)
      if (messages === null) continue
      for (const key of Object.keys(messages)) {
        if (!key.startsWith(`${area}.`) || key.length === area.length + 1) problems.push(`${rel(catalogueFile(language, area))}: "${key}" does not start with "${area}."`)
      }
    }
  }
  report(problems)
})

test("every message parses as ICU for its language, with English's placeholders and every plural category the language uses", () => {
  const problems: string[] = []
  for (const area of AREAS) {
    const en = english.get(area)!
    for (const language of LANGUAGES) {
      const messages = readCatalogue(language, area)
      if (messages === null) continue
      const file = rel(catalogueFile(language, area))
      for (const [key, message] of Object.entries(messages)) {
        if (typeof message !== 'string') continue
        let ast: Element[]
        try {
          ast = parse(message, language)
        } catch (e) {
          problems.push(`${file}: "${key}" is not a valid ICU message (${(e as Error).message}): ${message}`)
          continue
        }
        const reference = typeof en[key] === 'string' ? en[key] : undefined
        if (language !== 'en' && reference !== undefined) {
          let expected: string[] | null = null
          try {
            expected = placeholders(parse(reference, 'en'))
          } catch {
            // English's own parse failure is reported under en.
          }
          const got = placeholders(ast)
          if (expected !== null && got.join() !== expected.join()) problems.push(`${file}: "${key}" has placeholders {${got.join('} {')}}, English has {${expected.join('} {')}}`)
        }
        walk(ast, (e) => {
          if (e.type !== PLURAL || e.options === undefined) return
          const type = e.pluralType ?? 'cardinal'
          const categories = new Intl.PluralRules(language, { type }).resolvedOptions().pluralCategories
          const missing = categories.filter((c) => !(c in e.options!))
          if (!('other' in e.options) && !missing.includes('other')) missing.push('other')
          if (missing.length > 0) {
            const kind = type === 'ordinal' ? 'selectordinal' : 'plural'
            problems.push(`${file}: "${key}": the ${kind} of {${e.value}} lacks ${missing.join(', ')} (${language} uses ${categories.join(' ')})`)
          }
        })
      }
    }
  }
  report(problems)
})

// --- The console's code ---------------------------------------------------------------------

interface SourceFile {
  path: string
  ast: ts.SourceFile
}

/** web/src/**\/*.{ts,tsx}, without tests, the test setup, the catalogues and declaration files. */
function sourceFiles(): SourceFile[] {
  const out: SourceFile[] = []
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const full = join(dir, entry)
      if (statSync(full).isDirectory()) {
        if (full !== localesDir && full !== join(root, 'web', 'src', 'test')) visit(full)
      } else if (/\.tsx?$/.test(entry) && !/\.test\.tsx?$/.test(entry) && !entry.endsWith('.d.ts')) {
        const kind = entry.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS
        out.push({ path: rel(full), ast: ts.createSourceFile(full, readFileSync(full, 'utf8'), ts.ScriptTarget.Latest, true, kind) })
      }
    }
  }
  visit(join(root, 'web', 'src'))
  return out.sort((a, b) => a.path.localeCompare(b.path))
}

const sources = sourceFiles()
const where = (f: SourceFile, node: ts.Node) => {
  const { line, character } = f.ast.getLineAndCharacterOfPosition(node.getStart(f.ast))
  return `${f.path}:${line + 1}:${character + 1}`
}

function eachNode(f: SourceFile, visit: (node: ts.Node) => void): void {
  const go = (node: ts.Node) => {
    visit(node)
    ts.forEachChild(node, go)
  }
  go(f.ast)
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
const KEY_LIKE = new RegExp(`^(?:${AREAS.map(escapeRe).join('|')})\\.[A-Za-z0-9_.-]+$`)
const KEY_START = new RegExp(`^(?:${AREAS.map(escapeRe).join('|')})\\.`)

function isModuleSpecifier(node: ts.Node): boolean {
  const p = node.parent
  return (ts.isImportDeclaration(p) || ts.isExportDeclaration(p)) || (ts.isCallExpression(p) && p.expression.kind === ts.SyntaxKind.ImportKeyword) || ts.isExternalModuleReference(p)
}

/** Every string literal of the code that looks like a catalogue key, where it is. */
const keyUses: { key: string; at: string }[] = []
/** Keys put together at run time (`projects.role.${x}`): the key checks cannot see them. */
const builtKeys: string[] = []
for (const f of sources) {
  eachNode(f, (node) => {
    if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && !isModuleSpecifier(node) && KEY_LIKE.test(node.text)) {
      keyUses.push({ key: node.text, at: where(f, node) })
    } else if (ts.isTemplateExpression(node) && KEY_START.test(node.head.text)) {
      builtKeys.push(`${where(f, node)}: the key ${node.getText(f.ast)} is built at run time; write each key out in full (a map of literals)`)
    }
  })
}

test('every catalogue key the code names exists in English, and no key is built at run time', () => {
  const problems = [...builtKeys]
  for (const { key, at } of keyUses) {
    const area = key.slice(0, key.indexOf('.'))
    if (!(key in english.get(area)!)) problems.push(`${at}: "${key}" is not in web/src/locales/en/${area}.json`)
  }
  report(problems)
})

test('every English key is used: it appears as a string literal in web/src', () => {
  const used = new Set(keyUses.map((u) => u.key))
  const problems: string[] = []
  for (const area of AREAS) {
    for (const key of Object.keys(english.get(area)!)) if (!used.has(key)) problems.push(`web/src/locales/en/${area}.json: "${key}" appears in no source file (unused)`)
  }
  report(problems)
})

// --- Hard-coded text in JSX -------------------------------------------------------------------

/** Props whose string is shown or read out. */
const VISIBLE_PROPS = new Set([
  'aria-label',
  'aria-description',
  'aria-placeholder',
  'aria-roledescription',
  'aria-valuetext',
  'placeholder',
  'title',
  'alt',
  'label',
  'text',
  'titleText',
  'description',
  'helperText',
  'screenReaderText',
  'emptyText',
  'filterLabel',
  'confirmLabel',
  'bodyContent',
  'headerContent',
  'loginTitle',
  'loginSubtitle',
  'textContent',
])
/** Not translated: the product's name. */
const ALLOWED_TEXT = new Set(['Berth'])
/** Text inside these elements is code or a command, not prose. */
const CODE_ELEMENTS = new Set(['code', 'kbd', 'pre', 'samp', 'CodeBlockCode', 'ClipboardCopy'])

/** A word of prose: two lower-case ASCII letters in a row (not "MiB", "LDAP", "…"), or any non-ASCII letter. */
function isProse(text: string): boolean {
  const t = text.replace(/\s+/g, ' ').trim()
  return t !== '' && !ALLOWED_TEXT.has(t) && (/[a-z]{2}/.test(t) || /[^\x00-\x7F]/u.test(t.replace(/[^\p{L}]/gu, '')))
}

function insideCode(node: ts.Node): boolean {
  for (let n: ts.Node | undefined = node.parent; n !== undefined; n = n.parent) {
    if (ts.isJsxElement(n) && CODE_ELEMENTS.has(n.openingElement.tagName.getText())) return true
  }
  return false
}

test('no JSX text, and no shown or read-out prop, is hard-coded prose: every visible string comes from the catalogues', () => {
  const problems: string[] = []
  for (const f of sources.filter((s) => s.path.endsWith('.tsx'))) {
    eachNode(f, (node) => {
      const quote = (s: string) => JSON.stringify(s.replace(/\s+/g, ' ').trim())
      if (ts.isJsxText(node) && isProse(node.text) && !insideCode(node)) {
        problems.push(`${where(f, node)}: JSX text ${quote(node.text)} is hard-coded; use t('<area>.<key>')`)
      } else if (ts.isJsxExpression(node) && node.expression !== undefined && ts.isStringLiteralLike(node.expression) && (ts.isJsxElement(node.parent) || ts.isJsxFragment(node.parent))) {
        if (isProse(node.expression.text) && !insideCode(node)) problems.push(`${where(f, node)}: JSX text ${quote(node.expression.text)} is hard-coded; use t('<area>.<key>')`)
      } else if (ts.isJsxAttribute(node) && VISIBLE_PROPS.has(node.name.getText(f.ast)) && node.initializer !== undefined) {
        const init = node.initializer
        const literal = ts.isStringLiteral(init) ? init : ts.isJsxExpression(init) && init.expression !== undefined && ts.isStringLiteralLike(init.expression) ? init.expression : null
        if (literal !== null && isProse(literal.text)) problems.push(`${where(f, node)}: ${node.name.getText(f.ast)}=${quote(literal.text)} is hard-coded; use t('<area>.<key>')`)
      }
    })
  }
  report(problems)
})

// --- PatternFly's own English ---------------------------------------------------------------

/** PatternFly 6 components that say something in English unless given a prop, and that prop. */
const NEEDS_PROP: Record<string, [prop: string, why: string][]> = {
  Alert: [['variantLabel', `a screen reader hears "Danger alert:" first; give variantLabel={t(ALERT_LABEL[variant])} (components/alert-label.ts)`]],
  AlertActionCloseButton: [['aria-label', 'its label is "Close <variant> alert: <title>"']],
  Breadcrumb: [['aria-label', 'its label is "Breadcrumb"']],
  Popover: [['closeBtnAriaLabel', 'its close button is labelled "Close"']],
  SearchInput: [
    ['aria-label', 'its label is "Search input"'],
    ['resetButtonLabel', 'its reset button is labelled "Reset"'],
  ],
  Spinner: [['aria-valuetext', 'it reads "Loading..."']],
  Pagination: [['titles', 'its labels are English']],
  PageToggleButton: [['aria-label', 'its label is "Side navigation toggle"']],
}
/** Props with which PatternFly adds English of its own. */
const ENGLISH_PROPS: Record<string, [prop: string, why: string][]> = {
  Modal: [['onClose', 'its close button is labelled "Close"; give onEscapePress and put <ModalClose onClose={...} /> first inside (components/ModalClose.tsx)']],
  Th: [['select', 'its checkbox is labelled "Select all rows"; put a <Checkbox> with a translated aria-label in the cell, as ServerTable does']],
  Td: [['select', 'its checkbox is labelled "Select row 0"; put a <Checkbox> with a translated aria-label in the cell, as ServerTable does']],
}

test("PatternFly's built-in English labels are replaced from the catalogues", () => {
  const problems: string[] = []
  for (const f of sources.filter((s) => s.path.endsWith('.tsx'))) {
    eachNode(f, (node) => {
      if (!ts.isJsxOpeningElement(node) && !ts.isJsxSelfClosingElement(node)) return
      const tag = node.tagName.getText(f.ast)
      const attributes = node.attributes.properties
      const props = new Set(attributes.filter(ts.isJsxAttribute).map((a) => a.name.getText(f.ast)))
      for (const [prop, why] of NEEDS_PROP[tag] ?? []) {
        // A spread may carry the prop: it cannot be seen here.
        if (!props.has(prop) && !attributes.some(ts.isJsxSpreadAttribute)) problems.push(`${where(f, node)}: <${tag}> without ${prop}: ${why}`)
      }
      for (const [prop, why] of ENGLISH_PROPS[tag] ?? []) if (props.has(prop)) problems.push(`${where(f, node)}: <${tag} ${prop}>: ${why}`)
    })
  }
  report(problems)
})
