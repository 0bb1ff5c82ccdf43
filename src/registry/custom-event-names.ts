/** First segments kept for the engine's own events (reference §7.5). */
export const RESERVED_EVENT_NAMESPACES: readonly string[] = [
  'task',
  'step',
  'workflow',
  'observability',
  'test',
];

/** Why a custom event name is not allowed, or `undefined` when it is. */
export function customEventNameProblem(name: string): string | undefined {
  const segments = name.split('.');
  if (segments.length < 2) {
    return `custom event '${name}' must contain a namespace (e.g. 'order.fulfilled')`;
  }
  if (segments.some((segment) => segment === '' || /\s/.test(segment))) {
    return `custom event '${name}' must be dot-separated non-empty segments without spaces`;
  }
  const namespace = segments[0].toLowerCase();
  if (RESERVED_EVENT_NAMESPACES.includes(namespace)) {
    return `custom event '${name}': namespace '${segments[0]}' is reserved for system events`;
  }
  return undefined;
}
