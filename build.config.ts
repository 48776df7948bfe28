import { defineBuildConfig } from 'unbuild'

// One entry per public subpath in package.json `exports`. Drivers stay external: they are
// optional peer dependencies the user installs for the adapter they pick.
export default defineBuildConfig({
  entries: [
    'src/index',
    'src/node',
    'src/nitro',
    { input: 'adapters/sqlite', name: 'adapters/sqlite' },
    { input: 'adapters/postgres', name: 'adapters/postgres' },
    { input: 'adapters/redis', name: 'adapters/redis' },
    { input: 'adapters/kv', name: 'adapters/kv' },
    { input: 'adapters/croner', name: 'adapters/croner' },
    { input: 'adapters/manual', name: 'adapters/manual' },
  ],
  declaration: 'node16',
  clean: true,
  externals: ['better-sqlite3', 'pg', 'ioredis', 'unstorage'],
  rollup: { emitCJS: false },
})
