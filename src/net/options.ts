import { lookup } from 'node:dns/promises'
import type { NetworkOptions, ResolvedAddress } from '../core/context'
import { configError } from '../core/errors'
import { type Prefix, parseCidr } from './ip'

export type { NetworkOptions, ResolvedAddress }

/** NetworkOptions with its defaults. */
export interface NetworkPolicy {
  /** `true`, or the ranges opened (none: `[]`). */
  allowPrivate: true | Prefix[]
  resolve: (hostname: string) => Promise<ResolvedAddress[]>
}

const KNOWN = ['allowPrivateAddresses', 'resolve']

/**
 * The `network` option checked: a mistake is a `TelltaleError` of kind `config` whose one line
 * names the field and the fix (`telltale: network.allowPrivateAddresses must be …`).
 */
export function checkNetworkOption(value: unknown): asserts value is NetworkOptions | undefined {
  if (value === undefined) return
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw configError('network must be an object, e.g. { allowPrivateAddresses: true }')
  for (const name of Object.keys(value))
    if (!KNOWN.includes(name))
      throw configError(`network has no option "${name}" (the options are ${KNOWN.join(', ')})`)
  const { allowPrivateAddresses: allow, resolve } = value as Record<string, unknown>
  if (allow !== undefined && typeof allow !== 'boolean') {
    if (!Array.isArray(allow))
      throw configError(
        "network.allowPrivateAddresses must be true, false or a list of addresses and ranges, e.g. ['10.1.0.0/16']",
      )
    const bad = allow.find((entry) => typeof entry !== 'string' || parseCidr(entry) === undefined)
    if (bad !== undefined)
      throw configError(
        `network.allowPrivateAddresses has ${JSON.stringify(bad) ?? String(bad)}, which is not an address or a range such as '10.1.0.0/16' or 'fd00::/8'`,
      )
  }
  if (resolve !== undefined && typeof resolve !== 'function')
    throw configError('network.resolve must be a function (hostname) => Promise<Array<{ address, family }>>')
}

/** The policy a checked `network` option describes. */
export function networkPolicy(options: NetworkOptions = {}): NetworkPolicy {
  checkNetworkOption(options)
  const allow = options.allowPrivateAddresses ?? false
  return {
    allowPrivate: allow === true ? true : allow === false ? [] : allow.map((entry) => parseCidr(entry)!),
    resolve: options.resolve ?? ((hostname) => lookup(hostname, { all: true, verbatim: true })),
  }
}
