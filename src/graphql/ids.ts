/** An id argument: a positive integer written in decimal, else undefined (queries answer null for it). */
export function parseId(value: string): number | undefined {
  if (!/^[1-9]\d{0,15}$/.test(value)) return undefined;
  const id = Number(value);
  return Number.isSafeInteger(id) ? id : undefined;
}
