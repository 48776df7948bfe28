// The `network` option is checked like createTelltale's own: one line that names the field.
import { describe, expect, it } from 'vitest'
import { isTelltaleError } from '../../src/core/errors'
import { checkNetworkOption, createEgress } from '../../src/net'

const message = (value: unknown) => {
  try {
    checkNetworkOption(value)
  } catch (error) {
    expect(isTelltaleError(error) && error.kind).toBe('config')
    return (error as Error).message
  }
  return undefined
}

describe('checkNetworkOption', () => {
  it('accepts what NetworkOptions describes', () => {
    for (const value of [
      undefined,
      {},
      { allowPrivateAddresses: true },
      { allowPrivateAddresses: false },
      { allowPrivateAddresses: ['10.0.0.0/8', '127.0.0.1', 'fd00::/8', '::1'] },
      { resolve: async () => [] },
    ])
      expect(message(value)).toBeUndefined()
  })

  it.each([
    [null, 'telltale: network must be an object, e.g. { allowPrivateAddresses: true }'],
    [true, 'telltale: network must be an object, e.g. { allowPrivateAddresses: true }'],
    [['10.0.0.0/8'], 'telltale: network must be an object, e.g. { allowPrivateAddresses: true }'],
    [
      { allowPrivate: true },
      'telltale: network has no option "allowPrivate" (the options are allowPrivateAddresses, resolve)',
    ],
    [
      { allowPrivateAddresses: 'yes' },
      "telltale: network.allowPrivateAddresses must be true, false or a list of addresses and ranges, e.g. ['10.1.0.0/16']",
    ],
    [
      { allowPrivateAddresses: ['10.0.0.0/33'] },
      `telltale: network.allowPrivateAddresses has "10.0.0.0/33", which is not an address or a range such as '10.1.0.0/16' or 'fd00::/8'`,
    ],
    [
      { allowPrivateAddresses: ['intranet.example'] },
      `telltale: network.allowPrivateAddresses has "intranet.example", which is not an address or a range such as '10.1.0.0/16' or 'fd00::/8'`,
    ],
    [
      { allowPrivateAddresses: [10] },
      `telltale: network.allowPrivateAddresses has 10, which is not an address or a range such as '10.1.0.0/16' or 'fd00::/8'`,
    ],
    [
      { resolve: 'dns' },
      'telltale: network.resolve must be a function (hostname) => Promise<Array<{ address, family }>>',
    ],
  ])('refuses %j in one line', (value, expected) => {
    expect(message(value)).toBe(expected)
  })

  it('createEgress checks its options the same way', () => {
    expect(() => createEgress({ allowPrivateAddresses: 'yes' as never })).toThrow(
      /^telltale: network\.allowPrivateAddresses must be true, false or a list/,
    )
  })
})
