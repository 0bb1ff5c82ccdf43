import type { Queryable } from '../pool';

export interface AnnotationTypeRecord {
  annotationTypeId: number;
  name: string;
  description: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface TaskAnnotationRecord {
  taskAnnotationId: number;
  taskId: number;
  annotationTypeId: number;
  annotation: unknown;
  createdAt: Date;
  updatedAt: Date;
  annotationType: AnnotationTypeRecord;
}

export interface AnnotationMatch {
  /** Annotation type name. */
  annotationType: string;
  /** Top-level key of the annotation object, compared as text. */
  key: string;
  value: string;
  limit: number;
  offset: number;
}

const ANNOTATION_TYPE_COLUMNS = `at.annotation_type_id AS "annotationTypeId", at.name, at.description,
       at.created_at AS "createdAt", at.updated_at AS "updatedAt"`;

/** Every annotation type, by name. */
export async function findAnnotationTypes(db: Queryable): Promise<AnnotationTypeRecord[]> {
  const { rows } = await db.query<AnnotationTypeRecord>(
    `SELECT ${ANNOTATION_TYPE_COLUMNS} FROM tasker_annotation_types at ORDER BY at.name`,
  );
  return rows;
}

interface TaskAnnotationRow extends Omit<TaskAnnotationRecord, 'annotationType'> {
  typeName: string;
  typeDescription: string | null;
  typeCreatedAt: Date;
  typeUpdatedAt: Date;
}

/** The annotations of the given tasks, each with its type, in task then annotation order. */
export async function findAnnotationsOfTasks(
  db: Queryable,
  taskIds: readonly number[],
): Promise<TaskAnnotationRecord[]> {
  const { rows } = await db.query<TaskAnnotationRow>(
    `SELECT ta.task_annotation_id AS "taskAnnotationId", ta.task_id AS "taskId",
            ta.annotation_type_id AS "annotationTypeId", ta.annotation, ta.created_at AS "createdAt",
            ta.updated_at AS "updatedAt", at.name AS "typeName", at.description AS "typeDescription",
            at.created_at AS "typeCreatedAt", at.updated_at AS "typeUpdatedAt"
       FROM tasker_task_annotations ta
       JOIN tasker_annotation_types at ON at.annotation_type_id = ta.annotation_type_id
      WHERE ta.task_id = ANY ($1::bigint[])
      ORDER BY ta.task_id, ta.task_annotation_id`,
    [taskIds],
  );
  return rows.map(({ typeName, typeDescription, typeCreatedAt, typeUpdatedAt, ...annotation }) => ({
    ...annotation,
    annotationType: {
      annotationTypeId: annotation.annotationTypeId,
      name: typeName,
      description: typeDescription,
      createdAt: typeCreatedAt,
      updatedAt: typeUpdatedAt,
    },
  }));
}

/**
 * Ids of the tasks with an annotation of the given type whose `key` equals `value` (as text), newest
 * request first. Type, key and value are bind parameters: nothing the caller sends becomes SQL.
 */
export async function findTaskIdsByAnnotation(db: Queryable, match: AnnotationMatch): Promise<number[]> {
  const { rows } = await db.query<{ taskId: number }>(
    `SELECT t.task_id AS "taskId"
       FROM tasker_tasks t
      WHERE EXISTS (
              SELECT 1
                FROM tasker_task_annotations ta
                JOIN tasker_annotation_types at ON at.annotation_type_id = ta.annotation_type_id
               WHERE ta.task_id = t.task_id AND at.name = $1 AND ta.annotation ->> $2::text = $3::text)
      ORDER BY t.requested_at DESC, t.task_id
      LIMIT $4 OFFSET $5`,
    [match.annotationType, match.key, match.value, match.limit, match.offset],
  );
  return rows.map((row) => row.taskId);
}
