// JSON text with the hostile parts JSON.stringify cannot write: raw number literals (`1e400`,
// `-0`, `9007199254740993`), objects with keys such as `__proto__` kept as own keys, and
// duplicate keys.

/** A raw JSON token, written as is. */
export class Raw {
  constructor(readonly text: string) {}
}

/** An object as an ordered list of entries: any key (also `__proto__`), duplicates allowed. */
export class Obj {
  constructor(readonly entries: Array<[string, J]>) {}
  get(key: string): J | undefined {
    for (let i = this.entries.length - 1; i >= 0; i--) if (this.entries[i][0] === key) return this.entries[i][1]
    return undefined
  }
  set(key: string, value: J): this {
    const at = this.entries.findIndex(([k]) => k === key)
    if (at >= 0) this.entries[at] = [key, value]
    else this.entries.push([key, value])
    return this
  }
  delete(key: string): this {
    for (let i = this.entries.length - 1; i >= 0; i--) if (this.entries[i][0] === key) this.entries.splice(i, 1)
    return this
  }
}

export type J = null | boolean | number | string | Raw | Obj | J[]

export const obj = (entries: Record<string, J> | Array<[string, J]> = []): Obj =>
  new Obj(Array.isArray(entries) ? entries : Object.entries(entries))

export function toJson(value: J): string {
  if (value instanceof Raw) return value.text
  if (value instanceof Obj) return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`).join(',')}}`
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`
  if (typeof value === 'number' && !Number.isFinite(value)) return 'null'
  return JSON.stringify(value)
}

/** `{"a":{"a":...{"a":leaf}}}` nested `levels` objects deep, built iteratively. */
export function nested(levels: number, leaf: J = 1): Raw {
  return new Raw(`${'{"a":'.repeat(levels)}${toJson(leaf)}${'}'.repeat(levels)}`)
}
