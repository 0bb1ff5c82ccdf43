import type { JsonObject, TaskRequest } from '../../src';
import { loadExampleDefinition } from '../support/definition-file';
import { runAndPrint, type Example, type ExampleSetup } from '../support/example';
import { dataPipelineHandlers } from './handlers';
import { PipelineSystems } from './systems';

export { dataPipelineHandlers, type CustomerMetric, type ProductMetric } from './handlers';
export * from './systems';

export function sampleAnalyticsContext(): JsonObject {
  return {
    date_range: { start_date: '2024-01-01', end_date: '2024-01-31' },
    notification_channels: ['#data-team'],
  };
}

export function customerAnalyticsRequest(context: JsonObject = sampleAnalyticsContext()): TaskRequest {
  return { name: 'customer_analytics', namespace: 'data_pipeline', version: '1.0.0', context };
}

export function customerAnalyticsDefinition() {
  return loadExampleDefinition('data_pipeline', 'customer_analytics.yaml');
}

export interface DataPipelineSetup extends ExampleSetup {
  systems: PipelineSystems;
}

export const dataPipelineExample: Example<DataPipelineSetup> = {
  name: 'data_pipeline',
  description:
    'data_pipeline.customer_analytics: parallel extracts fanning into transforms, with partial recovery',
  async setUp() {
    const systems = new PipelineSystems();
    return {
      systems,
      tasks: [customerAnalyticsDefinition()],
      stepHandlers: dataPipelineHandlers(systems),
      close: async () => undefined,
    };
  },
  async demonstrate(engine, { systems }, print) {
    print('1. The whole pipeline (the three extracts run in parallel):');
    await runAndPrint(engine, customerAnalyticsRequest(), print);

    print('2. The dashboard rejects our credentials: 6 steps complete, the dashboard step fails for good:');
    systems.dashboard.faults.inject({ kind: 'auth' });
    const failed = await runAndPrint(engine, customerAnalyticsRequest(), print);

    print('   After fixing the credentials, retry the task: only the failed step and its dependants run:');
    const runsBefore = systems.runs.filter((run) => run.taskId === failed.taskId).length;
    await engine.retryTask(failed.taskId);
    const retried = await engine.runUntilSettled(failed.taskId);
    const ranAgain = systems.runs.filter((run) => run.taskId === failed.taskId).slice(runsBefore);
    print(
      `   Task ${retried.taskId} is ${retried.status}; steps run by the retry: ${ranAgain.map((r) => r.step).join(', ')}`,
    );
  },
};
