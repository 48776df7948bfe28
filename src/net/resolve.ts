import { isIP } from 'node:net'
import { classify, normalizeHost, type Verdict } from './addresses'
import type { Budget } from './deadline'
import { within } from './deadline'
import { EgressError, type EgressReason } from './errors'
import { addressBytes, inPrefix, withoutZone } from './ip'
import type { NetworkPolicy } from './options'

/** An address the guard checked and will connect to. */
export interface CheckedAddress {
  address: string
  family: 4 | 6
}

/**
 * `host` (a name or an IP literal in any spelling) resolved and checked: every address it
 * resolves to, in the resolver's order. One refused answer refuses the whole name (a name that
 * answers 93.184.216.34 and 10.0.0.5 is refused), so the order of the answers cannot matter.
 */
export async function resolveChecked(
  host: string,
  policy: NetworkPolicy,
  limits: Budget,
): Promise<{ host: string; addresses: CheckedAddress[] }> {
  const name = normalizeHost(host)
  if (name === undefined)
    throw new EgressError('invalid', host, `${JSON.stringify(host)} is not a host name or an IP address`)
  const literal = isIP(withoutZone(name))
  const answers = literal
    ? [{ address: name, family: literal }]
    : await within(lookup(name, policy), limits, name, 'no DNS answer')
  const addresses = answers.map(({ address }) => checkAddress(name, address, policy))
  return { host: name, addresses }
}

async function lookup(name: string, policy: NetworkPolicy): Promise<Array<{ address: string }>> {
  let answers: unknown
  try {
    answers = await policy.resolve(name)
  } catch (error) {
    const code = (error as { code?: unknown })?.code
    const why = code === 'ENOTFOUND' ? 'no such host' : 'DNS lookup failed'
    throw new EgressError('dns', name, `${name}: ${why}${code ? ` (${code})` : ''}`, { cause: error })
  }
  if (!Array.isArray(answers) || answers.length === 0)
    throw new EgressError('dns', name, `${name}: DNS lookup found no address`)
  for (const answer of answers)
    if (typeof answer?.address !== 'string' || isIP(withoutZone(answer.address)) === 0)
      throw new EgressError(
        'dns',
        name,
        `${name}: DNS lookup answered ${JSON.stringify(answer?.address)}, not an IP address`,
      )
  return answers
}

const REASONS = { private: 'private_address', reserved: 'reserved_address', metadata: 'metadata_address' } as const
const HINTS = {
  private: 'refused unless network.allowPrivateAddresses opens it',
  reserved: 'never a destination, always refused',
  metadata: 'always refused',
}

/** `address` (an answer for `host`, or `host` itself) if the policy allows it; an EgressError if not. */
export function checkAddress(host: string, address: string, policy: NetworkPolicy): CheckedAddress {
  const verdict = classify(address)
  const family = isIP(withoutZone(address)) as 4 | 6
  if (verdict.class === 'public' || (verdict.class === 'private' && opened(verdict, policy))) return { address, family }
  const reason: EgressReason = REASONS[verdict.class]
  return refuse(reason, host, address, verdict)
}

function opened(verdict: Verdict, policy: NetworkPolicy): boolean {
  if (policy.allowPrivate === true) return true
  const bytes = addressBytes(verdict.address)!
  return policy.allowPrivate.some((range) => inPrefix(bytes, range))
}

function refuse(reason: EgressReason, host: string, address: string, verdict: Verdict): never {
  const cls = verdict.class as keyof typeof HINTS
  const { name, cidr } = verdict.range!
  const article = /^[aeiou]/i.test(name) ? 'an' : 'a'
  const carried = verdict.form ? ` (${verdict.form} ${verdict.address})` : ''
  const what = `${article} ${name} address (${cidr}): ${HINTS[cls]}`
  const message =
    host === address ? `${address}${carried} is ${what}` : `${host} resolves to ${address}${carried}, ${what}`
  throw new EgressError(reason, host, message, { address })
}
