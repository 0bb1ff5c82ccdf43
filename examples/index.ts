import type { StepHandlerMap, TaskDefinition } from '../src';
import { dataPipelineExample } from './data_pipeline';
import { ecommerceExample } from './ecommerce';
import { microservicesExample } from './microservices';
import type { Example, ExampleSetup } from './support/example';

export { dataPipelineExample, ecommerceExample, microservicesExample };
export type { Example, ExampleSetup };

/** Every runnable example, by the name `npm run example -- <name>` takes. */
export const examples: readonly Example[] = [ecommerceExample, dataPipelineExample, microservicesExample];

export interface RunningExamples {
  tasks: TaskDefinition[];
  stepHandlers: StepHandlerMap;
  /** Stops the microservices' HTTP servers. */
  close(): Promise<void>;
}

/**
 * Sets up all examples for one engine (the demo server registers them all): their definitions,
 * their handlers, and the HTTP services the microservices example calls, started on free ports.
 */
export async function startExamples(): Promise<RunningExamples> {
  const setups: ExampleSetup[] = [];
  try {
    for (const example of examples) setups.push(await example.setUp());
  } catch (error) {
    await Promise.all(setups.map((setup) => setup.close()));
    throw error;
  }
  return {
    tasks: setups.flatMap((setup) => setup.tasks),
    stepHandlers: Object.assign({}, ...setups.map((setup) => setup.stepHandlers)) as StepHandlerMap,
    close: async () => {
      await Promise.all(setups.map((setup) => setup.close()));
    },
  };
}
