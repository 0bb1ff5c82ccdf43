import { Field, ID, InputType, Int } from 'type-graphql';
import { InvalidRequestError } from '../errors';
import { parseId } from './ids';
import { JSONScalar } from './scalars';

/** GraphQL lets a client send `null` for an optional field; Tasker treats it as omitted. */
export function omittedIfNull<T>(value: T | null | undefined): T | undefined {
  return value ?? undefined;
}

/**
 * A task or step id given to a mutation or subscription: a positive integer, else BAD_USER_INPUT
 * with the detail path `/<name>` (queries answer null instead).
 */
export function idArgument(value: string, name: string): number {
  const id = parseId(value);
  if (id === undefined) {
    throw new InvalidRequestError(`${name} must be a positive integer`, [
      { path: `/${name}`, message: 'must be a positive integer' },
    ]);
  }
  return id;
}

/** Relay "classic" mutations take one `input`; `clientMutationId` is accepted for such clients. */
@InputType()
abstract class MutationInput {
  @Field(() => String, {
    nullable: true,
    description: 'Accepted for Relay-classic clients; the mutation returns the entity itself',
  })
  clientMutationId?: string | null;
}

@InputType({ description: 'A task to create from a registered definition' })
export class CreateTaskInput extends MutationInput {
  @Field(() => String) name!: string;
  @Field(() => String, { nullable: true, description: "Default 'default'" }) namespace?: string | null;
  @Field(() => String, { nullable: true, description: 'Exact version; default the highest registered' })
  version?: string | null;
  @Field(() => JSONScalar, {
    description: "A JSON object (not a string), validated against the definition's schema",
  })
  context!: unknown;
  @Field(() => String, { nullable: true }) initiator?: string | null;
  @Field(() => String, { nullable: true }) sourceSystem?: string | null;
  @Field(() => String, { nullable: true }) reason?: string | null;
  @Field(() => [String], { nullable: true }) tags?: string[] | null;
  @Field(() => [String], { nullable: true, description: 'Names of skippable steps to skip' })
  bypassSteps?: string[] | null;
}

@InputType({ description: "Changes to a task's reason and tags" })
export class UpdateTaskInput extends MutationInput {
  @Field(() => ID) taskId!: string;
  @Field(() => String, { nullable: true }) reason?: string | null;
  @Field(() => [String], { nullable: true }) tags?: string[] | null;
}

@InputType({ description: 'The task to cancel' })
export class CancelTaskInput extends MutationInput {
  @Field(() => ID) taskId!: string;
}

@InputType({ description: 'The task, in error, to run again' })
export class RetryTaskInput extends MutationInput {
  @Field(() => ID) taskId!: string;
}

@InputType({ description: "Changes to a step's retry limit and inputs" })
export class UpdateStepInput extends MutationInput {
  @Field(() => ID) taskId!: string;
  @Field(() => ID) stepId!: string;
  @Field(() => Int, { nullable: true, description: 'Total attempts allowed (1–1000)' })
  retryLimit?: number | null;
  @Field(() => JSONScalar, { nullable: true, description: "A JSON object replacing the step's inputs" })
  inputs?: unknown;
}

@InputType({ description: 'The step to cancel' })
export class CancelStepInput extends MutationInput {
  @Field(() => ID) taskId!: string;
  @Field(() => ID) stepId!: string;
}

@InputType({ description: 'A pending or failed step to resolve by hand' })
export class ResolveStepInput extends MutationInput {
  @Field(() => ID) taskId!: string;
  @Field(() => ID) stepId!: string;
  @Field(() => JSONScalar, { nullable: true, description: "Stored as the step's results" })
  results?: unknown;
}
