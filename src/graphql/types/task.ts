import { Field, ID, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar, JSONScalar } from '../scalars';

@ObjectType('WorkflowStep', { description: 'One step of a task: a node of its DAG' })
export class WorkflowStepType {
  @Field(() => ID) workflowStepId!: number;
  @Field(() => Int) taskId!: number;
  @Field(() => String) name!: string;
  @Field(() => Int) namedStepId!: number;
  @Field(() => String, { description: 'pending, in_progress, complete, error, cancelled, resolved_manually' })
  status!: string;
  @Field(() => Int) attempts!: number;
  @Field(() => Int) retryLimit!: number;
  @Field(() => Boolean) retryable!: boolean;
  @Field(() => Boolean) skippable!: boolean;
  @Field(() => Boolean) inProcess!: boolean;
  @Field(() => Boolean) processed!: boolean;
  @Field(() => DateTimeScalar, { nullable: true }) processedAt!: Date | null;
  @Field(() => DateTimeScalar, { nullable: true }) lastAttemptedAt!: Date | null;
  @Field(() => Number, { nullable: true }) backoffRequestSeconds!: number | null;
  @Field(() => Int, { nullable: true }) timeoutSeconds!: number | null;
  @Field(() => JSONScalar, { nullable: true }) inputs!: unknown;
  @Field(() => JSONScalar, { nullable: true }) results!: unknown;
  @Field(() => [String], { description: 'Names of the parent steps' }) dependsOn!: string[];
  @Field(() => [ID]) parentStepIds!: number[];
  @Field(() => [ID]) childStepIds!: number[];
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => DateTimeScalar) updatedAt!: Date;

  @Field(() => Boolean, { description: 'True when the step has no parents' })
  get isRootStep(): boolean {
    return this.parentStepIds.length === 0;
  }

  @Field(() => Boolean, { description: 'True when no step depends on this one' })
  get isLeafStep(): boolean {
    return this.childStepIds.length === 0;
  }

  @Field(() => Int)
  get parentCount(): number {
    return this.parentStepIds.length;
  }

  @Field(() => Int)
  get childCount(): number {
    return this.childStepIds.length;
  }
}

@ObjectType('Task', { description: 'A workflow instance: a DAG of steps created from a task definition' })
export class TaskType {
  @Field(() => ID) taskId!: number;
  @Field(() => String) name!: string;
  @Field(() => String) namespace!: string;
  @Field(() => String) version!: string;
  @Field(() => String, { description: '<namespace>.<name>@<version>' }) fullName!: string;
  @Field(() => String, { description: 'pending, in_progress, complete, error, cancelled, resolved_manually' })
  status!: string;
  @Field(() => Boolean) complete!: boolean;
  @Field(() => String) initiator!: string;
  @Field(() => String) sourceSystem!: string;
  @Field(() => String) reason!: string;
  @Field(() => [String]) tags!: string[];
  @Field(() => [String]) bypassSteps!: string[];
  @Field(() => JSONScalar) context!: unknown;
  @Field(() => String) identityHash!: string;
  @Field(() => DateTimeScalar) requestedAt!: Date;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => DateTimeScalar) updatedAt!: Date;
  @Field(() => [WorkflowStepType], { description: 'The steps, in step id order' })
  workflowSteps!: WorkflowStepType[];
}
