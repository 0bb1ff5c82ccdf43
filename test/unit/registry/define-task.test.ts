import { describe, expect, it } from 'vitest';
import { defineTask, type TaskDefinitionInput } from '../../../src/registry';
import { definitionErrorFrom, orderTask, step } from './helpers';

describe('defineTask', () => {
  describe('normalisation', () => {
    it('applies every default to a minimal definition', () => {
      const definition = defineTask({
        name: 'ping',
        stepTemplates: [{ name: 'send', handlerClass: 'Send' }],
      });

      expect(definition).toEqual({
        name: 'ping',
        namespaceName: 'default',
        version: '0.1.0',
        description: 'ping',
        defaultDependentSystem: 'unknown',
        schema: null,
        customEvents: [],
        stepTemplates: [
          {
            name: 'send',
            description: 'send',
            dependentSystem: 'unknown',
            handlerClass: 'Send',
            handlerConfig: null,
            dependsOn: [],
            defaultRetryable: true,
            defaultRetryLimit: 3,
            skippable: false,
            timeoutSeconds: null,
            customEvents: [],
          },
        ],
      });
    });

    it('keeps explicit values and gives steps the task default dependent system', () => {
      const definition = defineTask(
        orderTask({
          description: 'Places an order',
          defaultDependentSystem: 'shop_api',
          stepTemplates: [
            step('validate', { dependentSystem: 'cart_service', description: 'Checks the cart' }),
            step('charge', {
              dependsOnStep: 'validate',
              defaultRetryable: false,
              defaultRetryLimit: 1,
              skippable: true,
              timeoutSeconds: 30,
              handlerConfig: { gateway: 'stripe' },
              customEvents: [{ name: 'payment.charged', description: 'Money moved' }],
            }),
          ],
        }),
      );

      expect(definition.description).toBe('Places an order');
      expect(definition.defaultDependentSystem).toBe('shop_api');
      const [validate, charge] = definition.stepTemplates;
      expect(validate).toMatchObject({ dependentSystem: 'cart_service', description: 'Checks the cart' });
      expect(charge).toMatchObject({
        dependentSystem: 'shop_api',
        defaultRetryable: false,
        defaultRetryLimit: 1,
        skippable: true,
        timeoutSeconds: 30,
        handlerConfig: { gateway: 'stripe' },
        customEvents: [{ name: 'payment.charged', description: 'Money moved' }],
      });
    });

    it('merges dependsOnStep and dependsOnSteps into dependsOn without duplicates or nulls', () => {
      const definition = defineTask({
        name: 'fan_in',
        stepTemplates: [
          step('a'),
          step('b'),
          step('c', { dependsOnStep: 'b', dependsOnSteps: ['a', 'b', 'a'] }),
          step('d', { dependsOnStep: null, dependsOnSteps: ['c'] }),
        ],
      });

      expect(definition.stepTemplates.map((template) => template.dependsOn)).toEqual([
        [],
        [],
        ['b', 'a'],
        ['c'],
      ]);
    });

    it('returns a deep-frozen copy that later changes to the input do not reach', () => {
      const input = orderTask({ schema: { type: 'object', properties: { id: { type: 'integer' } } } });
      input.stepTemplates[0].handlerConfig = { retries: { max: 2 } };
      const definition = defineTask(input);

      input.stepTemplates[0].handlerConfig = { retries: { max: 9 } };
      (input.schema as { type: string }).type = 'array';

      expect(definition.stepTemplates[0].handlerConfig).toEqual({ retries: { max: 2 } });
      expect(definition.schema).toMatchObject({ type: 'object' });
      expect(Object.isFrozen(definition)).toBe(true);
      expect(Object.isFrozen(definition.stepTemplates[0].handlerConfig?.retries)).toBe(true);
      expect(() => (definition.stepTemplates as unknown[]).push({})).toThrow(TypeError);
    });
  });

  describe('shape errors', () => {
    it('lists every wrong type with its JSON pointer and names the task', () => {
      const error = definitionErrorFrom(() =>
        defineTask({
          ...orderTask(),
          description: 42,
          stepTemplates: [
            step('validate', { defaultRetryLimit: 'x' as unknown as number, skippable: 'no' as never }),
          ],
        } as unknown as TaskDefinitionInput),
      );

      expect(error.code).toBe('INVALID_DEFINITION');
      expect(error.task).toBe('shop.place_order@1.0.0');
      expect(error.message).toContain('Task definition shop.place_order@1.0.0');
      expect(error.message).toContain('/description must be string');
      expect(error.message).toContain("/stepTemplates/0/defaultRetryLimit (step 'validate') must be integer");
      expect(error.message).toContain("/stepTemplates/0/skippable (step 'validate') must be boolean");
      expect(error.step).toBeUndefined();
    });

    it('names the step when every shape problem is inside it', () => {
      const error = definitionErrorFrom(() =>
        defineTask(orderTask({ stepTemplates: [step('validate', { timeoutSeconds: 1.5 })] })),
      );

      expect(error.step).toBe('validate');
      expect(error.message).toBe(
        "Task definition shop.place_order@1.0.0, step 'validate': invalid definition: " +
          '/stepTemplates/0/timeoutSeconds must be integer,null',
      );
    });

    it('rejects a definition without stepTemplates', () => {
      const error = definitionErrorFrom(() => defineTask({ name: 'empty' } as TaskDefinitionInput));

      expect(error.message).toBe(
        "Task definition default.empty@0.1.0: invalid definition: / must have required property 'stepTemplates'",
      );
    });

    it('rejects a definition with no steps at all', () => {
      const error = definitionErrorFrom(() => defineTask({ name: 'empty', stepTemplates: [] }));

      expect(error.message).toContain('/stepTemplates must NOT have fewer than 1 items');
    });

    it('rejects unknown keys at the top level and in a template', () => {
      const error = definitionErrorFrom(() =>
        defineTask({
          ...orderTask(),
          retries: 3,
          stepTemplates: [{ ...step('validate'), handler: 'Oops' }],
        } as unknown as TaskDefinitionInput),
      );

      expect(error.message).toContain("/ must NOT have additional property 'retries'");
      expect(error.message).toContain(
        "/stepTemplates/0 (step 'validate') must NOT have additional property 'handler'",
      );
    });

    it('reports a step without handlerClass', () => {
      const error = definitionErrorFrom(() =>
        defineTask(orderTask({ stepTemplates: [{ name: 'validate' } as never] })),
      );

      expect(error.step).toBe('validate');
      expect(error.message).toContain("/stepTemplates/0 must have required property 'handlerClass'");
    });

    it('labels a task that is not even an object', () => {
      const error = definitionErrorFrom(() => defineTask('nope' as unknown as TaskDefinitionInput));

      expect(error.message).toBe(
        'Task definition default.<unnamed>@0.1.0: invalid definition: / must be object',
      );
    });
  });

  describe('dependency graph errors', () => {
    it('rejects a dependency on an unknown step, naming the task and the step', () => {
      const error = definitionErrorFrom(() =>
        defineTask(
          orderTask({
            stepTemplates: [step('validate'), step('ship', { dependsOnSteps: ['validate', 'pack'] })],
          }),
        ),
      );

      expect(error.message).toBe(
        "Task definition shop.place_order@1.0.0, step 'ship': depends on unknown step 'pack' (steps: validate, ship)",
      );
      expect(error.step).toBe('ship');
    });

    it('rejects a step that depends on itself', () => {
      const error = definitionErrorFrom(() =>
        defineTask(orderTask({ stepTemplates: [step('validate', { dependsOnStep: 'validate' })] })),
      );

      expect(error.message).toBe(
        "Task definition shop.place_order@1.0.0, step 'validate': depends on itself",
      );
    });

    it('rejects duplicate step names', () => {
      const error = definitionErrorFrom(() =>
        defineTask(orderTask({ stepTemplates: [step('validate'), step('charge'), step('validate')] })),
      );

      expect(error.message).toBe(
        "Task definition shop.place_order@1.0.0, step 'validate': duplicate step name (declared 2 times)",
      );
    });

    it('rejects a cycle and shows its path from the step declared first', () => {
      const error = definitionErrorFrom(() =>
        defineTask(
          orderTask({
            stepTemplates: [
              step('start'),
              step('b', { dependsOnSteps: ['start', 'a'] }),
              step('a', { dependsOnStep: 'c' }),
              step('c', { dependsOnStep: 'b' }),
            ],
          }),
        ),
      );

      expect(error.message).toBe(
        "Task definition shop.place_order@1.0.0, step 'b': dependency cycle: b -> c -> a -> b",
      );
    });
  });

  describe('identity rules', () => {
    it.each(['1.0', 'v1.0.0', '1.0.0+build.7', 'latest', ''])('rejects version %j', (version) => {
      const error = definitionErrorFrom(() => defineTask(orderTask({ version })));

      expect(error.message).toContain(`Task definition shop.place_order@${version}: version '${version}'`);
      expect(error.message).toContain('is not a semantic version');
    });

    it('accepts pre-release versions', () => {
      expect(defineTask(orderTask({ version: '2.0.0-beta.1' })).version).toBe('2.0.0-beta.1');
    });

    it.each([
      ['', 'name must not be empty'],
      ['a'.repeat(65), 'is longer than 64 characters'],
      ['place order', 'may only contain letters, digits and the characters _ . / -'],
    ])('rejects task name %j', (name, expected) => {
      const error = definitionErrorFrom(() => defineTask(orderTask({ name })));

      expect(error.message).toContain(expected);
    });

    it('accepts task names with slashes, dots and dashes', () => {
      expect(defineTask(orderTask({ name: 'api_task/integration-example.v1' })).name).toBe(
        'api_task/integration-example.v1',
      );
    });

    it.each([
      ['', 'namespaceName must not be empty'],
      ['n'.repeat(65), 'is longer than 64 characters'],
      ['shop!', 'may only contain'],
    ])('rejects namespace %j', (namespaceName, expected) => {
      const error = definitionErrorFrom(() => defineTask(orderTask({ namespaceName })));

      expect(error.message).toContain(expected);
    });
  });

  describe('step rules', () => {
    it('rejects a step name longer than 128 characters', () => {
      const name = 's'.repeat(129);
      const error = definitionErrorFrom(() => defineTask(orderTask({ stepTemplates: [step(name)] })));

      expect(error.step).toBe(name);
      expect(error.message).toContain('step name is longer than 128 characters');
    });

    it.each([0, -1])('rejects defaultRetryLimit %d because it counts total attempts', (defaultRetryLimit) => {
      const error = definitionErrorFrom(() =>
        defineTask(orderTask({ stepTemplates: [step('charge', { defaultRetryLimit })] })),
      );

      expect(error.message).toBe(
        "Task definition shop.place_order@1.0.0, step 'charge': " +
          `defaultRetryLimit must be an integer >= 1 (it counts total attempts), got ${defaultRetryLimit}`,
      );
    });

    it('accepts a retry limit of 1 (a single attempt)', () => {
      const definition = defineTask(orderTask({ stepTemplates: [step('charge', { defaultRetryLimit: 1 })] }));

      expect(definition.stepTemplates[0].defaultRetryLimit).toBe(1);
    });

    it.each([0, -30])('rejects timeoutSeconds %d', (timeoutSeconds) => {
      const error = definitionErrorFrom(() =>
        defineTask(orderTask({ stepTemplates: [step('charge', { timeoutSeconds })] })),
      );

      expect(error.step).toBe('charge');
      expect(error.message).toContain(`timeoutSeconds must be a positive integer, got ${timeoutSeconds}`);
    });

    it('rejects an empty handlerClass', () => {
      const error = definitionErrorFrom(() =>
        defineTask(orderTask({ stepTemplates: [step('charge', { handlerClass: ' ' })] })),
      );

      expect(error.message).toBe(
        "Task definition shop.place_order@1.0.0, step 'charge': handlerClass must not be empty",
      );
    });
  });

  describe('custom events', () => {
    it('rejects a step event name without a namespace', () => {
      const error = definitionErrorFrom(() =>
        defineTask(orderTask({ stepTemplates: [step('charge', { customEvents: [{ name: 'charged' }] })] })),
      );

      expect(error.message).toBe(
        "Task definition shop.place_order@1.0.0, step 'charge': " +
          "custom event 'charged' must contain a namespace (e.g. 'order.fulfilled')",
      );
    });

    it.each(['task.done', 'Step.retried', 'WORKFLOW.x', 'observability.y', 'test.event'])(
      'rejects the reserved namespace in %j',
      (name) => {
        const error = definitionErrorFrom(() =>
          defineTask(orderTask({ stepTemplates: [step('charge', { customEvents: [{ name }] })] })),
        );

        expect(error.step).toBe('charge');
        expect(error.message).toContain(`namespace '${name.split('.')[0]}' is reserved for system events`);
      },
    );

    it('rejects empty segments in a task-level event name', () => {
      const error = definitionErrorFrom(() =>
        defineTask(orderTask({ customEvents: [{ name: 'order..shipped' }] })),
      );

      expect(error.step).toBeUndefined();
      expect(error.message).toContain(
        "custom event 'order..shipped' must be dot-separated non-empty segments",
      );
    });

    it('accepts namespaced event names whose first segment only starts like a reserved one', () => {
      const definition = defineTask(
        orderTask({ customEvents: [{ name: 'tasks.archived' }, { name: 'order.fulfilled' }] }),
      );

      expect(definition.customEvents.map((event) => event.name)).toEqual([
        'tasks.archived',
        'order.fulfilled',
      ]);
    });
  });

  describe('context schema', () => {
    it('rejects a schema that is not valid JSON Schema', () => {
      const error = definitionErrorFrom(() =>
        defineTask(orderTask({ schema: { type: 'object', properties: { id: { type: 'integr' } } } })),
      );

      expect(error.message).toMatch(
        /^Task definition shop\.place_order@1\.0\.0: schema is not a valid JSON Schema: schema is invalid: /,
      );
    });

    it('rejects a schema with an unresolvable $ref', () => {
      const error = definitionErrorFrom(() =>
        defineTask(orderTask({ schema: { $ref: '#/definitions/missing' } })),
      );

      expect(error.message).toContain('schema is not a valid JSON Schema');
    });

    it('accepts formats and keywords Ajv does not know', () => {
      const schema = {
        type: 'object',
        required: ['email'],
        properties: { email: { type: 'string', format: 'email', example: 'a@b.c' } },
      };

      expect(defineTask(orderTask({ schema })).schema).toEqual(schema);
    });
  });
});
