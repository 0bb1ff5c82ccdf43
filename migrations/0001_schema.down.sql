DROP VIEW IF EXISTS tasker_step_dag_relationships;
DROP TABLE IF EXISTS tasker_task_annotations, tasker_annotation_types, tasker_workflow_step_transitions,
  tasker_task_transitions, tasker_workflow_step_edges, tasker_workflow_steps, tasker_tasks,
  tasker_dependent_system_object_maps, tasker_named_tasks_named_steps, tasker_named_steps,
  tasker_dependent_systems, tasker_named_tasks, tasker_task_namespaces;
