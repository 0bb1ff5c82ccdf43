import {
  PermanentError,
  RetryableError,
  type JsonObject,
  type StepContext,
  type StepHandlerFunction,
  type StepHandlerMap,
} from '../../src';
import { fromCents, toCents } from '../support/faults';
import {
  ORDERS,
  PRODUCTS,
  SystemFaultError,
  USERS,
  type OrderRow,
  type PipelineSystems,
  type ProductRow,
  type UserRow,
} from './systems';

interface PipelineContext {
  date_range?: { start_date?: string; end_date?: string };
  notification_channels?: string[];
  processing_mode?: string;
  quality_thresholds?: { min_customer_records?: number; min_order_records?: number };
}

export interface CustomerMetric {
  customer_id: number;
  name: string;
  segment: string;
  total_orders: number;
  completed_orders: number;
  total_revenue: number;
  avg_order_value: number;
}

export interface ProductMetric {
  product_id: number;
  name: string;
  category: string;
  units_sold: number;
  revenue: number;
}

const DEFAULT_CHANNELS = ['#data-team'];
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function pipeline(ctx: StepContext): PipelineContext {
  return ctx.task.context as PipelineContext;
}

function permanent(errorCode: string, message: string): PermanentError {
  return new PermanentError(message, { errorCode });
}

function upstream<T>(ctx: StepContext, step: string, key: string): T {
  const results = ctx.results(step) as JsonObject | undefined;
  const value = results?.[key];
  if (value === undefined) throw permanent('MISSING_UPSTREAM_DATA', `No ${key} from ${step}`);
  return value as unknown as T;
}

/**
 * Turns a simulated system's failure into the step error it means: authentication failures cannot
 * fix themselves (permanent); rate limits ask for a delay; timeouts, lost connections and memory
 * pressure may pass (retryable).
 */
function asStepError(error: unknown): unknown {
  if (!(error instanceof SystemFaultError)) return error;
  const { fault } = error;
  if (fault.kind === 'auth') return permanent('AUTHENTICATION_FAILED', error.message);
  if (fault.kind === 'rate_limited') {
    return new RetryableError(error.message, { retryAfterSeconds: fault.retryAfterSeconds });
  }
  return new RetryableError(error.message);
}

/** Records each run of a handler and maps system faults to step errors. */
function step(
  systems: PipelineSystems,
  handler: (ctx: StepContext) => Promise<JsonObject>,
): StepHandlerFunction {
  return async (ctx) => {
    const start = performance.now();
    try {
      return await handler(ctx);
    } catch (error) {
      throw asStepError(error);
    } finally {
      systems.runs.push({
        taskId: ctx.task.taskId,
        step: ctx.step.name,
        attempt: ctx.step.attempts,
        start,
        end: performance.now(),
      });
    }
  };
}

function dateRange(ctx: StepContext): { start: string; end: string } {
  const range = pipeline(ctx).date_range;
  if (!range) throw permanent('MISSING_DATE_RANGE', 'date_range is required');
  const { start_date: start, end_date: end } = range;
  if (!start) throw permanent('MISSING_START_DATE', 'date_range.start_date is required');
  if (!end) throw permanent('MISSING_END_DATE', 'date_range.end_date is required');
  if (!ISO_DATE.test(start) || !ISO_DATE.test(end))
    throw permanent('INVALID_DATE_FORMAT', 'Dates are YYYY-MM-DD');
  if (start > end) throw permanent('INVALID_DATE_RANGE', `start_date ${start} is after end_date ${end}`);
  return { start, end };
}

function extractOrders(systems: PipelineSystems) {
  return step(systems, async (ctx) => {
    const { start, end } = dateRange(ctx);
    const orders = await systems.warehouse.call(ctx.signal, () =>
      ORDERS.filter((order) => order.order_date >= start && order.order_date <= end),
    );
    ctx.publish('pipeline.extraction_completed', { source: 'orders', records: orders.length });
    return {
      orders_data: orders.map((order) => ({ ...order })),
      extraction_metadata: { total_records: orders.length, date_range: { start_date: start, end_date: end } },
      extracted_at: new Date().toISOString(),
    };
  });
}

function extractUsers(systems: PipelineSystems) {
  return step(systems, async (ctx) => {
    const users = await systems.crm.call(ctx.signal, () => USERS.map((user) => ({ ...user })));
    ctx.publish('pipeline.extraction_completed', { source: 'users', records: users.length });
    return {
      users_data: users,
      extraction_metadata: { total_records: users.length, source: 'crm' },
      extracted_at: new Date().toISOString(),
    };
  });
}

function extractProducts(systems: PipelineSystems) {
  return step(systems, async (ctx) => {
    const products = await systems.catalog.call(ctx.signal, () =>
      PRODUCTS.map((product) => ({ ...product })),
    );
    ctx.publish('pipeline.extraction_completed', { source: 'products', records: products.length });
    return {
      products_data: products,
      extraction_metadata: { total_records: products.length, source: 'product_catalog' },
      extracted_at: new Date().toISOString(),
    };
  });
}

/** Too little data makes the numbers meaningless; more attempts will not bring more data. */
function requireEnough(ctx: StepContext, kind: 'customer' | 'order', count: number): void {
  const thresholds = pipeline(ctx).quality_thresholds ?? {};
  const minimum = (kind === 'customer' ? thresholds.min_customer_records : thresholds.min_order_records) ?? 1;
  if (count < minimum) {
    throw permanent('INSUFFICIENT_DATA', `Only ${count} ${kind} records; at least ${minimum} required`);
  }
}

function transformCustomerMetrics(systems: PipelineSystems) {
  return step(systems, async (ctx) => {
    const orders = upstream<OrderRow[]>(ctx, 'extract_orders', 'orders_data');
    const users = upstream<UserRow[]>(ctx, 'extract_users', 'users_data');
    requireEnough(ctx, 'order', orders.length);
    requireEnough(ctx, 'customer', users.length);
    const metrics = await systems.cluster.call(ctx.signal, () =>
      users.map((user) => customerMetric(user, orders)),
    );
    return {
      customer_metrics: metrics as unknown as JsonObject[],
      total_customers: metrics.length,
      processing_mode: pipeline(ctx).processing_mode ?? 'standard',
      transformed_at: new Date().toISOString(),
    };
  });
}

function customerMetric(user: UserRow, orders: readonly OrderRow[]): CustomerMetric {
  const own = orders.filter((order) => order.customer_id === user.user_id);
  const completed = own.filter((order) => order.status === 'completed');
  const revenue = completed.reduce((sum, order) => sum + toCents(order.total), 0);
  return {
    customer_id: user.user_id,
    name: user.name,
    segment: user.segment,
    total_orders: own.length,
    completed_orders: completed.length,
    total_revenue: fromCents(revenue),
    avg_order_value: completed.length ? fromCents(Math.round(revenue / completed.length)) : 0,
  };
}

function transformProductMetrics(systems: PipelineSystems) {
  return step(systems, async (ctx) => {
    const orders = upstream<OrderRow[]>(ctx, 'extract_orders', 'orders_data');
    const products = upstream<ProductRow[]>(ctx, 'extract_products', 'products_data');
    requireEnough(ctx, 'order', orders.length);
    const metrics = await systems.cluster.call(ctx.signal, () =>
      products.map((product) => productMetric(product, orders)),
    );
    return {
      product_metrics: metrics as unknown as JsonObject[],
      total_products: metrics.length,
      transformed_at: new Date().toISOString(),
    };
  });
}

function productMetric(product: ProductRow, orders: readonly OrderRow[]): ProductMetric {
  const sold = orders.filter(
    (order) => order.product_id === product.product_id && order.status === 'completed',
  );
  return {
    product_id: product.product_id,
    name: product.name,
    category: product.category,
    units_sold: sold.reduce((sum, order) => sum + order.quantity, 0),
    revenue: fromCents(sold.reduce((sum, order) => sum + toCents(order.total), 0)),
  };
}

function generateInsights(systems: PipelineSystems) {
  return step(systems, async (ctx) => {
    const customers = upstream<CustomerMetric[]>(ctx, 'transform_customer_metrics', 'customer_metrics');
    const products = upstream<ProductMetric[]>(ctx, 'transform_product_metrics', 'product_metrics');
    const insights = await systems.cluster.call(ctx.signal, () => ({
      total_revenue: fromCents(customers.reduce((sum, c) => sum + toCents(c.total_revenue), 0)),
      top_customer: [...customers].sort((a, b) => b.total_revenue - a.total_revenue)[0]?.name ?? null,
      top_product: [...products].sort((a, b) => b.revenue - a.revenue)[0]?.name ?? null,
      revenue_by_segment: revenueBySegment(customers),
      customers_without_orders: customers.filter((c) => c.total_orders === 0).length,
    }));
    ctx.publish('pipeline.milestone_reached', { milestone: 'insights_generated' });
    return {
      insights,
      insights_metadata: { customers_analyzed: customers.length, products_analyzed: products.length },
      generated_at: new Date().toISOString(),
    };
  });
}

function revenueBySegment(customers: readonly CustomerMetric[]): JsonObject {
  const cents: Record<string, number> = {};
  for (const customer of customers) {
    cents[customer.segment] = (cents[customer.segment] ?? 0) + toCents(customer.total_revenue);
  }
  return Object.fromEntries(Object.entries(cents).map(([segment, total]) => [segment, fromCents(total)]));
}

function updateDashboard(systems: PipelineSystems) {
  return step(systems, async (ctx) => {
    const insights = upstream<JsonObject>(ctx, 'generate_insights', 'insights');
    const update = await systems.dashboard.call(ctx.signal, () => {
      const published = {
        dashboard_id: 'customer-analytics',
        widgets: Object.keys(insights).length,
        published_at: new Date().toISOString(),
      };
      systems.dashboards.push(published);
      return published;
    });
    ctx.publish('pipeline.milestone_reached', { milestone: 'dashboard_updated' });
    return {
      dashboard_update: { ...update },
      dashboard_metadata: { widgets_updated: update.widgets },
      updated_at: new Date().toISOString(),
    };
  });
}

const CHANNEL = /^[#@][\w-]+$/;

function sendNotifications(systems: PipelineSystems) {
  return step(systems, async (ctx) => {
    const channels = pipeline(ctx).notification_channels ?? DEFAULT_CHANNELS;
    const invalid = channels.find((channel) => !CHANNEL.test(channel));
    if (invalid) throw permanent('INVALID_CHANNEL', `Invalid notification channel ${invalid}`);
    const insights = upstream<JsonObject>(ctx, 'generate_insights', 'insights');
    const text = `Customer analytics updated: revenue ${String(insights.total_revenue)}, top product ${String(insights.top_product)}`;
    await systems.chat.call(ctx.signal, () => {
      for (const channel of channels) systems.messages.push({ channel, text });
    });
    return {
      notifications_sent: channels.length,
      notification_metadata: { channels },
      sent_at: new Date().toISOString(),
    };
  });
}

/** The pipeline's step handlers, bound to the systems they call. */
export function dataPipelineHandlers(systems: PipelineSystems): StepHandlerMap {
  return {
    'DataPipeline::ExtractOrders': extractOrders(systems),
    'DataPipeline::ExtractUsers': extractUsers(systems),
    'DataPipeline::ExtractProducts': extractProducts(systems),
    'DataPipeline::TransformCustomerMetrics': transformCustomerMetrics(systems),
    'DataPipeline::TransformProductMetrics': transformProductMetrics(systems),
    'DataPipeline::GenerateInsights': generateInsights(systems),
    'DataPipeline::UpdateDashboard': updateDashboard(systems),
    'DataPipeline::SendNotifications': sendNotifications(systems),
  };
}
