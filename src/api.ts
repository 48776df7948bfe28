import type { z } from 'zod'
import type { CoreContext } from './core/context'
import { isTelltaleError, TelltaleError } from './core/errors'
import { type Operation, runOperation } from './core/operation'
import type { Operations } from './domains'

/** Each operation as a function: input as its schema accepts it, output as its `run` returns it. */
export type TelltaleApi = {
  [Name in keyof Operations]: Operations[Name] extends Operation<infer Schema, infer Output>
    ? (input: z.input<Schema>) => Promise<Output>
    : never
}

/**
 * Every operation of the domains, callable in-process: the same objects the HTTP routes call.
 * Each call waits for `ready()`, is validated by the operation's schema, and fails only with a
 * `TelltaleError`: a store failure becomes `internal`, with the driver error as its `cause`.
 */
export function createApi(
  ctx: CoreContext,
  operations: Record<string, Operation>,
  ready: () => Promise<void>,
): TelltaleApi {
  const api: Record<string, (input: unknown) => Promise<unknown>> = {}
  for (const [name, operation] of Object.entries(operations)) {
    api[name] = async (input) => {
      try {
        await ready()
        return await runOperation(ctx, operation, input)
      } catch (error) {
        if (isTelltaleError(error)) throw error
        throw new TelltaleError(
          'internal',
          `telltale: ${name} failed: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        )
      }
    }
  }
  return api as TelltaleApi
}
