import type { z } from 'zod'
import type { CoreContext } from '../core/context'
import { validationError } from '../core/errors'
import { requireProject } from '../core/project-cache'
import type { Scope } from '../storage'
import { toValidationIssues } from './issues'

/**
 * One operation, defined once: its input schema, the scope a caller over HTTP needs, and its
 * function. `api` and every HTTP route call it through `runOperation`, so an in-process call is
 * validated exactly as a request is, and neither can drift from the other.
 */
export interface Operation<Schema extends z.ZodType = z.ZodType, Output = unknown> {
  input: Schema
  /** What an HTTP credential needs to call it (`admin` includes the others). */
  scope: Scope
  /**
   * Whether `input.projectId` must name an existing project before `run` (default true when the
   * schema has a `projectId`): no event is ever stored for a project that does not exist.
   */
  requiresProject?: boolean
  run(ctx: CoreContext, input: z.output<Schema>): Promise<Output>
}

export function defineOperation<Schema extends z.ZodType, Output>(
  operation: Operation<Schema, Output>,
): Operation<Schema, Output> {
  return operation
}

/** The operation's input after its schema, or a validation `TelltaleError` naming every problem. */
export function parseInput<Schema extends z.ZodType>(
  operation: Operation<Schema, unknown>,
  raw: unknown,
): z.output<Schema> {
  const parsed = operation.input.safeParse(raw)
  if (!parsed.success) throw validationError(toValidationIssues(parsed.error.issues, raw))
  return parsed.data
}

/** Runs an operation on already-parsed input (see `parseInput`). */
export async function runParsed<Schema extends z.ZodType, Output>(
  ctx: CoreContext,
  operation: Operation<Schema, Output>,
  input: z.output<Schema>,
): Promise<Output> {
  const projectId = (input as { projectId?: unknown }).projectId
  if (operation.requiresProject !== false && typeof projectId === 'string') await requireProject(ctx, projectId)
  return operation.run(ctx, input)
}

/** Validates `raw` and runs the operation. */
export async function runOperation<Schema extends z.ZodType, Output>(
  ctx: CoreContext,
  operation: Operation<Schema, Output>,
  raw: unknown,
): Promise<Output> {
  return runParsed(ctx, operation, parseInput(operation, raw))
}
