import type { JsonObject, TaskRequest } from '../../src';
import { loadExampleDefinition } from '../support/definition-file';
import { runAndPrint, type Example, type ExampleSetup } from '../support/example';
import { ecommerceHandlers } from './handlers';
import { EcommerceServices } from './services';

export { ecommerceHandlers, type ValidatedCart } from './handlers';
export * from './services';

/** The reference's sample checkout: 2 × Widget A + 1 × Widget B = 109.97 + 8.80 tax + 5.99 shipping. */
export function sampleOrderContext(): JsonObject {
  return {
    customer_info: { id: 123, email: 'customer@example.com', tier: 'standard', name: 'John Doe' },
    cart_items: [
      { product_id: 1, quantity: 2, price: 29.99 },
      { product_id: 2, quantity: 1, price: 49.99 },
    ],
    payment_info: {
      method: 'credit_card',
      amount: 124.76,
      currency: 'USD',
      card_last_four: '1234',
      token: 'tok_visa_valid',
    },
    shipping_info: { address: '123 Main St', city: 'Anytown', state: 'NY', zip: '12345' },
  };
}

export function processOrderRequest(context: JsonObject = sampleOrderContext()): TaskRequest {
  return { name: 'process_order', namespace: 'ecommerce', version: '1.0.0', context };
}

export function processOrderDefinition() {
  return loadExampleDefinition('ecommerce', 'process_order.yaml');
}

export interface EcommerceSetup extends ExampleSetup {
  services: EcommerceServices;
}

export const ecommerceExample: Example<EcommerceSetup> = {
  name: 'ecommerce',
  description: 'ecommerce.process_order: a linear checkout with typed permanent and retryable failures',
  async setUp() {
    const services = new EcommerceServices();
    return {
      services,
      tasks: [processOrderDefinition()],
      stepHandlers: ecommerceHandlers(services),
      close: async () => undefined,
    };
  },
  async demonstrate(engine, { services }, print) {
    print('1. A checkout where every service works:');
    const task = await runAndPrint(engine, processOrderRequest(), print);
    const cart = task.steps.find((step) => step.name === 'validate_cart')?.results as JsonObject;
    const money = (key: string) => Number(cart[key]).toFixed(2);
    print(
      `   subtotal ${money('subtotal')} + tax ${money('tax')} + shipping ${money('shipping')} = ${money('total')}`,
    );

    print('2. The payment gateway times out once; the step is retried and the checkout completes:');
    services.payments.faults.inject('timeout');
    await runAndPrint(engine, processOrderRequest(), print);

    print('3. The card is declined: a permanent error, no retry, nothing reserved or emailed:');
    const declined = sampleOrderContext();
    (declined.payment_info as JsonObject).token = 'tok_card_declined';
    await runAndPrint(engine, processOrderRequest(declined), print);
  },
};
