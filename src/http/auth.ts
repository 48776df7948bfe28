import { looksLikeJwt, ROLE_SCOPES, verifyUserBearer } from '../accounts'
import type { CoreContext } from '../core/context'
import { TelltaleError } from '../core/errors'
import { verifyApiKey } from '../keys'
import type { Scope } from '../storage'
import type { AuthContext } from '../surfaces'
import type { RouteRequest } from './route'

export type { AuthContext }

/**
 * The `auth` option: maps a request to a project with the host app's own session logic.
 * Return `undefined` to fall back to API keys (`Authorization: Bearer tt_...`).
 */
export type AuthResolver = (
  request: Request,
) => AuthContext | undefined | null | Promise<AuthContext | undefined | null>

export async function authenticate(
  ctx: CoreContext,
  request: RouteRequest,
  resolver?: AuthResolver,
): Promise<AuthContext> {
  if (resolver) {
    const resolved = await resolver(request.webRequest())
    if (resolved) return resolved
  }
  const header = request.header('authorization') ?? ''
  const credential = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1]
  // A user's token (StatusCore login) is a JWT; an API key starts with tt_.
  if (credential && looksLikeJwt(credential)) {
    const user = await verifyUserBearer(ctx, credential)
    if (!user) throw new TelltaleError('unauthorized', 'Invalid or expired token.')
    return { projectId: user.projectId, scopes: ROLE_SCOPES[user.role], userId: user.id, role: user.role }
  }
  const key = credential ? await verifyApiKey(ctx, credential) : undefined
  if (!key) throw new TelltaleError('unauthorized', 'Invalid API key.')
  return { projectId: key.projectId, scopes: key.scopes, keyId: key.id }
}

/** `admin` includes `read` and `write`. */
export function requireScope(auth: AuthContext, scope: Scope): void {
  if (auth.scopes.includes(scope) || auth.scopes.includes('admin')) return
  throw new TelltaleError('forbidden', `This API key does not have the ${scope} scope.`)
}
