import { errors as joseErrors, jwtVerify, SignJWT } from 'jose'

/**
 * User tokens are JWTs signed with HS256 and verified with HS256 only (a token claiming `none` or
 * another algorithm is refused before its signature is looked at), with an expiry. `sub` names
 * the user in the whole store (`<projectId>:<userId>`: user ids count per project), and `tv` is
 * the user's token version when the token was made: changing the password or the role, or
 * deleting the user, moves the version on, which ends every older token.
 */
export interface TokenClaims {
  projectId: string
  userId: number
  tokenVersion: number
}

const ALGORITHM = 'HS256'

export async function signUserToken(
  secret: Uint8Array,
  claims: TokenClaims,
  { now, ttlMs }: { now: number; ttlMs: number },
): Promise<string> {
  const issuedAt = Math.floor(now / 1000)
  return new SignJWT({ tv: claims.tokenVersion })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setSubject(`${claims.projectId}:${claims.userId}`)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + Math.max(1, Math.floor(ttlMs / 1000)))
    .sign(secret)
}

/** The token's claims, or `undefined` for anything that is not a valid, unexpired token of this secret. */
export async function verifyUserToken(
  secret: Uint8Array,
  token: string,
  now: number,
): Promise<TokenClaims | undefined> {
  try {
    const { payload } = await jwtVerify(token, secret, {
      algorithms: [ALGORITHM],
      currentDate: new Date(now),
      requiredClaims: ['sub', 'exp', 'iat'],
    })
    const match = /^([^:]+):([1-9]\d{0,15})$/.exec(payload.sub ?? '')
    if (!match || !Number.isSafeInteger(payload.tv)) return undefined
    return { projectId: match[1], userId: Number(match[2]), tokenVersion: payload.tv as number }
  } catch (error) {
    if (error instanceof joseErrors.JOSEError || error instanceof TypeError) return undefined
    throw error
  }
}

/** Whether a bearer credential looks like a JWT (three base64url parts) rather than an API key. */
export const looksLikeJwt = (credential: string): boolean => /^[\w-]+\.[\w-]+\.[\w-]*$/.test(credential)
