/** Appends one property name to a JSON pointer (RFC 6901 escaping). */
export function appendPointer(pointer: string, key: string | number): string {
  return `${pointer}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;
}
