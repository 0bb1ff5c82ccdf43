import { DEFAULT_NAMESPACE, DEFAULT_VERSION } from './types';

export interface TaskIdentity {
  namespaceName: string;
  name: string;
  version: string;
}

/** How errors and logs name a task definition: `namespace.name@version`. */
export function taskLabel({ namespaceName, name, version }: TaskIdentity): string {
  return `${namespaceName}.${name}@${version}`;
}

/** The label of a definition that may not have passed validation yet (missing or mistyped fields). */
export function taskLabelOfUnvalidated(namespaceName: unknown, name: unknown, version: unknown): string {
  return taskLabel({
    namespaceName: typeof namespaceName === 'string' ? namespaceName : DEFAULT_NAMESPACE,
    name: typeof name === 'string' && name !== '' ? name : '<unnamed>',
    version: typeof version === 'string' ? version : DEFAULT_VERSION,
  });
}
