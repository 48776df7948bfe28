import { applyMetricTemplate, completeSpec, listMetricTemplates } from '../../metrics'
import { defineRoute } from '../define'
import { specFields } from './format'

/** `GET /api/metrics/templates`: each pack with its metrics as full definitions (without uuid). */
export const listTemplates = defineRoute({
  method: 'GET',
  path: '/api/metrics/templates',
  operation: listMetricTemplates,
  rateLimit: 'read',
  reply: (templates) => ({
    data: templates.map((t) => ({
      key: t.key,
      name: t.name,
      description: t.description,
      metrics: t.metrics.map((m) =>
        specFields({ name: m.name, slug: m.slug, ...completeSpec(m, undefined, t.key).spec }),
      ),
    })),
  }),
})

/** `POST /api/metrics/templates/apply` `{"template": "saas"}`. */
export const applyTemplate = defineRoute({
  method: 'POST',
  path: '/api/metrics/templates/apply',
  operation: applyMetricTemplate,
  rateLimit: 'write',
  body: (body) => ({ template: body.template }),
  status: 201,
  reply: (result) => ({ data: result }),
})
