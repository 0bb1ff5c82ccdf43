import {
  createTraceState,
  isSpanContextValid,
  ROOT_CONTEXT,
  trace,
  type Context,
  type SpanContext,
} from '@opentelemetry/api';

/** A task's stored trace context: W3C `traceparent` and, when set, `tracestate`. */
export type TraceCarrier = Record<string, string>;

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * The W3C carrier of a span context; null for an invalid one (no SDK, or tracing off). Written in
 * W3C form directly rather than through the global propagator: the column is Tasker's own storage,
 * and must work whichever propagator (if any) the application registered.
 */
export function toCarrier(spanContext: SpanContext): TraceCarrier | null {
  if (!isSpanContextValid(spanContext)) return null;
  const flags = spanContext.traceFlags.toString(16).padStart(2, '0');
  const tracestate = spanContext.traceState?.serialize();
  return {
    traceparent: `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`,
    ...(tracestate ? { tracestate } : {}),
  };
}

/** A context whose (remote) parent span is the one in the carrier; the root context for none. */
export function contextFromCarrier(carrier: TraceCarrier | null): Context {
  const match = carrier?.traceparent ? TRACEPARENT.exec(carrier.traceparent) : null;
  if (!match) return ROOT_CONTEXT;
  const spanContext: SpanContext = {
    traceId: match[1],
    spanId: match[2],
    traceFlags: parseInt(match[3], 16),
    isRemote: true,
    ...(carrier?.tracestate ? { traceState: createTraceState(carrier.tracestate) } : {}),
  };
  return isSpanContextValid(spanContext) ? trace.setSpanContext(ROOT_CONTEXT, spanContext) : ROOT_CONTEXT;
}
