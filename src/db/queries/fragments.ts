/** Joins a task (`t`) to its definition (`nt`) and namespace (`ns`). */
export const TASK_DEFINITION_JOINS = `
       JOIN tasker_named_tasks nt ON nt.named_task_id = t.named_task_id
       JOIN tasker_task_namespaces ns ON ns.task_namespace_id = nt.task_namespace_id`;
