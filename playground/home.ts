// `GET /` of the playground: a small page saying what runs, on which store, with which key, and
// how to try it; `GET /readme` serves the README with one anchor per section for its links.
import { readFileSync } from 'node:fs'

export interface HomeFacts {
  /** Where the playground stores (already without a password). */
  store: string
  /** The first characters of the demo key (its `prefix`): the key itself is printed in the terminal only. */
  keyPrefix: string
}

/** The README sections a newcomer wants next. */
const SECTIONS = ['Try it', 'Embed it', 'Storage adapters', 'API', 'Status Blocks metrics', 'Flux', 'In-process API']

export function homePage(facts: HomeFacts, base: string, headings: string[]): string {
  const links = SECTIONS.flatMap((label) => {
    const heading = headings.find((h) => h.startsWith(label))
    return heading ? [`<li><a href="/readme#${slug(heading)}">${escapeHtml(heading.replaceAll('`', ''))}</a></li>`] : []
  })
  const curl = [
    `curl -X POST ${base}/api/events \\`,
    '  -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" \\',
    `  -d '{"event": "user_signup", "user_id": "123", "user_email": "john@example.com"}'`,
    '',
    `curl "${base}/api/v1/events?limit=5" -H "Authorization: Bearer $KEY"`,
    `curl ${base}/api/metrics/values -H "Authorization: Bearer $KEY"`,
  ].join('\n')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>telltale playground</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}code,pre{font:14px ui-monospace,monospace;background:#f4f4f4}pre{padding:1rem;overflow-x:auto}dt{font-weight:600}</style>
</head><body>
<h1>telltale playground</h1>
<p>telltale is running here: product events, business metrics and event queries, served by the Status Blocks and Flux APIs.</p>
<dl>
<dt>Store</dt><dd><code>${escapeHtml(facts.store)}</code></dd>
<dt>Demo project key</dt><dd><code>${escapeHtml(facts.keyPrefix)}…</code> (the whole key is printed in the terminal that ran <code>npm start</code>)</dd>
<dt>Health</dt><dd><a href="/healthz">/healthz</a></dd>
</dl>
<h2>Try it</h2>
<p>Set <code>KEY</code> to the key from the terminal, then:</p>
<pre>${escapeHtml(curl)}</pre>
<h2>Read on</h2>
<ul>${links.join('')}</ul>
</body></html>
`
}

/** The README's lines, each heading (outside code blocks) as `{ level, text }`. */
export function readReadme(file: string): Array<string | { level: number; text: string }> {
  let inCode = false
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => {
      if (line.startsWith('```')) inCode = !inCode
      const heading = inCode ? null : /^(#{1,4}) (.+)$/.exec(line)
      return heading ? { level: heading[1].length, text: heading[2] } : line
    })
}

/** The README as a page: its text as it is, each heading an anchor (GitHub's ids), nothing else interpreted. */
export function readmePage(lines: ReturnType<typeof readReadme>): string {
  const parts = lines.map((line) =>
    typeof line === 'string'
      ? escapeHtml(line)
      : `</pre><h${line.level} id="${slug(line.text)}">${escapeHtml(line.text)}</h${line.level}><pre>`,
  )
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>telltale README</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}pre{white-space:pre-wrap;font:14px ui-monospace,monospace}</style></head><body><pre>${parts.join('\n')}</pre></body></html>\n`
}

/** GitHub's heading ids: lower case, punctuation dropped, spaces as dashes. */
export function slug(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-')
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}
