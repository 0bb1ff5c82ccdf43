import { PermanentError } from '../handlers/step-errors';
import type { JsonObject, StepTemplate, TaskDefinition } from '../registry/types';
import type { CustomEventFields, CustomEventPayload } from './catalog';

export interface CustomEvent {
  name: string;
  payload: CustomEventPayload;
}

/** `error_code` of the error `ctx.publish` throws for a name the definition does not declare. */
export const UNDECLARED_EVENT_CODE = 'UNDECLARED_EVENT';

/** The custom events a step may publish: those declared on its task and on its own template. */
export function declaredEventNames(definition: TaskDefinition, template: StepTemplate): ReadonlySet<string> {
  return new Set([...definition.customEvents, ...template.customEvents].map((event) => event.name));
}

/**
 * The custom events one step attempt publishes. They are held until the attempt's outcome commits
 * (the executor publishes them then, and drops them when the outcome is discarded), so subscribers
 * never hear of an attempt that left no trace.
 */
export class CustomEventCollector {
  private readonly collected: CustomEvent[] = [];
  private closed = false;

  /**
   * @param onLate told about an event published after the handler settled (e.g. from a timer the
   *   handler left running); such events are dropped
   */
  constructor(
    private readonly declared: ReadonlySet<string>,
    private readonly fields: CustomEventFields,
    private readonly onLate: (name: string) => void,
  ) {}

  /**
   * Throws a `PermanentError` for an undeclared name: a definition bug that no retry can fix, so
   * the step fails without further attempts unless the handler catches it.
   */
  publish(name: string, payload: JsonObject = {}): void {
    if (!this.declared.has(name)) {
      throw new PermanentError(
        `Step '${this.fields.step_name}' may not publish '${name}': declare it in the customEvents of its task or step template`,
        { errorCode: UNDECLARED_EVENT_CODE },
      );
    }
    if (this.closed) {
      this.onLate(name);
      return;
    }
    this.collected.push({ name, payload: { ...payload, ...this.fields } });
  }

  /** The handler has settled: returns what it published and accepts nothing more. */
  close(): readonly CustomEvent[] {
    this.closed = true;
    return this.collected;
  }
}
