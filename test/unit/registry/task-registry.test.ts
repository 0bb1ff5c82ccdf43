import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../src/errors';
import type { StepHandlerMap } from '../../../src/handlers/step-handler';
import { defineTask, TaskRegistry } from '../../../src/registry';
import { definitionErrorFrom, orderTask, step } from './helpers';

const stepHandlers: StepHandlerMap = { Noop: () => null, Charge: async () => ({ charged: true }) };

function registryWith(...versions: string[]): TaskRegistry {
  const registry = new TaskRegistry({ stepHandlers });
  for (const version of versions) registry.register(defineTask(orderTask({ version })));
  return registry;
}

describe('TaskRegistry', () => {
  describe('register', () => {
    it('rejects a step whose handler class has no registered handler, listing the known ones', () => {
      const registry = new TaskRegistry({ stepHandlers });
      const definition = defineTask(
        orderTask({
          stepTemplates: [step('validate'), step('charge', { handlerClass: 'Payments::Charge' })],
        }),
      );

      const error = definitionErrorFrom(() => registry.register(definition));

      expect(error.message).toBe(
        "Task definition shop.place_order@1.0.0, step 'charge': " +
          "handler class 'Payments::Charge' has no registered step handler (registered handlers: Charge, Noop)",
      );
      expect(registry.has('place_order', { namespace: 'shop' })).toBe(false);
    });

    it('says so when no step handlers are registered at all', () => {
      const error = definitionErrorFrom(() => new TaskRegistry().register(defineTask(orderTask())));

      expect(error.step).toBe('validate');
      expect(error.message).toContain(
        "handler class 'Noop' has no registered step handler (no step handlers are registered)",
      );
    });

    it('does not mistake inherited object properties for handlers', () => {
      const definition = defineTask(
        orderTask({ stepTemplates: [step('validate', { handlerClass: 'toString' })] }),
      );

      expect(() => new TaskRegistry({ stepHandlers: {} }).register(definition)).toThrow(
        /'toString' has no registered/,
      );
    });

    it('rejects the same namespace, name and version twice', () => {
      const registry = registryWith('1.0.0');

      const error = definitionErrorFrom(() => registry.register(defineTask(orderTask({ version: '1.0.0' }))));

      expect(error.message).toBe(
        'Task definition shop.place_order@1.0.0: is already registered (pass { replace: true } to replace it)',
      );
    });

    it('replaces an existing version when asked', () => {
      const registry = registryWith('1.0.0');
      const replacement = defineTask(orderTask({ version: '1.0.0', description: 'second edition' }));

      registry.register(replacement, { replace: true });

      expect(registry.resolve('place_order', { namespace: 'shop', version: '1.0.0' })).toBe(replacement);
      expect(registry.versions('shop', 'place_order')).toEqual(['1.0.0']);
    });

    it('keeps registries of different engines apart', () => {
      const first = registryWith('1.0.0');
      const second = new TaskRegistry({ stepHandlers });

      expect(second.has('place_order', { namespace: 'shop' })).toBe(false);
      expect(first.has('place_order', { namespace: 'shop' })).toBe(true);
    });
  });

  describe('resolve', () => {
    it('finds an exact version', () => {
      const registry = registryWith('1.0.0', '2.0.0');

      expect(registry.resolve('place_order', { namespace: 'shop', version: '1.0.0' }).version).toBe('1.0.0');
    });

    it('looks in the default namespace unless told otherwise', () => {
      const registry = new TaskRegistry({ stepHandlers });
      registry.register(defineTask({ name: 'ping', stepTemplates: [step('send')] }));

      expect(registry.resolve('ping').namespaceName).toBe('default');
    });

    it('resolves latest by semver, so 1.10.0 beats 1.9.0', () => {
      const registry = registryWith('1.9.0', '1.10.0', '1.2.0');

      expect(registry.resolve('place_order', { namespace: 'shop' }).version).toBe('1.10.0');
      expect(registry.resolve('place_order', { namespace: 'shop', version: 'latest' }).version).toBe(
        '1.10.0',
      );
    });

    it('orders pre-releases below their release and above earlier releases', () => {
      const registry = registryWith('1.10.0', '2.0.0-beta.1', '2.0.0-alpha.3');
      expect(registry.resolve('place_order', { namespace: 'shop' }).version).toBe('2.0.0-beta.1');

      registry.register(defineTask(orderTask({ version: '2.0.0' })));
      expect(registry.resolve('place_order', { namespace: 'shop' }).version).toBe('2.0.0');
      expect(registry.versions('shop', 'place_order')).toEqual([
        '1.10.0',
        '2.0.0-alpha.3',
        '2.0.0-beta.1',
        '2.0.0',
      ]);
    });

    it('reports an unknown task as NotFoundError', () => {
      const registry = registryWith('1.0.0');

      expect(() => registry.resolve('foo', { version: '1.0.0' })).toThrow(
        new NotFoundError('No task definition default.foo@1.0.0'),
      );
      expect(() => registry.resolve('foo')).toThrow(new NotFoundError('No task definition default.foo'));
    });

    it('lists the available versions when only the version is missing', () => {
      const registry = registryWith('1.9.0', '1.10.0');

      const resolveMissing = () => registry.resolve('place_order', { namespace: 'shop', version: '3.0.0' });

      expect(resolveMissing).toThrow(NotFoundError);
      expect(resolveMissing).toThrow(
        'No task definition shop.place_order@3.0.0 (available versions: 1.9.0, 1.10.0)',
      );
    });
  });

  describe('listing', () => {
    function catalog(): TaskRegistry {
      const registry = registryWith('1.10.0', '1.9.0');
      registry.register(defineTask(orderTask({ name: 'refund', version: '0.2.0' })));
      registry.register(defineTask(orderTask({ namespaceName: 'billing', name: 'invoice' })));
      registry.register(
        defineTask({ name: 'ping', stepTemplates: [step('send', { handlerClass: 'Charge' })] }),
      );
      return registry;
    }

    it('lists every definition by namespace, name and ascending version', () => {
      expect(
        catalog()
          .list()
          .map((definition) => `${definition.namespaceName}.${definition.name}@${definition.version}`),
      ).toEqual([
        'billing.invoice@1.0.0',
        'default.ping@0.1.0',
        'shop.place_order@1.9.0',
        'shop.place_order@1.10.0',
        'shop.refund@0.2.0',
      ]);
    });

    it('counts distinct task names per namespace', () => {
      expect(catalog().namespaces()).toEqual([
        { name: 'billing', taskCount: 1 },
        { name: 'default', taskCount: 1 },
        { name: 'shop', taskCount: 2 },
      ]);
    });

    it('summarises the tasks of a namespace with their versions and latest version', () => {
      expect(catalog().listNamespace('shop')).toEqual([
        { namespace: 'shop', name: 'place_order', versions: ['1.9.0', '1.10.0'], latestVersion: '1.10.0' },
        { namespace: 'shop', name: 'refund', versions: ['0.2.0'], latestVersion: '0.2.0' },
      ]);
      expect(catalog().listNamespace('nowhere')).toEqual([]);
    });

    it('answers has() with the same rules as resolve()', () => {
      const registry = catalog();

      expect(registry.has('place_order', { namespace: 'shop' })).toBe(true);
      expect(registry.has('place_order', { namespace: 'shop', version: '1.9.0' })).toBe(true);
      expect(registry.has('place_order', { namespace: 'shop', version: '2.0.0' })).toBe(false);
      expect(registry.has('place_order')).toBe(false);
      expect(registry.versions('shop', 'unknown')).toEqual([]);
    });
  });
});
