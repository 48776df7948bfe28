// The dependency rules of src/ (README, "How the code is laid out"): each top-level folder is a
// layer and imports only from its own folder and the layers below it; domains are one layer and
// use one another only through each other's index.ts, without cycles; adapters/ sit on the
// kernel and the storage layer only. Type-only imports count: a cycle of types is still a cycle.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** Bottom first. A folder missing here fails the test: say where a new one belongs. */
const LAYERS: Record<string, number> = {
  storage: 0,
  scheduler: 0,
  core: 1,
  schemas: 2,
  net: 2, // the egress guard: core only, used by domains
  // domains
  projects: 3,
  keys: 3,
  events: 3,
  metrics: 3,
  accounts: 3,
  surfaces: 4,
  http: 5,
  '(root)': 6, // src/*.ts: createTelltale, api, limits, options, domains, node, nitro, index
}
const DOMAIN_RANK = 3
/** What adapters/ may import from src/. */
const ADAPTER_LAYERS = new Set(['core', 'storage', 'scheduler'])

type Edge = { from: string; to: string }

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sources(path)
    return name.endsWith('.ts') ? [path] : []
  })
}

/** Relative imports and re-exports of a file, resolved to paths relative to the repository. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s+'(\.[^']*)'/g)].map((m) => m[1])
  return specifiers.map((specifier) => relative(ROOT, resolve(dirname(file), specifier)))
}

/** `src/metrics/history.ts` → `metrics`; `src/api.ts` → `(root)`; outside src → undefined. */
function folderOf(path: string): string | undefined {
  const parts = path.split('/')
  if (parts[0] !== 'src') return undefined
  if (parts.length > 2) return parts[1]
  const folder = join(ROOT, path)
  return existsSync(folder) && statSync(folder).isDirectory() ? parts[1] : '(root)'
}

/** Whether `target` (an import, without extension) is a folder's index: `src/metrics` or `src/metrics/index`. */
const isIndexOf = (target: string, folder: string) => target === `src/${folder}` || target === `src/${folder}/index`

/** Every broken rule, one line each. */
function layerViolations(edges: Edge[]): string[] {
  const problems: string[] = []
  const domainEdges = new Map<string, Set<string>>()
  for (const { from, to } of edges) {
    const source = folderOf(from)
    const target = folderOf(to)
    if (target === undefined) continue
    if (source === undefined) {
      if (from.startsWith('adapters/') && !ADAPTER_LAYERS.has(target))
        problems.push(`${from} imports ${to}: adapters use only ${[...ADAPTER_LAYERS].join(', ')}`)
      continue
    }
    if (source === target) continue
    for (const folder of [source, target])
      if (!(folder in LAYERS)) problems.push(`src/${folder}/ has no layer: add it to LAYERS in test/layers.test.ts`)
    const [from_, to_] = [LAYERS[source], LAYERS[target]]
    if (from_ === undefined || to_ === undefined) continue
    if (to_ > from_) problems.push(`${from} imports ${to}: ${source} may not import from ${target}, a layer above it`)
    else if (to_ === from_ && from_ !== DOMAIN_RANK)
      problems.push(`${from} imports ${to}: ${source} and ${target} are one layer and may not import each other`)
    if (to_ === DOMAIN_RANK && !isIndexOf(to, target))
      problems.push(`${from} imports ${to}: outside the ${target} domain, import its index (src/${target})`)
    if (from_ === DOMAIN_RANK && to_ === DOMAIN_RANK)
      (domainEdges.get(source) ?? domainEdges.set(source, new Set()).get(source)!).add(target)
  }
  // Domains may use one another, but never in a circle.
  const visiting: string[] = []
  const done = new Set<string>()
  const visit = (domain: string) => {
    if (done.has(domain)) return
    const at = visiting.indexOf(domain)
    if (at >= 0) {
      problems.push(`domains import one another in a circle: ${[...visiting.slice(at), domain].join(' → ')}`)
      return
    }
    visiting.push(domain)
    for (const next of domainEdges.get(domain) ?? []) visit(next)
    visiting.pop()
    done.add(domain)
  }
  for (const domain of domainEdges.keys()) visit(domain)
  return [...new Set(problems)]
}

function repositoryEdges(): Edge[] {
  return [...sources(join(ROOT, 'src')), ...sources(join(ROOT, 'adapters'))].flatMap((file) => {
    const from = relative(ROOT, file)
    return importsOf(file).map((to) => ({ from, to }))
  })
}

describe('dependency rules', () => {
  it('src/ and adapters/ keep them', () => {
    const edges = repositoryEdges()
    expect(edges.length).toBeGreaterThan(200)
    expect(layerViolations(edges)).toEqual([])
  })

  it('names each kind of break', () => {
    const problems = layerViolations([
      { from: 'src/core/context.ts', to: 'src/limits' }, // up a layer
      { from: 'src/http/app.ts', to: 'src/surfaces' }, // fine: down
      { from: 'src/surfaces/define.ts', to: 'src/http/auth' }, // up: http is above surfaces
      { from: 'src/storage/driver.ts', to: 'src/core/errors' }, // up: core is above storage
      { from: 'src/surfaces/flux/events.ts', to: 'src/events/track' }, // a domain's inner file
      { from: 'src/metrics/history-job.ts', to: 'src/events' }, // fine: a domain's index
      { from: 'src/events/track.ts', to: 'src/metrics' }, // ...but back again: a circle
      { from: 'src/storage/jobs.ts', to: 'src/scheduler' }, // one layer, two folders
      { from: 'src/monitors/index.ts', to: 'src/core/domain' }, // a folder with no layer
      { from: 'adapters/redis.ts', to: 'src/telltale' }, // adapters sit low
    ])
    expect(problems).toEqual([
      'src/core/context.ts imports src/limits: core may not import from (root), a layer above it',
      'src/surfaces/define.ts imports src/http/auth: surfaces may not import from http, a layer above it',
      'src/storage/driver.ts imports src/core/errors: storage may not import from core, a layer above it',
      'src/surfaces/flux/events.ts imports src/events/track: outside the events domain, import its index (src/events)',
      'src/storage/jobs.ts imports src/scheduler: storage and scheduler are one layer and may not import each other',
      'src/monitors/ has no layer: add it to LAYERS in test/layers.test.ts',
      'adapters/redis.ts imports src/telltale: adapters use only core, storage, scheduler',
      'domains import one another in a circle: metrics → events → metrics',
    ])
  })
})
