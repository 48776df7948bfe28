// Turning failures into something a person can act on: one line each, and a curl command that
// replays the (shrunk) request.
import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FuzzRequest } from './gen'
import type { Failure, RunResult } from './runner'

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/** `curl` for a request; `$BASE`, `$KEY` and `$OTHER_KEY` stand for the server and its keys. Long bodies are cut unless `full`. */
export function curl(request: FuzzRequest, full = false): string {
  const parts = ['curl -sS -g', `-X ${request.method}`, `"$BASE"${shellQuote(request.path)}`]
  if (request.auth.kind === 'fuzz') parts.push('-H "authorization: Bearer $KEY"')
  else if (request.auth.kind === 'other') parts.push('-H "authorization: Bearer $OTHER_KEY"')
  else if (request.auth.kind === 'raw')
    parts.push(`-H "authorization: ${request.auth.header.replaceAll('{key}', '$KEY').replace(/["\\`]/g, '\\$&')}"`)
  for (const [name, value] of Object.entries(request.headers)) parts.push(`-H ${shellQuote(`${name}: ${value}`)}`)
  if (request.chunked) parts.push("-H 'transfer-encoding: chunked'")
  const base64 =
    request.bodyBase64 ??
    (request.body !== undefined &&
    (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(request.body) || LONE_SURROGATE.test(request.body))
      ? Buffer.from(request.body).toString('base64')
      : undefined)
  if (base64 !== undefined) parts.push(`--data-binary @<(echo ${cut(base64, full)} | base64 -d)`)
  else if (request.body !== undefined) parts.push(`--data-binary ${shellQuote(cut(request.body, full))}`)
  return parts.join(' ')
}

function cut(text: string, full: boolean): string {
  return full || text.length <= 400
    ? text
    : `${text.slice(0, 300)}…[${text.length} chars; full request in the JSON report]`
}

export function formatFailure(f: Failure, seed: number): string {
  const where = f.index >= 0 ? `request #${f.index}` : f.request.origin === 'final' ? 'final check' : 'while shrinking'
  return [
    `- ${f.route}  →  ${f.status}: ${f.symptom}${f.occurrences > 1 ? `  (×${f.occurrences})` : ''}`,
    f.detail ? `    server: ${f.detail.split('\n')[0].slice(0, 300)}` : undefined,
    f.seenOn.length > 1 ? `    seen on: ${f.seenOn.join('; ')}` : undefined,
    `    repro (FUZZ_SEED=${seed}, ${where}, ${f.request.origin}${f.shrunk ? ', shrunk' : ''}):`,
    `    ${curl(f.request)}`,
  ]
    .filter((line) => line !== undefined)
    .join('\n')
}

export function formatReport(result: RunResult, max = 20): string {
  const lines = [
    `telltale HTTP fuzz, ${result.label}: ${result.failures.length} distinct failure(s) in ${result.sent} requests, ${(result.ms / 1000).toFixed(1)} s, ${result.restarts} server restart(s), FUZZ_SEED=${result.seed}`,
    `statuses: ${Object.entries(result.statuses)
      .sort()
      .map(([s, n]) => `${s}×${n}`)
      .join(' ')}; ${result.eventsStored} events stored`,
    `generic pass: ${result.generic.requests} requests over ${result.generic.routes} routes${result.generic.onlyGeneric.length ? `, of which only it reaches ${result.generic.onlyGeneric.join(', ')}` : ''}`,
    `reply times (mean/max ms): ${Object.entries(result.timing)
      .sort()
      .map(([route, t]) => `${route} ${t.meanMs}/${t.maxMs}`)
      .join(', ')}`,
  ]
  const sorted = [...result.failures].sort((a, b) => rank(a) - rank(b) || a.route.localeCompare(b.route))
  for (const f of sorted.slice(0, max)) lines.push(formatFailure(f, result.seed))
  if (sorted.length > max) lines.push(`… and ${sorted.length - max} more (see the JSON report)`)
  return lines.join('\n')
}

/** Hangs and crashes first, then 5xx, isolation, lost writes, then the rest. */
function rank(f: Failure): number {
  if (f.status === 'hang' || f.status === 'crash') return 0
  if (/^5\d\d$/.test(f.status)) return 1
  if (/TENANT/.test(f.symptom)) return 2
  if (/behind|not stored|missing/.test(f.symptom)) return 3
  return 4
}

/** Writes every failure with its full request to a JSON file; returns its path. */
export function writeJsonReport(result: RunResult): string {
  const file = join(tmpdir(), `telltale-fuzz-${result.label}-${result.seed}.json`)
  writeFileSync(
    file,
    JSON.stringify(
      { ...result, failures: result.failures.map((f) => ({ ...f, curl: curl(f.request, true) })) },
      null,
      2,
    ),
  )
  return file
}
