import type { Logger } from '../interfaces';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
type Level = (typeof LEVELS)[number];

function formatFields(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .map(([key, value]) => {
      const text =
        value instanceof Error ? value.message : Array.isArray(value) ? value.join(', ') : String(value);
      return `${key}=${text}`;
    })
    .join(' ');
}

/** Human-readable log lines for the terminal (the library itself logs JSON through pino). */
export function consoleLogger(minimum: Level = 'info', bindings: Record<string, unknown> = {}): Logger {
  const write = (level: Level) => (obj: object | string, msg?: string) => {
    if (LEVELS.indexOf(level) < LEVELS.indexOf(minimum)) return;
    const [message, fields] =
      typeof obj === 'string' ? [obj, {}] : [msg ?? '', obj as Record<string, unknown>];
    const details = formatFields({ ...bindings, ...fields });
    const line = `${level === 'info' ? '' : `${level.toUpperCase()} `}${message}${details ? ` (${details})` : ''}`;
    if (level === 'warn' || level === 'error') console.error(line);
    else console.log(line);
  };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (more) => consoleLogger(minimum, { ...bindings, ...more }),
  };
}
