-- Tasker schema: the reference's tables and column names, with deduplicated indexes,
-- timestamptz everywhere (the database clock is the only clock) and cascading deletes so
-- finished tasks can be purged.

CREATE TABLE tasker_task_namespaces (
  task_namespace_id serial PRIMARY KEY,
  name varchar(64) NOT NULL,
  description varchar(255),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT task_namespaces_name_unique UNIQUE (name)
);

CREATE TABLE tasker_named_tasks (
  named_task_id serial PRIMARY KEY,
  name varchar(64) NOT NULL,
  description varchar(255),
  task_namespace_id integer NOT NULL REFERENCES tasker_task_namespaces (task_namespace_id),
  version varchar(64) NOT NULL DEFAULT '0.1.0',
  configuration jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT named_tasks_namespace_name_version_unique UNIQUE (task_namespace_id, name, version)
);
CREATE INDEX named_tasks_name_index ON tasker_named_tasks (name);

CREATE TABLE tasker_dependent_systems (
  dependent_system_id serial PRIMARY KEY,
  name varchar(64) NOT NULL,
  description varchar(255),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT dependent_systems_name_unique UNIQUE (name)
);

CREATE TABLE tasker_named_steps (
  named_step_id serial PRIMARY KEY,
  dependent_system_id integer NOT NULL REFERENCES tasker_dependent_systems (dependent_system_id),
  name varchar(128) NOT NULL,
  description varchar(255),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT named_step_by_system_uniq UNIQUE (dependent_system_id, name)
);
CREATE INDEX named_steps_name_index ON tasker_named_steps (name);

CREATE TABLE tasker_named_tasks_named_steps (
  id serial PRIMARY KEY,
  named_task_id integer NOT NULL REFERENCES tasker_named_tasks (named_task_id),
  named_step_id integer NOT NULL REFERENCES tasker_named_steps (named_step_id),
  skippable boolean NOT NULL DEFAULT false,
  default_retryable boolean NOT NULL DEFAULT true,
  default_retry_limit integer NOT NULL DEFAULT 3,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT named_tasks_steps_ids_unique UNIQUE (named_task_id, named_step_id)
);
CREATE INDEX named_tasks_named_steps_named_step_id_index ON tasker_named_tasks_named_steps (named_step_id);

CREATE TABLE tasker_dependent_system_object_maps (
  dependent_system_object_map_id bigserial PRIMARY KEY,
  dependent_system_one_id integer NOT NULL REFERENCES tasker_dependent_systems (dependent_system_id),
  dependent_system_two_id integer NOT NULL REFERENCES tasker_dependent_systems (dependent_system_id),
  remote_id_one varchar(128) NOT NULL,
  remote_id_two varchar(128) NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT dependent_system_object_maps_unique
    UNIQUE (dependent_system_one_id, dependent_system_two_id, remote_id_one, remote_id_two)
);
CREATE INDEX dependent_system_object_maps_two_index ON tasker_dependent_system_object_maps (dependent_system_two_id);

CREATE TABLE tasker_tasks (
  task_id bigserial PRIMARY KEY,
  named_task_id integer NOT NULL REFERENCES tasker_named_tasks (named_task_id),
  complete boolean NOT NULL DEFAULT false,
  requested_at timestamptz NOT NULL DEFAULT now(),
  initiator varchar(128) DEFAULT 'unknown',
  source_system varchar(128) DEFAULT 'unknown',
  reason varchar(128) DEFAULT 'unknown',
  bypass_steps jsonb NOT NULL DEFAULT '[]'::jsonb,
  tags jsonb NOT NULL DEFAULT '[]'::jsonb,
  context jsonb NOT NULL DEFAULT '{}'::jsonb,
  identity_hash varchar(128) NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT tasks_context_is_object CHECK (jsonb_typeof(context) = 'object'),
  CONSTRAINT tasks_tags_is_array CHECK (jsonb_typeof(tags) = 'array')
);
CREATE UNIQUE INDEX index_tasks_on_identity_hash ON tasker_tasks (identity_hash);
CREATE INDEX tasks_named_task_id_index ON tasker_tasks (named_task_id);
CREATE INDEX tasks_requested_at_index ON tasker_tasks (requested_at);
CREATE INDEX tasks_source_system_index ON tasker_tasks (source_system);
CREATE INDEX tasks_created_at_index ON tasker_tasks (created_at);
CREATE INDEX tasks_context_gin_index ON tasker_tasks USING gin (context jsonb_path_ops);
CREATE INDEX tasks_tags_gin_index ON tasker_tasks USING gin (tags jsonb_path_ops);
CREATE INDEX idx_tasks_active_operations ON tasker_tasks (task_id) WHERE complete = false;

CREATE TABLE tasker_workflow_steps (
  workflow_step_id bigserial PRIMARY KEY,
  task_id bigint NOT NULL REFERENCES tasker_tasks (task_id) ON DELETE CASCADE,
  named_step_id integer NOT NULL REFERENCES tasker_named_steps (named_step_id),
  retryable boolean NOT NULL DEFAULT true,
  retry_limit integer NOT NULL DEFAULT 3,
  in_process boolean NOT NULL DEFAULT false,
  processed boolean NOT NULL DEFAULT false,
  processed_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  last_attempted_at timestamptz,
  backoff_request_seconds numeric(12, 3),
  inputs jsonb,
  results jsonb,
  skippable boolean NOT NULL DEFAULT false,
  timeout_seconds integer,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT workflow_steps_named_step_per_task_unique UNIQUE (task_id, named_step_id),
  CONSTRAINT workflow_steps_attempts_non_negative CHECK (attempts >= 0),
  CONSTRAINT workflow_steps_retry_limit_non_negative CHECK (retry_limit >= 0),
  CONSTRAINT workflow_steps_backoff_non_negative CHECK (backoff_request_seconds IS NULL OR backoff_request_seconds >= 0),
  CONSTRAINT workflow_steps_timeout_positive CHECK (timeout_seconds IS NULL OR timeout_seconds > 0)
);
CREATE INDEX workflow_steps_named_step_id_index ON tasker_workflow_steps (named_step_id);
CREATE INDEX idx_workflow_steps_task_readiness ON tasker_workflow_steps (task_id, workflow_step_id)
  WHERE processed = false;
CREATE INDEX workflow_steps_processed_at_index ON tasker_workflow_steps (processed_at);

CREATE TABLE tasker_workflow_step_edges (
  id bigserial PRIMARY KEY,
  from_step_id bigint NOT NULL REFERENCES tasker_workflow_steps (workflow_step_id) ON DELETE CASCADE,
  to_step_id bigint NOT NULL REFERENCES tasker_workflow_steps (workflow_step_id) ON DELETE CASCADE,
  name varchar(64) NOT NULL DEFAULT 'provides',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT workflow_step_edges_from_to_unique UNIQUE (from_step_id, to_step_id),
  CONSTRAINT workflow_step_edges_no_self_loop CHECK (from_step_id <> to_step_id)
);
CREATE INDEX workflow_step_edges_to_from_index ON tasker_workflow_step_edges (to_step_id, from_step_id);

CREATE TABLE tasker_task_transitions (
  id bigserial PRIMARY KEY,
  task_id bigint NOT NULL REFERENCES tasker_tasks (task_id) ON DELETE CASCADE,
  to_state varchar(32) NOT NULL,
  from_state varchar(32),
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  sort_key integer NOT NULL,
  most_recent boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT task_transitions_to_state_valid
    CHECK (to_state IN ('pending', 'in_progress', 'complete', 'error', 'cancelled', 'resolved_manually')),
  CONSTRAINT task_transitions_from_state_valid
    CHECK (from_state IS NULL OR from_state IN ('pending', 'in_progress', 'complete', 'error', 'cancelled', 'resolved_manually')),
  CONSTRAINT task_transitions_metadata_is_object CHECK (jsonb_typeof(metadata) = 'object')
);
CREATE UNIQUE INDEX index_task_transitions_parent_sort ON tasker_task_transitions (task_id, sort_key);
CREATE UNIQUE INDEX index_task_transitions_parent_most_recent ON tasker_task_transitions (task_id)
  WHERE most_recent;
CREATE INDEX task_transitions_current_state_index ON tasker_task_transitions (to_state, created_at)
  WHERE most_recent;

CREATE TABLE tasker_workflow_step_transitions (
  id bigserial PRIMARY KEY,
  workflow_step_id bigint NOT NULL REFERENCES tasker_workflow_steps (workflow_step_id) ON DELETE CASCADE,
  to_state varchar(32) NOT NULL,
  from_state varchar(32),
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  sort_key integer NOT NULL,
  most_recent boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT step_transitions_to_state_valid
    CHECK (to_state IN ('pending', 'in_progress', 'complete', 'error', 'cancelled', 'resolved_manually')),
  CONSTRAINT step_transitions_from_state_valid
    CHECK (from_state IS NULL OR from_state IN ('pending', 'in_progress', 'complete', 'error', 'cancelled', 'resolved_manually')),
  CONSTRAINT step_transitions_metadata_is_object CHECK (jsonb_typeof(metadata) = 'object')
);
CREATE UNIQUE INDEX index_step_transitions_parent_sort ON tasker_workflow_step_transitions (workflow_step_id, sort_key);
CREATE UNIQUE INDEX index_step_transitions_parent_most_recent ON tasker_workflow_step_transitions (workflow_step_id)
  WHERE most_recent;
CREATE INDEX step_transitions_current_state_index ON tasker_workflow_step_transitions (to_state, created_at)
  WHERE most_recent;

CREATE TABLE tasker_annotation_types (
  annotation_type_id serial PRIMARY KEY,
  name varchar(64) NOT NULL,
  description varchar(255),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT annotation_types_name_unique UNIQUE (name)
);

CREATE TABLE tasker_task_annotations (
  task_annotation_id bigserial PRIMARY KEY,
  task_id bigint NOT NULL REFERENCES tasker_tasks (task_id) ON DELETE CASCADE,
  annotation_type_id integer NOT NULL REFERENCES tasker_annotation_types (annotation_type_id),
  annotation jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX task_annotations_task_id_index ON tasker_task_annotations (task_id);
CREATE INDEX task_annotations_annotation_type_id_index ON tasker_task_annotations (annotation_type_id);
CREATE INDEX task_annotations_annotation_gin_index ON tasker_task_annotations USING gin (annotation jsonb_path_ops);

INSERT INTO tasker_task_namespaces (name, description) VALUES ('default', 'Default namespace');

-- One row per workflow step with its parents, children and shortest depth from a root. The depth
-- walks upwards from each step (capped at 50 levels like the reference), so selecting one task's
-- rows costs that task's size, not the whole table's.
CREATE VIEW tasker_step_dag_relationships AS
SELECT
  ws.workflow_step_id,
  ws.task_id,
  ws.named_step_id,
  COALESCE(parents.ids, '[]'::jsonb) AS parent_step_ids,
  COALESCE(children.ids, '[]'::jsonb) AS child_step_ids,
  COALESCE(parents.n, 0) AS parent_count,
  COALESCE(children.n, 0) AS child_count,
  COALESCE(parents.n, 0) = 0 AS is_root_step,
  COALESCE(children.n, 0) = 0 AS is_leaf_step,
  depth.min_depth_from_root
FROM tasker_workflow_steps ws
LEFT JOIN LATERAL (
  SELECT jsonb_agg(e.from_step_id ORDER BY e.from_step_id) AS ids, count(*) AS n
  FROM tasker_workflow_step_edges e WHERE e.to_step_id = ws.workflow_step_id
) parents ON true
LEFT JOIN LATERAL (
  SELECT jsonb_agg(e.to_step_id ORDER BY e.to_step_id) AS ids, count(*) AS n
  FROM tasker_workflow_step_edges e WHERE e.from_step_id = ws.workflow_step_id
) children ON true
LEFT JOIN LATERAL (
  WITH RECURSIVE ancestors(step_id, distance) AS (
    SELECT ws.workflow_step_id, 0
    UNION
    SELECT e.from_step_id, a.distance + 1
    FROM ancestors a
    JOIN tasker_workflow_step_edges e ON e.to_step_id = a.step_id
    WHERE a.distance < 50
  )
  SELECT min(a.distance) AS min_depth_from_root
  FROM ancestors a
  WHERE NOT EXISTS (SELECT 1 FROM tasker_workflow_step_edges e WHERE e.to_step_id = a.step_id)
) depth ON true;
