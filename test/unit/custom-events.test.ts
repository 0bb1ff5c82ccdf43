import { describe, expect, it, vi } from 'vitest';
import { eventCatalog } from '../../src/events/catalog';
import { CustomEventCollector, declaredEventNames } from '../../src/events/custom-events';
import { PermanentError } from '../../src/handlers/step-errors';
import { defineTask } from '../../src/registry/define-task';

const FIELDS = { task_id: 1, step_id: 2, step_name: 'ship', event_type: 'custom' } as const;

const shippingInput = {
  name: 'shipping',
  customEvents: [{ name: 'order.received' }],
  stepTemplates: [
    { name: 'ship', handlerClass: 'Ship', customEvents: [{ name: 'order.shipped' }] },
    { name: 'bill', handlerClass: 'Bill', dependsOnStep: 'ship' },
  ],
};
const shipping = defineTask(shippingInput);

describe('custom events', () => {
  it("lets a step publish what its task or its own template declares, not a sibling's events", () => {
    const [ship, bill] = shipping.stepTemplates;
    expect(declaredEventNames(shipping, ship)).toEqual(new Set(['order.received', 'order.shipped']));
    expect(declaredEventNames(shipping, bill)).toEqual(new Set(['order.received']));
  });

  it('collects declared events with the engine fields, which win over the payload', () => {
    const collector = new CustomEventCollector(new Set(['order.shipped']), FIELDS, () => undefined);
    collector.publish('order.shipped', { parcel: 'P-1', task_id: 99 });
    expect(collector.close()).toEqual([{ name: 'order.shipped', payload: { parcel: 'P-1', ...FIELDS } }]);
  });

  it('rejects an undeclared name with a PermanentError', () => {
    const collector = new CustomEventCollector(new Set(['order.shipped']), FIELDS, () => undefined);
    expect(() => collector.publish('task.completed')).toThrow(PermanentError);
    expect(() => collector.publish('order.lost')).toThrow(
      expect.objectContaining({ errorCode: 'UNDECLARED_EVENT' }),
    );
  });

  it('drops and reports events published after the handler settled', () => {
    const onLate = vi.fn();
    const collector = new CustomEventCollector(new Set(['order.shipped']), FIELDS, onLate);
    const collected = collector.close();
    collector.publish('order.shipped');
    expect(collected).toEqual([]);
    expect(onLate).toHaveBeenCalledWith('order.shipped');
  });
});

describe('event catalog', () => {
  it('lists the system events by category, then custom events merged by name', () => {
    const v2 = defineTask({ ...shippingInput, version: '2.0.0' });
    const catalog = eventCatalog([shipping, v2]);
    expect(
      catalog
        .filter((entry) => entry.category !== 'custom')
        .every((e) => e.name.startsWith(`${e.category}.`)),
    ).toBe(true);
    expect(catalog.find((entry) => entry.name === 'order.received')?.firedBy).toEqual([
      'default.shipping@0.1.0',
      'default.shipping@2.0.0',
    ]);
    expect(catalog.find((entry) => entry.name === 'order.shipped')?.firedBy).toEqual([
      'default.shipping@0.1.0/ship',
      'default.shipping@2.0.0/ship',
    ]);
  });
});
