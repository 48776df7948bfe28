/**
 * Formula metrics: an arithmetic expression over other metrics' slugs (`mrr / paying_customers * 100`).
 * A small recursive-descent parser of ours, never `eval`: a definition is user input that ends up
 * evaluated on every read, so the grammar is exactly numbers, slugs, `+ - * /`, unary minus and
 * parentheses, and everything else is refused at save time with a message the caller turns into a 422.
 */

export const FORMULA_MAX_LENGTH = 500
/** Parentheses and unary minus signs count alike: both make the parser (and the evaluator) recurse. */
export const FORMULA_MAX_DEPTH = 32
/** Numbers and slugs together. */
export const FORMULA_MAX_OPERANDS = 100

export type FormulaNode =
  | { kind: 'number'; value: number }
  | { kind: 'slug'; slug: string }
  | { kind: 'negate'; operand: FormulaNode }
  | { kind: 'binary'; op: '+' | '-' | '*' | '/'; left: FormulaNode; right: FormulaNode }

export interface Formula {
  /** The text as given. */
  source: string
  root: FormulaNode
}

/** A definition the parser refuses; `message` is written for the API user. */
export class FormulaError extends Error {
  override name = 'FormulaError'
}

type Token =
  | { kind: 'number'; text: string; column: number }
  | { kind: 'slug'; text: string; column: number }
  | { kind: 'symbol'; text: '+' | '-' | '*' | '/' | '(' | ')'; column: number }
  /** What the lexer could not read; the parser throws `message` when it gets there, so errors come in text order. */
  | { kind: 'bad'; message: string; column: number }
  | { kind: 'end'; column: number }

const isDigit = (c: string) => c >= '0' && c <= '9'
const isSlugStart = (c: string) => c >= 'a' && c <= 'z'
const isSlugPart = (c: string) => isSlugStart(c) || isDigit(c) || c === '_'
const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r'

/** A character as a message shows it: quoted when visible, as U+XXXX when not (NUL, controls, odd spaces). */
function describe(char: string): string {
  const code = char.codePointAt(0)!
  if (char === '"') return `'"'`
  if (/^[\p{L}\p{N}\p{P}\p{S}]$/u.test(char)) return `"${char}"`
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`
}

/** Columns are 1-based offsets into the text (a newline does not reset them). */
function tokenize(text: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < text.length) {
    const c = text[i]
    const column = i + 1
    if (isSpace(c)) {
      i++
    } else if (isDigit(c)) {
      const start = i
      while (i < text.length && isDigit(text[i])) i++
      if (text[i] === '.') {
        i++
        if (!isDigit(text[i] ?? '')) {
          tokens.push({
            kind: 'bad',
            message: `The formula has a number without digits after the "." at column ${i}.`,
            column,
          })
          return tokens
        }
        while (i < text.length && isDigit(text[i])) i++
      }
      tokens.push({ kind: 'number', text: text.slice(start, i), column })
    } else if (isSlugStart(c)) {
      const start = i
      while (i < text.length && isSlugPart(text[i])) i++
      tokens.push({ kind: 'slug', text: text.slice(start, i), column })
    } else if (c === '+' || c === '-' || c === '*' || c === '/' || c === '(' || c === ')') {
      tokens.push({ kind: 'symbol', text: c, column })
      i++
    } else {
      const char = String.fromCodePoint(text.codePointAt(i)!)
      tokens.push({
        kind: 'bad',
        message: `The formula has an unexpected character ${describe(char)} at column ${column}.`,
        column,
      })
      return tokens
    }
  }
  tokens.push({ kind: 'end', column: text.length + 1 })
  return tokens
}

/** Parses and checks a formula; throws `FormulaError` on anything outside the grammar or the limits. */
export function parseFormula(text: string): Formula {
  if (typeof text !== 'string') throw new FormulaError('The formula must be a string.')
  if (text.length > FORMULA_MAX_LENGTH)
    throw new FormulaError(`The formula is longer than ${FORMULA_MAX_LENGTH} characters.`)
  const tokens = tokenize(text)
  if (tokens[0].kind === 'end') throw new FormulaError('The formula is empty.')

  let pos = 0
  let depth = 0
  let operands = 0
  const peek = () => tokens[pos]
  const isSymbol = (t: Token, ...texts: string[]) => t.kind === 'symbol' && texts.includes(t.text)

  const unexpected = (t: Token): FormulaError => {
    if (t.kind === 'bad') return new FormulaError(t.message)
    if (t.kind === 'end') return new FormulaError('The formula ends where a number or a metric slug is expected.')
    return new FormulaError(`The formula has an unexpected "${t.text}" at column ${t.column}.`)
  }
  const enter = (t: Token) => {
    if (++depth > FORMULA_MAX_DEPTH)
      throw new FormulaError(
        `The formula nests parentheses and minus signs more than ${FORMULA_MAX_DEPTH} deep (at column ${t.column}).`,
      )
  }
  const countOperand = () => {
    if (++operands > FORMULA_MAX_OPERANDS)
      throw new FormulaError(`The formula has more than ${FORMULA_MAX_OPERANDS} numbers and metric slugs.`)
  }

  // expr := term (('+'|'-') term)*  — a loop, not recursion, so `a - b - c` is left-associative.
  const expr = (): FormulaNode => {
    let left = term()
    while (isSymbol(peek(), '+', '-')) {
      const op = (tokens[pos++] as { text: '+' | '-' }).text
      left = { kind: 'binary', op, left, right: term() }
    }
    return left
  }
  // term := unary (('*'|'/') unary)*
  const term = (): FormulaNode => {
    let left = unary()
    while (isSymbol(peek(), '*', '/')) {
      const op = (tokens[pos++] as { text: '*' | '/' }).text
      left = { kind: 'binary', op, left, right: unary() }
    }
    return left
  }
  // unary := '-' unary | primary
  const unary = (): FormulaNode => {
    const t = peek()
    if (!isSymbol(t, '-')) return primary()
    pos++
    enter(t)
    const operand = unary()
    depth--
    return { kind: 'negate', operand }
  }
  // primary := number | slug | '(' expr ')'
  const primary = (): FormulaNode => {
    const t = peek()
    if (t.kind === 'number') {
      pos++
      countOperand()
      const value = Number(t.text)
      // 400 digits parse to Infinity: refuse rather than store a formula that always reads null.
      if (!Number.isFinite(value)) throw new FormulaError(`The formula has a number too large at column ${t.column}.`)
      return { kind: 'number', value }
    }
    if (t.kind === 'slug') {
      pos++
      countOperand()
      return { kind: 'slug', slug: t.text }
    }
    if (isSymbol(t, '(')) {
      pos++
      enter(t)
      const inner = expr()
      const close = peek()
      if (close.kind === 'end')
        throw new FormulaError(`The formula is missing a ")" to close the "(" at column ${t.column}.`)
      if (!isSymbol(close, ')')) throw unexpected(close)
      pos++
      depth--
      return inner
    }
    throw unexpected(t)
  }

  const root = expr()
  const rest = peek()
  if (rest.kind !== 'end') {
    if (isSymbol(rest, ')'))
      throw new FormulaError(`The formula has a ")" at column ${rest.column} that closes no "(".`)
    // `a b`, `max(a)`, `1e5` (the number 1, then the slug `e5`): an operand where an operator belongs.
    throw unexpected(rest)
  }
  return { source: text, root }
}

/** The distinct slugs the formula references, in order of first appearance. */
export function formulaSlugs(formula: Formula): string[] {
  const slugs = new Set<string>()
  const walk = (node: FormulaNode): void => {
    if (node.kind === 'slug') slugs.add(node.slug)
    else if (node.kind === 'negate') walk(node.operand)
    else if (node.kind === 'binary') {
      walk(node.left)
      walk(node.right)
    }
  }
  walk(formula.root)
  return [...slugs]
}

/**
 * The formula's value given each slug's value. Slugs go through `values`, never an object index, so
 * `constructor` or `__proto__` are just names. A missing value (`null`) makes the whole result `null`,
 * as do a division by zero and a non-finite result (overflow): a metric reads "no value", never Infinity.
 */
export function evaluateFormula(formula: Formula, values: (slug: string) => number | null): number | null {
  const finite = (n: number | null) => (n === null || !Number.isFinite(n) ? null : n)
  const evaluate = (node: FormulaNode): number | null => {
    switch (node.kind) {
      case 'number':
        return node.value
      case 'slug':
        return finite(values(node.slug))
      case 'negate': {
        const v = evaluate(node.operand)
        return v === null ? null : -v
      }
      case 'binary': {
        const left = evaluate(node.left)
        const right = evaluate(node.right)
        if (left === null || right === null) return null
        if (node.op === '+') return finite(left + right)
        if (node.op === '-') return finite(left - right)
        if (node.op === '*') return finite(left * right)
        return right === 0 ? null : finite(left / right)
      }
    }
  }
  return evaluate(formula.root)
}

/**
 * The cycle through `slug`, if following formula references from it comes back to it: the path
 * from `slug` to `slug` (`['a', 'b', 'a']`, or `['a', 'a']` for a self-reference). `dependencies`
 * gives a formula metric's slugs and `undefined` for any other metric or an unknown slug. Each slug
 * is expanded once, so any graph (even one that already holds another cycle) terminates.
 */
export function findCycle(slug: string, dependencies: (slug: string) => string[] | undefined): string[] | undefined {
  const expanded = new Set<string>([slug])
  const path = [slug]
  const visit = (from: string): string[] | undefined => {
    for (const next of dependencies(from) ?? []) {
      if (next === slug) return [...path, slug]
      if (expanded.has(next)) continue
      expanded.add(next)
      path.push(next)
      const cycle = visit(next)
      if (cycle) return cycle
      path.pop()
    }
    return undefined
  }
  return visit(slug)
}

/**
 * What evaluating `slug` reaches through formulas: how many other metrics (each counted once, as
 * the evaluator computes each once) and how deep formulas nest. A save bounds both, so one value
 * costs a bounded number of store reads. Call it on a graph without cycles (`findCycle` first).
 */
export function formulaReach(
  slug: string,
  dependencies: (slug: string) => string[] | undefined,
): { metrics: number; depth: number } {
  const seen = new Set<string>()
  const depthOf = new Map<string, number>()
  const visit = (from: string): number => {
    const known = depthOf.get(from)
    if (known !== undefined) return known
    let depth = 0
    for (const next of dependencies(from) ?? []) {
      seen.add(next)
      depth = Math.max(depth, 1 + visit(next))
    }
    depthOf.set(from, depth)
    return depth
  }
  const depth = visit(slug)
  return { metrics: seen.size, depth }
}
