-- Retention: executors delete their domain's ended executions past the
-- `retention` policy of their namespace (executor/retention.c) and the
-- PurgeExecutions / PurgeLogs tasks delete what a flow asks for, in small
-- batches. The audit log is never touched: no executor may delete from it.

-- The executor role may delete its own domain's execution rows; the
-- domain_isolation policies of 0003 and 0007 (FOR ALL) bound every DELETE to
-- rows of weft_current_domain(), as they bound reads and writes.
GRANT DELETE ON executions, task_runs, logs, task_run_files TO weft_executor;

-- A child execution outlives its parent's purge: the link is cleared rather
-- than the parent's deletion refused (a subflow in another domain has its
-- own retention, and a parent must not be kept forever by a child).
ALTER TABLE executions DROP CONSTRAINT executions_parent_id_fkey,
    ADD CONSTRAINT executions_parent_id_fkey FOREIGN KEY (parent_id)
        REFERENCES executions(id) ON DELETE SET NULL;

-- The oldest ended executions of a domain, read by every retention batch:
-- without it each batch would scan every execution the domain ever ran.
CREATE INDEX executions_ended ON executions (domain, ended_at) WHERE ended_at IS NOT NULL;
-- Deleting a row checks the rows referencing it: without these, every
-- deleted execution or task run costs a scan of the whole table.
CREATE INDEX executions_parent ON executions (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX task_runs_parent ON task_runs (parent_task_run_id)
    WHERE parent_task_run_id IS NOT NULL;
