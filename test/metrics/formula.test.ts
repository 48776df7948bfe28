import { describe, expect, test } from 'vitest'
import { evaluateFormula, FormulaError, findCycle, formulaSlugs, parseFormula } from '../../src/metrics/formula'

// Formula metrics are user input evaluated on every read: the parser is the only gate, so every
// refusal must be a FormulaError with a message for the API user, never a crash or an evaluation.

const run = (text: string, values: Record<string, number | null> = {}) =>
  evaluateFormula(parseFormula(text), (slug) => (Object.hasOwn(values, slug) ? values[slug] : null))
const refusal = (text: string): string => {
  try {
    parseFormula(text)
  } catch (error) {
    expect(error).toBeInstanceOf(FormulaError)
    return (error as Error).message
  }
  throw new Error(`${JSON.stringify(text)} was accepted`)
}

describe('evaluation', () => {
  test.each([
    ['1 - 2 - 3', -4],
    ['8 / 4 / 2', 1],
    ['2 + 3 * 4', 14],
    ['2 * 3 + 4', 10],
    ['(2 + 3) * 4', 20],
    ['10 - (2 - 3)', 11],
    ['-2 * 3', -6],
    ['--2', 2],
    ['-(2 + 3)', -5],
    ['2 * -3', -6],
    ['2 - -3', 5],
    ['12', 12],
    ['0.5 * 4', 2],
    ['007', 7],
  ])('%s = %d', (text, expected) => {
    expect(run(text)).toBe(expected)
  })

  test('slugs take their values from the lookup', () => {
    expect(run('mrr / paying_customers * 100', { mrr: 500, paying_customers: 20 })).toBe(2500)
    expect(run('(revenue - refunds)', { revenue: 10, refunds: 3 })).toBe(7)
    expect(run('arpu * 12', { arpu: 2.5 })).toBe(30)
  })

  test('a null value makes the result null', () => {
    expect(run('a + b', { a: 1, b: null })).toBeNull()
    expect(run('-a', { a: null })).toBeNull()
    expect(run('a * 0', { a: null })).toBeNull()
  })

  test('division by zero is null, including by a negative zero and by an expression', () => {
    expect(run('1 / 0')).toBeNull()
    expect(run('0 / 0')).toBeNull()
    expect(run('a / b', { a: 1, b: 0 })).toBeNull()
    expect(run('a / -b', { a: 1, b: 0 })).toBeNull()
    expect(run('1 / (2 - 2)')).toBeNull()
    expect(run('0 / 5')).toBe(0)
  })

  test('overflow is null, and so is a non-finite value from the lookup', () => {
    const huge = parseFormula('a * b')
    expect(evaluateFormula(huge, () => 1e308)).toBeNull()
    expect(evaluateFormula(parseFormula('a + b'), () => 1e308)).toBeNull()
    expect(evaluateFormula(parseFormula('a - a'), () => Number.POSITIVE_INFINITY)).toBeNull()
    expect(evaluateFormula(parseFormula('a'), () => Number.NaN)).toBeNull()
  })

  test('whitespace between tokens is ignored', () => {
    expect(run(' \t(\n a\r\n+ 1 )\t*2 ', { a: 1 })).toBe(4)
    expect(run('a+1', { a: 1 })).toBe(2)
  })
})

describe('slugs', () => {
  test('distinct, in order of first appearance', () => {
    expect(formulaSlugs(parseFormula('b * (a + b) - c / a + 2'))).toEqual(['b', 'a', 'c'])
    expect(formulaSlugs(parseFormula('-x9_y'))).toEqual(['x9_y'])
    expect(formulaSlugs(parseFormula('1 + 2'))).toEqual([])
  })

  test('the AST is plain data with the source', () => {
    expect(parseFormula('-a + 2')).toEqual({
      source: '-a + 2',
      root: {
        kind: 'binary',
        op: '+',
        left: { kind: 'negate', operand: { kind: 'slug', slug: 'a' } },
        right: { kind: 'number', value: 2 },
      },
    })
  })
})

describe('errors', () => {
  test.each([
    ['', 'The formula is empty.'],
    [' \n\t', 'The formula is empty.'],
    ['a +', 'The formula ends where a number or a metric slug is expected.'],
    ['a * (b -', 'The formula ends where a number or a metric slug is expected.'],
    ['-', 'The formula ends where a number or a metric slug is expected.'],
    ['(a + b', 'The formula is missing a ")" to close the "(" at column 1.'],
    ['((a) + b', 'The formula is missing a ")" to close the "(" at column 1.'],
    ['a + b)', 'The formula has a ")" at column 6 that closes no "(".'],
    ['()', 'The formula has an unexpected ")" at column 2.'],
    ['(a b)', 'The formula has an unexpected "b" at column 4.'],
    ['a b', 'The formula has an unexpected "b" at column 3.'],
    ['1 2', 'The formula has an unexpected "2" at column 3.'],
    ['(a)(b)', 'The formula has an unexpected "(" at column 4.'],
    ['max(a)', 'The formula has an unexpected "(" at column 4.'],
    ['a ** 2', 'The formula has an unexpected "*" at column 4.'],
    ['* a', 'The formula has an unexpected "*" at column 1.'],
    ['a + + b', 'The formula has an unexpected "+" at column 5.'],
    ['+a', 'The formula has an unexpected "+" at column 1.'],
    ['a % 2', 'The formula has an unexpected character "%" at column 3.'],
    ['a ^ 2', 'The formula has an unexpected character "^" at column 3.'],
    ['Mrr', 'The formula has an unexpected character "M" at column 1.'],
    ['_a', 'The formula has an unexpected character "_" at column 1.'],
    ['.5', 'The formula has an unexpected character "." at column 1.'],
    ['1.', 'The formula has a number without digits after the "." at column 2.'],
    ['1.5.2', 'The formula has an unexpected character "." at column 4.'],
    ['1_000', 'The formula has an unexpected character "_" at column 2.'],
    ['a, b', 'The formula has an unexpected character "," at column 2.'],
    ['a\n+ $b', 'The formula has an unexpected character "$" at column 5.'],
    ['9'.repeat(400), 'The formula has a number too large at column 1.'],
  ])('%j', (text, message) => {
    expect(refusal(text)).toBe(message)
  })

  test('the first problem in the text is the one reported', () => {
    expect(refusal('a b.c')).toBe('The formula has an unexpected "b" at column 3.')
    expect(refusal('a + $ (')).toBe('The formula has an unexpected character "$" at column 5.')
  })

  test('input that is not a string is refused, not a crash', () => {
    expect(() => parseFormula(undefined as unknown as string)).toThrow(FormulaError)
    expect(() => parseFormula({ length: 1 } as unknown as string)).toThrow('The formula must be a string.')
  })
})

describe('limits', () => {
  test('500 characters are accepted, 501 refused', () => {
    const at500 = `${'1 + '.repeat(24)}${' '.repeat(403)}1`
    expect(at500).toHaveLength(500)
    expect(run(at500)).toBe(25)
    expect(refusal(`${at500} `)).toBe('The formula is longer than 500 characters.')
    // The length is checked before anything is read.
    expect(refusal('$'.repeat(501))).toBe('The formula is longer than 500 characters.')
  })

  test('32 levels of nesting are accepted, 33 refused', () => {
    const parens = (n: number) => `${'('.repeat(n)}a${')'.repeat(n)}`
    expect(run(parens(32), { a: 3 })).toBe(3)
    expect(refusal(parens(33))).toBe('The formula nests parentheses and minus signs more than 32 deep (at column 33).')
    expect(run(`${'-'.repeat(32)}a`, { a: 3 })).toBe(3)
    expect(refusal(`${'-'.repeat(33)}a`)).toMatch(/more than 32 deep/)
    // Both kinds count together.
    expect(run(`${'-('.repeat(16)}a${')'.repeat(16)}`, { a: 3 })).toBe(3)
    expect(refusal(`-${'-('.repeat(16)}a${')'.repeat(16)}`)).toMatch(/more than 32 deep/)
    // Depth is nesting, not a running total.
    expect(run(Array.from({ length: 40 }, () => '(a)').join(' + '), { a: 1 })).toBe(40)
  })

  test('100 operands are accepted, 101 refused', () => {
    const operands = (n: number) => Array.from({ length: n }, () => 'a').join('+')
    expect(run(operands(100), { a: 1 })).toBe(100)
    expect(refusal(operands(101))).toBe('The formula has more than 100 numbers and metric slugs.')
    expect(refusal(Array.from({ length: 101 }, () => '1').join('+'))).toBe(
      'The formula has more than 100 numbers and metric slugs.',
    )
  })
})

describe('hostile input', () => {
  test('constructor and __proto__-like slugs are names passed to the lookup, not object keys', () => {
    const asked: string[] = []
    const values = (slug: string) => {
      asked.push(slug)
      return slug.length
    }
    expect(evaluateFormula(parseFormula('constructor + to_string + has_own_property + prototype'), values)).toBe(
      11 + 9 + 16 + 9,
    )
    expect(asked).toEqual(['constructor', 'to_string', 'has_own_property', 'prototype'])
    // `__proto__` cannot be a slug (it starts with `_`), `proto__x` can.
    expect(refusal('__proto__')).toBe('The formula has an unexpected character "_" at column 1.')
    expect(evaluateFormula(parseFormula('proto__x'), () => 1)).toBe(1)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  test.each([
    ['process.exit(1)', 'The formula has an unexpected character "." at column 8.'],
    ['process.exit()', 'The formula has an unexpected character "." at column 8.'],
    ['a;b', 'The formula has an unexpected character ";" at column 2.'],
    ['`x`', 'The formula has an unexpected character "`" at column 1.'],
    ['"a"', `The formula has an unexpected character '"' at column 1.`],
    ["'a'", 'The formula has an unexpected character "\'" at column 1.'],
    ['a[0]', 'The formula has an unexpected character "[" at column 2.'],
    ['{}', 'The formula has an unexpected character "{" at column 1.'],
    ['a.b', 'The formula has an unexpected character "." at column 2.'],
    ['1e5', 'The formula has an unexpected "e5" at column 2.'],
    ['0x10', 'The formula has an unexpected "x10" at column 2.'],
    ['a = 1', 'The formula has an unexpected character "=" at column 3.'],
    ['a => a', 'The formula has an unexpected character "=" at column 3.'],
    ['this', 'ok'],
    ['café', 'The formula has an unexpected character "é" at column 4.'],
    ['ａ', 'The formula has an unexpected character "ａ" at column 1.'],
    ['a + 😀', 'The formula has an unexpected character "😀" at column 5.'],
    ['a\0', 'The formula has an unexpected character U+0000 at column 2.'],
    ['a\u00a0+ b', 'The formula has an unexpected character U+00A0 at column 2.'],
    ['a\u200b', 'The formula has an unexpected character U+200B at column 2.'],
    ['new function', 'The formula has an unexpected "function" at column 5.'],
  ])('%j', (text, message) => {
    if (message === 'ok') expect(formulaSlugs(parseFormula(text))).toEqual([text])
    else expect(refusal(text)).toBe(message)
  })
})

describe('cycles', () => {
  const graph = (edges: Record<string, string[]>) => (slug: string) =>
    Object.hasOwn(edges, slug) ? edges[slug] : undefined

  test('self-reference', () => {
    expect(findCycle('a', graph({ a: ['b', 'a'] }))).toEqual(['a', 'a'])
  })

  test('two and three metrics', () => {
    expect(findCycle('a', graph({ a: ['b'], b: ['a'] }))).toEqual(['a', 'b', 'a'])
    expect(findCycle('a', graph({ a: ['x', 'b'], b: ['c'], c: ['a'] }))).toEqual(['a', 'b', 'c', 'a'])
  })

  test('a diamond is not a cycle', () => {
    expect(findCycle('a', graph({ a: ['b', 'c'], b: ['d'], c: ['d'], d: ['e'] }))).toBeUndefined()
  })

  test('unknown and non-formula slugs are ignored', () => {
    expect(findCycle('a', graph({ a: ['mrr', 'nope', 'constructor'] }))).toBeUndefined()
    expect(findCycle('a', () => undefined)).toBeUndefined()
  })

  test('terminates on a graph that already holds a cycle not through the slug', () => {
    const seen: string[] = []
    const deps = graph({ a: ['b'], b: ['c'], c: ['b', 'd'], d: [] })
    expect(
      findCycle('a', (slug) => {
        seen.push(slug)
        return deps(slug)
      }),
    ).toBeUndefined()
    expect(seen).toEqual(['a', 'b', 'c', 'd'])
  })

  test('a long chain back to the slug', () => {
    const edges: Record<string, string[]> = {}
    for (let i = 0; i < 50; i++) edges[`m${i}`] = [`m${(i + 1) % 50}`]
    const cycle = findCycle('m0', graph(edges))
    expect(cycle).toHaveLength(51)
    expect(cycle?.[50]).toBe('m0')
  })
})
