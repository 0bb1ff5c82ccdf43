import { Field, ID, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar, JSONScalar } from '../scalars';

@ObjectType('NamedTask', { description: 'A task definition as recorded in the database' })
export class NamedTaskType {
  @Field(() => ID) namedTaskId!: number;
  @Field(() => String) name!: string;
  @Field(() => String) namespace!: string;
  @Field(() => String) version!: string;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => DateTimeScalar) updatedAt!: Date;
}

@ObjectType('DependentSystem', { description: 'An external system that steps talk to' })
export class DependentSystemType {
  @Field(() => ID) dependentSystemId!: number;
  @Field(() => String) name!: string;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => DateTimeScalar) updatedAt!: Date;
}

@ObjectType('NamedStep', { description: 'A step definition as recorded in the database' })
export class NamedStepType {
  @Field(() => ID) namedStepId!: number;
  @Field(() => Int) dependentSystemId!: number;
  @Field(() => String) name!: string;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => DateTimeScalar) updatedAt!: Date;
  @Field(() => DependentSystemType) dependentSystem!: DependentSystemType;
}

@ObjectType('AnnotationType', { description: 'A kind of task annotation' })
export class AnnotationTypeType {
  @Field(() => ID) annotationTypeId!: number;
  @Field(() => String) name!: string;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => DateTimeScalar) updatedAt!: Date;
}

@ObjectType('TaskAnnotation', { description: 'A JSON annotation attached to a task' })
export class TaskAnnotationType {
  @Field(() => ID) taskAnnotationId!: number;
  @Field(() => Int) taskId!: number;
  @Field(() => Int) annotationTypeId!: number;
  @Field(() => JSONScalar, { nullable: true }) annotation!: unknown;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => DateTimeScalar) updatedAt!: Date;
  @Field(() => AnnotationTypeType) annotationType!: AnnotationTypeType;
}

@ObjectType('TaskTransition', { description: 'One state change of a task (its audit trail)' })
export class TaskTransitionType {
  @Field(() => Int) taskId!: number;
  @Field(() => String, { nullable: true, description: 'Null for the first transition' })
  fromState!: string | null;
  @Field(() => String) toState!: string;
  @Field(() => JSONScalar) metadata!: unknown;
  @Field(() => Int, { description: 'Orders the transitions of one task' }) sortKey!: number;
  @Field(() => Boolean, { description: "True for the task's current state" }) mostRecent!: boolean;
  @Field(() => DateTimeScalar) createdAt!: Date;
}

@ObjectType('StepTransition', { description: 'One state change of a workflow step' })
export class StepTransitionType {
  @Field(() => Int) workflowStepId!: number;
  @Field(() => String, { nullable: true, description: 'Null for the first transition' })
  fromState!: string | null;
  @Field(() => String) toState!: string;
  @Field(() => JSONScalar) metadata!: unknown;
  @Field(() => Int, { description: 'Orders the transitions of one step' }) sortKey!: number;
  @Field(() => Boolean, { description: "True for the step's current state" }) mostRecent!: boolean;
  @Field(() => DateTimeScalar) createdAt!: Date;
}
