// `npm start`: the demo. Express on PORT (default 3000), SQLite file TELLTALE_DB (default
// ./telltale.db), telltale mounted at `/`.
import { sqliteStorage } from 'telltale/adapters/sqlite'
import { createPlayground } from './app'

const port = Number(process.env.PORT ?? 3000)
const file = process.env.TELLTALE_DB ?? './telltale.db'
const { app, telltale, apiKey, firstStart } = await createPlayground({ storage: sqliteStorage({ file }), apiKey: process.env.TELLTALE_API_KEY })

const server = app.listen(port, '127.0.0.1', () => {
  const base = `http://127.0.0.1:${port}`
  console.log(`telltale playground on ${base} (database ${file}${firstStart ? ', demo data seeded' : ''})`)
  console.log(`API key for the demo project: ${apiKey}`)
  console.log(`\nTry it:\n  curl -X POST ${base}/api/events \\\n    -H "Authorization: Bearer ${apiKey}" \\\n    -H "Content-Type: application/json" \\\n    -d '{"event": "user_signup", "user_id": "123", "user_email": "john@example.com"}'`)
})

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    server.close()
    void telltale.close().then(() => process.exit(0))
  })
}
