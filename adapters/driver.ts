import { configError } from '../src/core/errors'

/** A driver as its adapter module imported it: the module, or why it could not be imported. */
export type ImportedDriver<T> = { module: T } | { error: unknown }

/**
 * Imports an adapter's driver, an optional peer dependency, when the adapter's module loads
 * (`await importDriver(() => import('pg'))` at its top). A failure is kept, not thrown, so that
 * the factory the host calls can throw it as a `TelltaleError` that says which package to install
 * (`requireDriver`), instead of Node's module-not-found trace before any of the host's code runs.
 * The `import('<package>')` is written out in each adapter, so that bundlers' file tracers (Nitro's,
 * Vercel's) see the driver and ship it.
 */
export async function importDriver<T>(load: () => Promise<T>): Promise<ImportedDriver<T>> {
  try {
    return { module: await load() }
  } catch (error) {
    return { error }
  }
}

/** The imported driver, or a `TelltaleError` naming the package to install. */
export function requireDriver<T>(imported: ImportedDriver<T>, pkg: string, adapter: string): T {
  if ('module' in imported) return imported.module
  const { code, message } = imported.error as { code?: unknown; message?: unknown }
  const missing =
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    typeof message === 'string' &&
    message.includes(`'${pkg}'`)
  if (missing)
    throw configError(`${adapter} needs the ${pkg} package, which is not installed: npm install ${pkg}`, imported.error)
  throw configError(
    `${adapter} could not load the ${pkg} package (${String(message).split('\n')[0]}): reinstall it (npm install ${pkg})`,
    imported.error,
  )
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
