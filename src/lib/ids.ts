// Random identifiers: upload session ids and request ids.
import { randomUUID } from 'node:crypto'

export function newId(): string {
  return randomUUID()
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export function isId(value: string): boolean {
  return UUID.test(value)
}
