import type { Location } from './core/context'
import { configError } from './core/errors'
import { checkNetworkOption } from './net'
import type { TelltaleOptions } from './telltale'

const OPTIONS: ReadonlyArray<keyof TelltaleOptions> = [
  'storage',
  'scheduler',
  'basePath',
  'clock',
  'auth',
  'limits',
  'surfaces',
  'trustProxy',
  'network',
  'secret',
  'location',
  'surfaceList',
  'domains',
]
/** The internal options (tests only), left out of the list an error shows. */
const INTERNAL = 2
const EXAMPLE =
  "createTelltale({ storage: sqliteStorage({ file: './telltale.db' }) }) with sqliteStorage from 'telltale/adapters/sqlite'"

/**
 * `createTelltale`'s options, checked before anything is built: a mistake here is a `TelltaleError`
 * of kind `config` whose one line names the option and the fix, instead of a `TypeError` later.
 */
export function checkOptions(options: unknown): asserts options is TelltaleOptions {
  if (typeof options !== 'object' || options === null) throw configError(`createTelltale needs its options: ${EXAMPLE}`)
  for (const name of Object.keys(options)) {
    if (OPTIONS.includes(name as keyof TelltaleOptions)) continue
    const near = OPTIONS.find((known) => known.toLowerCase() === name.toLowerCase() || editDistance(known, name) <= 2)
    throw configError(
      `createTelltale has no option "${name}"${near ? `: did you mean "${near}"?` : ''} (the options are ${OPTIONS.slice(0, -INTERNAL).join(', ')})`,
    )
  }
  const { storage, scheduler, basePath, clock, auth, limits, surfaces, trustProxy, network, secret, location } =
    options as Record<string, unknown>
  if (storage === undefined || storage === null)
    throw configError(`createTelltale needs a storage: ${EXAMPLE} (or postgresStorage, redisStorage, kvStorage)`)
  if (typeof storage === 'function')
    throw configError(
      "createTelltale storage is a function: call it, e.g. storage: sqliteStorage({ file: './telltale.db' }), not storage: sqliteStorage",
    )
  if (!isStorage(storage))
    throw configError(`createTelltale storage is not a telltale storage: pass what an adapter returns, e.g. ${EXAMPLE}`)
  if (scheduler !== undefined && !hasMethods(scheduler, ['every', 'start', 'stop']))
    throw configError(
      "createTelltale scheduler must be a Scheduler: cronerScheduler() from 'telltale/adapters/croner' or manualScheduler() from 'telltale/adapters/manual'",
    )
  if (basePath !== undefined && typeof basePath !== 'string')
    throw configError("createTelltale basePath must be a path such as '/telltale'")
  if (clock !== undefined && !hasMethods(clock, ['now']))
    throw configError('createTelltale clock must be { now(): number } (epoch ms), e.g. createFakeClock()')
  if (auth !== undefined && typeof auth !== 'function')
    throw configError('createTelltale auth must be a function (request) => ({ projectId, scopes }) | undefined')
  if (limits !== undefined && (typeof limits !== 'object' || limits === null))
    throw configError('createTelltale limits must be an object, e.g. { maxBodyBytes: 1048576 }')
  if (surfaces !== undefined && (typeof surfaces !== 'object' || surfaces === null || Array.isArray(surfaces)))
    throw configError('createTelltale surfaces must be an object of surface ids, e.g. { surfaces: { flux: false } }')
  if (trustProxy !== undefined && !(Number.isSafeInteger(trustProxy) && (trustProxy as number) >= 0))
    throw configError(
      `createTelltale trustProxy must be the number of proxies in front of the host, e.g. 1 (got ${JSON.stringify(trustProxy)}): true would trust addresses the client wrote`,
    )
  checkNetworkOption(network)
  if (secret !== undefined && !(typeof secret === 'string' && secret.length >= 32))
    throw configError(
      'createTelltale secret must be a string of at least 32 characters (e.g. from openssl rand -base64 32), the same on every instance',
    )
  if (location !== undefined && !isLocation(location))
    throw configError(
      "createTelltale location must be an id such as 'eu-frankfurt' or { id: 'eu-frankfurt', name: 'EU (Frankfurt)' } (id: letters, digits, - and _, up to 64; name: up to 100 characters)",
    )
}

const LOCATION_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/

function isLocation(value: unknown): boolean {
  if (typeof value === 'string') return LOCATION_ID.test(value)
  if (typeof value !== 'object' || value === null) return false
  const { id, name, ...rest } = value as Record<string, unknown>
  return (
    Object.keys(rest).length === 0 &&
    typeof id === 'string' &&
    LOCATION_ID.test(id) &&
    typeof name === 'string' &&
    name.trim().length > 0 &&
    name.length <= 100
  )
}

/** The `location` option as `{ id, name }`: an id alone is also its name; the default is `default`. */
export function locationOf(value: string | Location | undefined): Location {
  if (value === undefined) return { id: 'default', name: 'default' }
  return typeof value === 'string' ? { id: value, name: value } : { id: value.id, name: value.name.trim() }
}

function isStorage(value: unknown): boolean {
  return hasMethods(value, ['migrate', 'close']) && typeof (value as { name?: unknown }).name === 'string'
}

function hasMethods(value: unknown, names: string[]): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    names.every((name) => typeof (value as Record<string, unknown>)[name] === 'function')
  )
}

/** Levenshtein distance, for "did you mean" on option names of a dozen characters. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    previous = current
  }
  return previous[b.length]
}
