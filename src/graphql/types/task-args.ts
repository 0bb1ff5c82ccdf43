import { ArgsType, Field, Int } from 'type-graphql';
import { DEFAULT_TASK_LIST_LIMIT } from '../../orchestration/task-queries';

const SORT_COLUMNS =
  'task_id, created_at, updated_at, requested_at, name, namespace, version, status, initiator, source_system, reason, complete';

@ArgsType()
export class TaskPageArgs {
  @Field(() => Int, {
    defaultValue: DEFAULT_TASK_LIST_LIMIT,
    description: 'At most 100 (larger values are clamped)',
  })
  limit!: number;
  @Field(() => Int, { defaultValue: 0 }) offset!: number;
  @Field(() => String, { defaultValue: 'requested_at', description: `One of ${SORT_COLUMNS}` })
  sortBy!: string;
  @Field(() => String, { defaultValue: 'desc', description: 'asc or desc' }) sortOrder!: string;
}

@ArgsType()
export class TaskListArgs extends TaskPageArgs {
  @Field(() => String, { nullable: true }) namespace?: string | null;
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => String, { nullable: true }) version?: string | null;
  @Field(() => String, { nullable: true, description: 'The current task state' }) status?: string | null;
}

@ArgsType()
export class TasksByStatusArgs extends TaskPageArgs {
  @Field(() => String, { description: 'The current task state' }) status!: string;
}

@ArgsType()
export class TasksByAnnotationArgs {
  @Field(() => String, { description: 'Annotation type name' }) annotationType!: string;
  @Field(() => String, { description: 'Top-level key of the annotation object' }) annotationKey!: string;
  @Field(() => String, { description: "Compared with the key's value as text" }) annotationValue!: string;
  @Field(() => Int, {
    defaultValue: DEFAULT_TASK_LIST_LIMIT,
    description: 'At most 100 (larger values are clamped)',
  })
  limit!: number;
  @Field(() => Int, { defaultValue: 0 }) offset!: number;
}
