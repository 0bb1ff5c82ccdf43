import { defineTask } from '../registry/define-task';
import type { StepHandlerMap } from '../handlers/step-handler';

/**
 * The workflow `npm start` creates: a small diamond (fetch the account, then send the welcome mail and
 * provision storage in parallel, then record the onboarding).
 */
export const quickstartTask = defineTask({
  name: 'welcome_user',
  namespaceName: 'quickstart',
  version: '1.0.0',
  description: 'Onboard a new user: look them up, greet them, give them storage, record it',
  schema: {
    type: 'object',
    required: ['user_id', 'email'],
    properties: { user_id: { type: 'integer', minimum: 1 }, email: { type: 'string', format: 'email' } },
  },
  stepTemplates: [
    { name: 'fetch_account', handlerClass: 'Quickstart::FetchAccount' },
    {
      name: 'send_welcome_email',
      handlerClass: 'Quickstart::SendWelcomeEmail',
      dependsOnStep: 'fetch_account',
    },
    {
      name: 'provision_storage',
      handlerClass: 'Quickstart::ProvisionStorage',
      dependsOnStep: 'fetch_account',
      skippable: true,
    },
    {
      name: 'record_onboarding',
      handlerClass: 'Quickstart::RecordOnboarding',
      dependsOnSteps: ['send_welcome_email', 'provision_storage'],
    },
  ],
});

export const quickstartHandlers: StepHandlerMap = {
  'Quickstart::FetchAccount': (ctx) => ({ userId: ctx.task.context.user_id, plan: 'free' }),
  'Quickstart::SendWelcomeEmail': (ctx) => ({ sentTo: ctx.task.context.email }),
  'Quickstart::ProvisionStorage': () => ({ quotaGb: 5 }),
  'Quickstart::RecordOnboarding': (ctx) => ({
    onboarded: true,
    plan: (ctx.results('fetch_account') as { plan?: string } | undefined)?.plan ?? 'unknown',
  }),
};

export const quickstartContext = { user_id: 42, email: 'ada@example.com' };
