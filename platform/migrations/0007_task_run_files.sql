-- Output files of task attempts (outputFiles, {{ outputDir }}): stored with
-- the execution they belong to and read back with read(uri). Bounded in size
-- by the executor (executor.output_files_max per attempt).
CREATE TABLE task_run_files (
    execution_id  text NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
    task_run_id   text NOT NULL,
    attempt       integer NOT NULL,
    name          text NOT NULL CHECK (name <> '' AND name NOT LIKE '/%'),
    namespace     text NOT NULL,
    domain        text NOT NULL,
    size          bigint NOT NULL CHECK (size >= 0),
    sha256        text NOT NULL,
    content       bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (task_run_id, attempt, name)
);
CREATE INDEX task_run_files_execution ON task_run_files (execution_id);

-- Executors read and write only their own domain's files, as every tenant table.
GRANT SELECT, INSERT, UPDATE ON task_run_files TO weft_executor;
ALTER TABLE task_run_files ENABLE ROW LEVEL SECURITY;
CREATE POLICY domain_isolation ON task_run_files TO weft_executor
    USING (domain = weft_current_domain()) WITH CHECK (domain = weft_current_domain());
