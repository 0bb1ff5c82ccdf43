import {
  PermanentError,
  RetryableError,
  type JsonObject,
  type StepContext,
  type StepHandlerMap,
} from '../../src';
import { fromCents, toCents } from '../support/faults';
import { GatewayError, type EcommerceServices, type PaymentStatus } from './services';

/** What `validate_cart` stores; later steps read it with `ctx.results('validate_cart')`. */
export interface ValidatedCart {
  validated_items: {
    product_id: number;
    name: string;
    price: number;
    quantity: number;
    line_total: number;
  }[];
  subtotal: number;
  tax: number;
  shipping: number;
  total: number;
  item_count: number;
  validated_at: string;
}

interface CartItem {
  product_id?: number;
  quantity?: number;
  price?: number;
}

interface CustomerInfo {
  id?: number;
  email?: string;
  name?: string;
  tier?: string;
}

interface PaymentInfo {
  method?: string;
  amount?: number;
  currency?: string;
  token?: string;
}

const TAX_RATE = 0.08;
const POUNDS_PER_UNIT = 0.5;

/** The task context; its JSON Schema has checked the shape, the handlers check the business rules. */
interface CheckoutContext {
  cart_items?: CartItem[];
  payment_info?: PaymentInfo;
  customer_info?: CustomerInfo;
  priority?: string;
}

function checkout(ctx: StepContext): CheckoutContext {
  return ctx.task.context as CheckoutContext;
}

function permanent(errorCode: string, message: string): PermanentError {
  return new PermanentError(message, { errorCode });
}

/** Results of an earlier step, or a permanent failure naming what is missing. */
function required<T>(ctx: StepContext, stepName: string, errorCode: string): T {
  const results = ctx.results(stepName);
  if (results === undefined || results === null) throw permanent(errorCode, `No results from ${stepName}`);
  return results as unknown as T;
}

function shippingCents(units: number): number {
  const pounds = units * POUNDS_PER_UNIT;
  if (pounds <= 2) return 599;
  if (pounds <= 10) return 999;
  return 1499;
}

/** Express and premium orders get different processing, as the reference's task hook decided. */
function processingOptions(ctx: StepContext): JsonObject {
  const { priority = 'standard', customer_info: customer = {} } = checkout(ctx);
  return {
    priority,
    ...(priority === 'express'
      ? { express_processing: { payment_timeout_ms: 15000, payment_retries: 1, email_retries: 2 } }
      : {}),
    ...(customer.tier === 'premium'
      ? { premium_processing: { priority: 'high', faster_processing: true } }
      : {}),
  };
}

function validateCart(services: EcommerceServices) {
  return (ctx: StepContext): ValidatedCart => {
    const items = checkout(ctx).cart_items ?? [];
    if (items.length === 0) throw permanent('MISSING_CART_ITEMS', 'The cart is empty');
    const validated = items.map((item) => {
      if (item.product_id === undefined)
        throw permanent('MISSING_PRODUCT_ID', 'A cart item has no product_id');
      if (!item.quantity || item.quantity <= 0) {
        throw permanent('INVALID_QUANTITY', `Invalid quantity for product ${item.product_id}`);
      }
      const product = services.inventory.product(item.product_id);
      if (!product) throw permanent('PRODUCT_NOT_FOUND', `Product ${item.product_id} not found`);
      if (!product.active) throw permanent('PRODUCT_INACTIVE', `${product.name} is no longer available`);
      if (product.stock < item.quantity) {
        throw new RetryableError(
          `Insufficient stock for ${product.name}. Available: ${product.stock}, Requested: ${item.quantity}`,
        );
      }
      const lineCents = toCents(product.price) * item.quantity;
      return {
        product_id: product.id,
        name: product.name,
        price: product.price,
        quantity: item.quantity,
        line_total: fromCents(lineCents),
      };
    });
    const subtotal = validated.reduce((sum, item) => sum + toCents(item.line_total), 0);
    const tax = Math.round(subtotal * TAX_RATE);
    const units = validated.reduce((sum, item) => sum + item.quantity, 0);
    const shipping = shippingCents(units);
    return {
      validated_items: validated,
      subtotal: fromCents(subtotal),
      tax: fromCents(tax),
      shipping: fromCents(shipping),
      total: fromCents(subtotal + tax + shipping),
      item_count: units,
      validated_at: new Date().toISOString(),
    };
  };
}

const DECLINED: readonly PaymentStatus[] = ['card_declined', 'insufficient_funds', 'invalid_card'];

function processPayment(services: EcommerceServices) {
  return async (ctx: StepContext): Promise<JsonObject> => {
    const payment = checkout(ctx).payment_info ?? {};
    if (!payment.method) throw permanent('MISSING_PAYMENT_METHOD', 'No payment method');
    if (!payment.token) throw permanent('MISSING_PAYMENT_TOKEN', 'No payment token');
    const cart = required<ValidatedCart>(ctx, 'validate_cart', 'MISSING_CART_TOTAL');
    if (toCents(payment.amount ?? -1) !== toCents(cart.total)) {
      throw permanent(
        'PAYMENT_AMOUNT_MISMATCH',
        `Payment amount ${payment.amount} does not match the cart total ${cart.total}`,
      );
    }
    const currency = payment.currency ?? 'USD';
    const result = await chargeOrThrow(services, {
      amount: cart.total,
      currency,
      method: payment.method,
      token: payment.token,
      idempotencyKey: `step_${ctx.step.workflowStepId}`,
    });
    if (result.status === 'succeeded') {
      return {
        payment_id: result.paymentId ?? null,
        amount_charged: cart.total,
        currency,
        payment_method_type: payment.method,
        transaction_id: result.transactionId ?? null,
        processed_at: new Date().toISOString(),
        status: 'completed',
      };
    }
    if (DECLINED.includes(result.status)) {
      throw permanent('PAYMENT_DECLINED', `Payment declined: ${result.status}`);
    }
    if (result.status === 'rate_limited') {
      throw new RetryableError('Payment gateway rate limit', {
        retryAfterSeconds: result.retryAfterSeconds ?? 30,
      });
    }
    throw new RetryableError(`Payment gateway ${result.status}`);
  };
}

async function chargeOrThrow(
  services: EcommerceServices,
  request: Parameters<EcommerceServices['payments']['charge']>[0],
) {
  try {
    return await services.payments.charge(request);
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    if (error.code === 'INVALID_REQUEST' || error.code === 'AUTHENTICATION_FAILED') {
      throw permanent(error.code, error.message);
    }
    throw new RetryableError(error.message);
  }
}

function updateInventory(services: EcommerceServices) {
  return (ctx: StepContext): JsonObject => {
    const cart = required<ValidatedCart>(ctx, 'validate_cart', 'MISSING_VALIDATED_ITEMS');
    const customer = checkout(ctx).customer_info;
    if (!customer) throw permanent('MISSING_CUSTOMER_INFO', 'No customer info');
    const orderId = `order_${ctx.task.taskId}`;
    const now = new Date().toISOString();
    const updated = cart.validated_items.map((item) => {
      if (!services.inventory.isAvailable(item.product_id, item.quantity)) {
        throw new RetryableError(`${item.name} is out of stock`);
      }
      const reservation = services.inventory.reserve(orderId, item.product_id, item.quantity);
      if (reservation.status !== 'reserved') {
        throw new RetryableError(`Could not reserve ${item.quantity} × ${item.name}`);
      }
      return { item, reservation };
    });
    return {
      updated_products: updated.map(({ item, reservation }) => ({
        product_id: item.product_id,
        name: item.name,
        previous_stock: reservation.previousStock,
        new_stock: reservation.newStock,
        quantity_reserved: reservation.quantity,
        reservation_id: reservation.reservationId,
      })),
      total_items_reserved: updated.reduce((sum, { item }) => sum + item.quantity, 0),
      inventory_changes: updated.map(({ item, reservation }) => ({
        product_id: item.product_id,
        change_type: 'reservation',
        quantity: -item.quantity,
        reason: 'order_checkout',
        timestamp: now,
        reservation_id: reservation.reservationId,
      })),
      updated_at: now,
    };
  };
}

interface PaymentResult {
  payment_id: string;
  transaction_id: string;
}

function createOrder(services: EcommerceServices) {
  return (ctx: StepContext): JsonObject => {
    const customer = checkout(ctx).customer_info;
    if (!customer?.email) throw permanent('MISSING_CUSTOMER_INFO', 'No customer email');
    const cart = required<ValidatedCart>(ctx, 'validate_cart', 'MISSING_CART_VALIDATION');
    const payment = required<PaymentResult>(ctx, 'process_payment', 'MISSING_PAYMENT_RESULT');
    required<JsonObject>(ctx, 'update_inventory', 'MISSING_INVENTORY_RESULT');
    const order = services.orders.create({
      taskId: ctx.task.taskId,
      status: 'confirmed',
      paymentStatus: 'completed',
      customerEmail: customer.email,
      subtotal: cart.subtotal,
      tax: cart.tax,
      shipping: cart.shipping,
      total: cart.total,
      paymentId: payment.payment_id,
      transactionId: payment.transaction_id,
      workflowVersion: ctx.task.version,
    });
    return {
      order_id: order.orderId,
      order_number: order.orderNumber,
      status: order.status,
      total_amount: order.total,
      customer_email: order.customerEmail,
      created_at: order.createdAt.toISOString(),
      estimated_delivery: estimatedDelivery(order.createdAt),
      processing: processingOptions(ctx),
    };
  };
}

/** Seven days after the order, as "Month DD, YYYY". */
function estimatedDelivery(orderedAt: Date): string {
  const delivery = new Date(orderedAt.getTime() + 7 * 24 * 3600 * 1000);
  return delivery.toLocaleDateString('en-US', {
    month: 'long',
    day: '2-digit',
    year: 'numeric',
    timeZone: 'UTC',
  });
}

interface OrderResult {
  order_id: number;
  order_number: string;
  total_amount: number;
  estimated_delivery: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function sendConfirmation(services: EcommerceServices) {
  return async (ctx: StepContext): Promise<JsonObject> => {
    const customer = checkout(ctx).customer_info;
    if (!customer?.email) throw permanent('MISSING_CUSTOMER_EMAIL', 'No customer email');
    if (!EMAIL.test(customer.email)) throw permanent('INVALID_EMAIL', `Invalid email ${customer.email}`);
    const order = required<OrderResult>(ctx, 'create_order', 'MISSING_ORDER_RESULT');
    const cart = required<ValidatedCart>(ctx, 'validate_cart', 'MISSING_CART_VALIDATION');
    const delivery = await services.email.send({
      to: customer.email,
      customerName: customer.name ?? '',
      orderNumber: order.order_number,
      orderId: order.order_id,
      totalAmount: order.total_amount,
      estimatedDelivery: order.estimated_delivery,
      items: cart.validated_items.map((item) => ({ name: item.name, quantity: item.quantity })),
      orderUrl: `https://example.com/orders/${order.order_id}`,
    });
    if (delivery.status === 'sent' || delivery.status === 'delivered') {
      return {
        email_sent: true,
        recipient: customer.email,
        email_type: 'order_confirmation',
        sent_at: new Date().toISOString(),
        message_id: delivery.messageId ?? null,
      };
    }
    if (delivery.status === 'rate_limited') {
      throw new RetryableError('Email service rate limit', {
        retryAfterSeconds: delivery.retryAfterSeconds ?? 60,
      });
    }
    throw new RetryableError(`Email service ${delivery.status}`);
  };
}

/** The checkout's step handlers, bound to the systems they call. */
export function ecommerceHandlers(services: EcommerceServices): StepHandlerMap {
  return {
    'Ecommerce::ValidateCart': validateCart(services),
    'Ecommerce::ProcessPayment': processPayment(services),
    'Ecommerce::UpdateInventory': updateInventory(services),
    'Ecommerce::CreateOrder': createOrder(services),
    'Ecommerce::SendConfirmation': sendConfirmation(services),
  };
}
