import type { JsonObject, TaskRequest } from '../../src';
import { loadExampleDefinition } from '../support/definition-file';
import { runAndPrint, type Example, type ExampleSetup } from '../support/example';
import { userRegistrationHandlers } from './handlers';
import { Microservices } from './services';

export * from './handlers';
export * from './services';

export function sampleRegistrationContext(): JsonObject {
  return {
    user_info: { email: 'newuser@example.com', name: 'Jane Smith', plan: 'pro', source: 'web' },
    billing_info: {
      payment_method: 'card',
      billing_address: { street: '1 Market St', city: 'San Francisco', state: 'CA', zip: '94105' },
    },
    preferences: { marketing_emails: true, product_updates: true, newsletter: false },
  };
}

export function userRegistrationRequest(context: JsonObject = sampleRegistrationContext()): TaskRequest {
  return { name: 'user_registration', namespace: 'microservices', version: '1.0.0', context };
}

/** The definition, with its `${…_SERVICE_URL}` references pointing at these running services. */
export function userRegistrationDefinition(services: Microservices) {
  return loadExampleDefinition('microservices', 'user_registration.yaml', {
    env: { ...process.env, ...services.urls() },
  });
}

export interface MicroservicesSetup extends ExampleSetup {
  services: Microservices;
}

export const microservicesExample: Example<MicroservicesSetup> = {
  name: 'microservices',
  description:
    'microservices.user_registration: a diamond of HTTP calls with 409 idempotency and Retry-After',
  async setUp() {
    const services = await new Microservices().start();
    return {
      services,
      tasks: [userRegistrationDefinition(services)],
      stepHandlers: userRegistrationHandlers,
      close: () => services.close(),
    };
  },
  async demonstrate(engine, { services }, print) {
    for (const service of services.all) print(`   ${service.name} service listening on ${service.url}`);
    print('1. A registration where every service answers:');
    await runAndPrint(engine, userRegistrationRequest(), print);

    print('2. The same registration again: every create answers 409, which counts as done:');
    const again = await runAndPrint(engine, userRegistrationRequest(), print);
    for (const step of again.steps.slice(0, 3)) {
      print(`   ${step.name}: ${String((step.results as { body?: JsonObject } | null)?.body?.status)}`);
    }

    print(
      '3. Billing is down (503, Retry-After: 1) twice; preferences go ahead, billing waits and recovers:',
    );
    services.billing.inject('POST /billing_profiles', { status: 503, retryAfter: 1 }, 2);
    const context = sampleRegistrationContext();
    (context.user_info as JsonObject).email = 'second.user@example.com';
    await runAndPrint(engine, userRegistrationRequest(context), print);
  },
};
