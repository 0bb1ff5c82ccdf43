import { randomBytes } from 'node:crypto';
import { FaultQueue } from '../support/faults';

/**
 * The systems a checkout talks to, simulated in memory: a product catalogue with stock, a payment
 * gateway, an order store and an email service. Each keeps a log of its calls and takes injected
 * failures, so the example can show (and its tests can prove) what the workflow does when one of
 * them misbehaves. One instance per engine: nothing here is shared between instances.
 */

export interface Product {
  id: number;
  name: string;
  price: number;
  stock: number;
  active: boolean;
}

export const CATALOGUE: readonly Product[] = [
  { id: 1, name: 'Widget A', price: 29.99, stock: 10, active: true },
  { id: 2, name: 'Widget B', price: 49.99, stock: 10, active: true },
  { id: 3, name: 'Widget C (discontinued)', price: 19.99, stock: 4, active: false },
];

/** What a payment attempt can come back with (the gateway's own vocabulary). */
export type PaymentStatus =
  | 'succeeded'
  | 'card_declined'
  | 'insufficient_funds'
  | 'invalid_card'
  | 'rate_limited'
  | 'service_unavailable'
  | 'timeout';

/** Errors the gateway raises before it gets to a decision. */
export type GatewayErrorCode = 'NETWORK_ERROR' | 'TIMEOUT' | 'INVALID_REQUEST' | 'AUTHENTICATION_FAILED';

export class GatewayError extends Error {
  constructor(
    readonly code: GatewayErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

export interface ChargeRequest {
  amount: number;
  currency: string;
  method: string;
  token: string;
  /** The same key charges once, however often the step is retried. */
  idempotencyKey: string;
}

export interface ChargeResult {
  status: PaymentStatus;
  paymentId?: string;
  transactionId?: string;
  retryAfterSeconds?: number;
}

/** Tokens the gateway declines by themselves, so the demo can show a decline without injection. */
const DECLINING_TOKENS: Readonly<Record<string, PaymentStatus>> = {
  tok_card_declined: 'card_declined',
  tok_insufficient_funds: 'insufficient_funds',
  tok_invalid_card: 'invalid_card',
};

export class PaymentGateway {
  readonly calls: ChargeRequest[] = [];
  readonly faults = new FaultQueue<PaymentStatus | GatewayErrorCode>();
  private readonly charges = new Map<string, ChargeResult>();

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    this.calls.push(request);
    const earlier = this.charges.get(request.idempotencyKey);
    if (earlier) return earlier;
    const fault = this.faults.take();
    if (fault && isGatewayErrorCode(fault)) throw new GatewayError(fault, `Payment gateway error ${fault}`);
    const status = fault ?? DECLINING_TOKENS[request.token] ?? 'succeeded';
    if (status !== 'succeeded')
      return { status, ...(status === 'rate_limited' ? { retryAfterSeconds: 30 } : {}) };
    const result: ChargeResult = { status, paymentId: `pay_${hex(6)}`, transactionId: `txn_${hex(8)}` };
    this.charges.set(request.idempotencyKey, result);
    return result;
  }
}

function isGatewayErrorCode(value: string): value is GatewayErrorCode {
  return value === value.toUpperCase();
}

export type InventoryFault = 'busy' | 'reservation_failed';

export interface Reservation {
  reservationId: string;
  productId: number;
  quantity: number;
  previousStock: number;
  newStock: number;
  status: 'reserved' | 'failed';
}

export class InventoryService {
  readonly availabilityChecks: number[] = [];
  readonly reservationCalls: { orderId: string; productId: number; quantity: number }[] = [];
  readonly faults = new FaultQueue<InventoryFault>();
  private readonly products: Map<number, Product>;
  private readonly reservations = new Map<string, Reservation>();

  constructor(catalogue: readonly Product[] = CATALOGUE) {
    this.products = new Map(catalogue.map((product) => [product.id, { ...product }]));
  }

  product(productId: number): Product | undefined {
    const product = this.products.get(productId);
    return product && { ...product };
  }

  setStock(productId: number, stock: number): void {
    const product = this.products.get(productId);
    if (!product) throw new Error(`No product ${productId}`);
    product.stock = stock;
  }

  /** Throws when the service is busy (a transient failure). */
  isAvailable(productId: number, quantity: number): boolean {
    this.availabilityChecks.push(productId);
    if (this.faults.take() === 'busy') throw new Error('Inventory service is busy, try again');
    return (this.products.get(productId)?.stock ?? 0) >= quantity;
  }

  /** Reserving the same product for the same order twice returns the first reservation. */
  reserve(orderId: string, productId: number, quantity: number): Reservation {
    this.reservationCalls.push({ orderId, productId, quantity });
    const key = `${orderId}/${productId}`;
    const earlier = this.reservations.get(key);
    if (earlier) return earlier;
    const product = this.products.get(productId);
    const stock = product?.stock ?? 0;
    if (!product || stock < quantity || this.faults.take() === 'reservation_failed') {
      return {
        reservationId: '',
        productId,
        quantity,
        previousStock: stock,
        newStock: stock,
        status: 'failed',
      };
    }
    product.stock -= quantity;
    const reservation: Reservation = {
      reservationId: `res_${hex(6)}`,
      productId,
      quantity,
      previousStock: stock,
      newStock: product.stock,
      status: 'reserved',
    };
    this.reservations.set(key, reservation);
    return reservation;
  }
}

export interface OrderRecord {
  orderId: number;
  orderNumber: string;
  taskId: number;
  status: 'confirmed';
  paymentStatus: 'completed';
  customerEmail: string;
  subtotal: number;
  tax: number;
  shipping: number;
  total: number;
  paymentId: string;
  transactionId: string;
  workflowVersion: string;
  createdAt: Date;
}

export class OrderStore {
  readonly orders: OrderRecord[] = [];

  /** One order per checkout task, however often the step runs. */
  create(order: Omit<OrderRecord, 'orderId' | 'orderNumber' | 'createdAt'>): OrderRecord {
    const earlier = this.orders.find((existing) => existing.taskId === order.taskId);
    if (earlier) return earlier;
    const createdAt = new Date();
    const date = createdAt.toISOString().slice(0, 10).replaceAll('-', '');
    const record: OrderRecord = {
      ...order,
      orderId: 1000 + this.orders.length + 1,
      orderNumber: `ORD-${date}-${hex(4).toUpperCase()}`,
      createdAt,
    };
    this.orders.push(record);
    return record;
  }
}

export type DeliveryStatus = 'sent' | 'delivered' | 'rate_limited' | 'service_unavailable' | 'timeout';

export interface EmailMessage {
  to: string;
  customerName: string;
  orderNumber: string;
  orderId: number;
  totalAmount: number;
  estimatedDelivery: string;
  items: { name: string; quantity: number }[];
  orderUrl: string;
}

export interface EmailFault {
  status: Exclude<DeliveryStatus, 'sent' | 'delivered'>;
  /** What a `rate_limited` answer asks for; default 60 s, as the reference's email provider does. */
  retryAfterSeconds?: number;
}

export class EmailService {
  readonly sent: EmailMessage[] = [];
  readonly attempts: { to: string; at: number }[] = [];
  readonly faults = new FaultQueue<EmailFault>();

  async send(
    message: EmailMessage,
  ): Promise<{ status: DeliveryStatus; messageId?: string; retryAfterSeconds?: number }> {
    this.attempts.push({ to: message.to, at: Date.now() });
    const fault = this.faults.take();
    if (fault) {
      return fault.status === 'rate_limited'
        ? { status: fault.status, retryAfterSeconds: fault.retryAfterSeconds ?? 60 }
        : { status: fault.status };
    }
    this.sent.push(message);
    return { status: 'sent', messageId: `msg_${hex(8)}` };
  }
}

export class EcommerceServices {
  readonly payments = new PaymentGateway();
  readonly inventory = new InventoryService();
  readonly orders = new OrderStore();
  readonly email = new EmailService();
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}
