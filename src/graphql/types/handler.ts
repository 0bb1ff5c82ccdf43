import { Field, Int, ObjectType } from 'type-graphql';
import { JSONScalar } from '../scalars';

@ObjectType('HandlerSummary', { description: 'A registered task definition name and its versions' })
export class HandlerSummaryType {
  @Field(() => String) name!: string;
  @Field(() => String) namespace!: string;
  @Field(() => [String], { description: 'Ascending semver order' }) versions!: string[];
  @Field(() => String) latestVersion!: string;
}

@ObjectType('HandlerNamespace', { description: 'A namespace with the task definitions registered in it' })
export class HandlerNamespaceType {
  @Field(() => String) name!: string;
  @Field(() => Int, { description: 'Distinct task names (all versions of a name count once)' })
  handlerCount!: number;
  @Field(() => [HandlerSummaryType]) handlers!: HandlerSummaryType[];
}

@ObjectType('CustomEvent', { description: 'A custom event a step may publish' })
export class CustomEventType {
  @Field(() => String) name!: string;
  @Field(() => String, { nullable: true }) description!: string | null;
}

@ObjectType('StepTemplate', { description: 'One step of a task definition' })
export class StepTemplateType {
  @Field(() => String) name!: string;
  @Field(() => String) description!: string;
  @Field(() => String) dependentSystem!: string;
  @Field(() => [String], { description: 'Names of the parent steps' }) dependsOnSteps!: string[];
  @Field(() => String) handlerClass!: string;
  @Field(() => JSONScalar, { nullable: true, description: 'The handler configuration' })
  configuration!: unknown;
  @Field(() => Boolean) defaultRetryable!: boolean;
  @Field(() => Int) defaultRetryLimit!: number;
  @Field(() => Boolean) skippable!: boolean;
  @Field(() => Int, { nullable: true }) timeoutSeconds!: number | null;
  @Field(() => [CustomEventType]) customEvents!: CustomEventType[];
}

@ObjectType('DependencyNode')
export class DependencyNodeType {
  @Field(() => String) id!: string;
  @Field(() => String) name!: string;
  @Field(() => String) handlerClass!: string;
}

@ObjectType('DependencyEdge', { description: 'The `to` step depends on the `from` step' })
export class DependencyEdgeType {
  @Field(() => String) from!: string;
  @Field(() => String) to!: string;
  @Field(() => String) type!: string;
}

@ObjectType('DependencyGraph', { description: "A task definition's DAG" })
export class DependencyGraphType {
  @Field(() => [DependencyNodeType]) nodes!: DependencyNodeType[];
  @Field(() => [DependencyEdgeType]) edges!: DependencyEdgeType[];
  @Field(() => [String], { description: 'Step names in an order that respects every dependency' })
  executionOrder!: string[];
  @Field(() => [String], { description: 'The longest chain of dependent steps, root first' })
  criticalPath!: string[];
}

@ObjectType('Handler', { description: 'A registered task definition' })
export class HandlerType {
  @Field(() => String) name!: string;
  @Field(() => String) namespace!: string;
  @Field(() => String) version!: string;
  @Field(() => String, { description: '<namespace>.<name>@<version>' }) fullName!: string;
  @Field(() => String) description!: string;
  @Field(() => JSONScalar, { nullable: true, description: 'JSON Schema of the task context' })
  contextSchema!: unknown;
  @Field(() => [StepTemplateType]) stepTemplates!: StepTemplateType[];
  @Field(() => DependencyGraphType) dependencyGraph!: DependencyGraphType;
}
