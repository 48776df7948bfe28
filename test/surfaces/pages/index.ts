// A surface that exists only in tests, with what the StatusCore and StatFlow pages will need:
// public routes that name their project from the path, HTML and SVG replies, a path segment with
// a suffix (`:slug.html` beside `:slug`), and a CSV export streamed in chunks.
import { z } from 'zod'
import { TelltaleError } from '../../../src/core/errors'
import { defineOperation } from '../../../src/core/operation'
import { getProjectBySlug } from '../../../src/projects'
import { defineRoute, defineSurface, rawReply } from '../../../src/surfaces'
import { plainErrors } from '../../../src/surfaces/errors'

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** The project of a public page, by its slug; an unknown slug is a 404 (a page nobody published). */
const projectPage = defineOperation({
  input: z.object({ slug: z.string() }),
  scope: 'read',
  async run(ctx, input) {
    const project = await getProjectBySlug.run(ctx, input)
    if (!project) throw new TelltaleError('not_found', 'Page not found.')
    return project
  },
})

/** `rows` CSV lines of about 100 bytes each, generated as they are read (never held in memory). */
const exportRows = defineOperation({
  input: z.object({ slug: z.string(), rows: z.coerce.number().int().min(1).max(1_000_000) }),
  scope: 'read',
  async run(ctx, { slug, rows }) {
    const project = await projectPage.run(ctx, { slug })
    async function* lines(): AsyncGenerator<string> {
      yield 'n,project,padding\n'
      const padding = 'x'.repeat(80)
      let chunk = ''
      for (let n = 1; n <= rows; n++) {
        chunk += `${n},${project.slug},${padding}\n`
        if (chunk.length >= 64 * 1024) {
          yield chunk
          chunk = ''
        }
      }
      if (chunk) yield chunk
    }
    return lines()
  },
})

export const pages = defineSurface({
  id: 'pages',
  prefixes: ['/pages'],
  errors: plainErrors({}),
  rateLimits: { page: { limit: 3, windowMs: 60_000 } },
  routes: [
    defineRoute({
      method: 'GET',
      path: '/pages/:slug',
      public: true,
      rateLimit: 'page',
      operation: projectPage,
      params: ({ slug }) => ({ slug }),
      reply: (project) => ({ name: project.name }),
    }),
    defineRoute({
      method: 'GET',
      path: '/pages/:slug.html',
      public: true,
      operation: projectPage,
      params: ({ slug }) => ({ slug }),
      reply: (project) =>
        rawReply({
          contentType: 'text/html; charset=utf-8',
          headers: { 'cache-control': 'public, max-age=60' },
          body: `<!doctype html><title>${escapeHtml(project.name)}</title><h1>${escapeHtml(project.name)}</h1>`,
        }),
    }),
    defineRoute({
      method: 'GET',
      path: '/pages/:slug/badge.svg',
      public: true,
      operation: projectPage,
      params: ({ slug }) => ({ slug }),
      reply: (project) =>
        rawReply({
          contentType: 'image/svg+xml',
          headers: { 'cache-control': 'no-cache' },
          body: `<svg xmlns="http://www.w3.org/2000/svg"><text>${escapeHtml(project.name)}</text></svg>`,
        }),
    }),
    // Without path parameters: served on toNodeHandler's direct path too.
    defineRoute({
      method: 'GET',
      path: '/pages-export.csv',
      public: true,
      operation: exportRows,
      query: (params) => ({ slug: params.get('slug'), rows: params.get('rows') }),
      reply: (lines, { slug }) =>
        rawReply({
          contentType: 'text/csv; charset=utf-8',
          headers: { 'content-disposition': `attachment; filename="${slug}.csv"` },
          body: lines,
        }),
    }),
    defineRoute({
      method: 'GET',
      path: '/pages/:slug/export.csv',
      public: true,
      operation: exportRows,
      params: ({ slug }) => ({ slug }),
      query: (params) => ({ rows: params.get('rows') }),
      reply: (lines, { slug }) =>
        rawReply({
          contentType: 'text/csv; charset=utf-8',
          headers: { 'content-disposition': `attachment; filename="${slug}.csv"` },
          body: lines,
        }),
    }),
  ],
})
