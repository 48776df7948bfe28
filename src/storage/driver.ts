import { configError } from '../core/errors'

/**
 * Loads an adapter's driver, an optional peer dependency, when the adapter is created. A missing
 * package is then a `TelltaleError` that says which one to install (`npm install pg`), thrown by
 * the factory the host calls, instead of Node's module-not-found trace at import time, before any
 * of the host's code runs.
 *
 * `load` is the adapter's own `require('<package>')` with the name written out (through
 * `createRequire(import.meta.url)`: the factories are synchronous and the drivers CommonJS), so
 * that bundlers' file tracers (Nitro's, Vercel's) still see the driver and ship it.
 */
export function requireDriver<T>(pkg: string, adapter: string, load: () => T): T {
  try {
    return load()
  } catch (error) {
    const { code, message } = error as { code?: unknown; message?: unknown }
    const missing = code === 'MODULE_NOT_FOUND' && typeof message === 'string' && message.includes(`'${pkg}'`)
    if (missing) throw configError(`${adapter} needs the ${pkg} package, which is not installed: npm install ${pkg}`, error)
    throw configError(`${adapter} could not load the ${pkg} package (${String(message).split('\n')[0]}): reinstall it (npm install ${pkg})`, error)
  }
}

/** The driver's error code (`ECONNREFUSED`, `SQLITE_NOTADB`, `3D000`), looking through `cause` and a failed multi-address connect. */
export function driverErrorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; typeof current === 'object' && current !== null && depth < 5; depth++) {
    const { code, errors, cause } = current as { code?: unknown; errors?: unknown; cause?: unknown }
    if (typeof code === 'string') return code
    current = Array.isArray(errors) && errors.length > 0 ? errors[0] : cause
  }
  return undefined
}

/** The driver's own message, looking through telltale's wrapping (`cause`). */
export function driverErrorMessage(error: unknown): string {
  let current = error
  while (current instanceof Error && current.cause instanceof Error) current = current.cause
  return current instanceof Error ? current.message : String(current)
}
