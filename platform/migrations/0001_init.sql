-- Weft core schema. Every tenant row carries its namespace and the domain that
-- owns it, so per-domain row-level security can be layered on top.

CREATE TABLE domains (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9-]{0,62}$'),
    public_key  bytea,               -- X25519 key secrets are sealed to
    db_role     text UNIQUE,         -- PostgreSQL role of the domain's executors
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT 'system'
);

-- Namespace prefixes owned by a domain ("sales" owns "sales.reporting").
CREATE TABLE namespaces (
    prefix      text PRIMARY KEY CHECK (prefix ~ '^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$'),
    domain      text NOT NULL REFERENCES domains(name) ON DELETE RESTRICT,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- The domain owning a namespace: the longest registered prefix wins.
CREATE FUNCTION weft_domain_of(ns text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT domain FROM namespaces
     WHERE ns = prefix OR ns LIKE prefix || '.%'
     ORDER BY length(prefix) DESC LIMIT 1
$$;

CREATE TABLE flows (
    namespace     text NOT NULL,
    id            text NOT NULL,
    domain        text NOT NULL REFERENCES domains(name),
    revision      integer NOT NULL DEFAULT 1,
    source        text NOT NULL,           -- YAML as written by the user
    source_sha256 bytea NOT NULL,          -- new revision only when the source changes
    model         jsonb NOT NULL,          -- validated model, for the executor
    disabled      boolean NOT NULL DEFAULT false,
    deleted       boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    updated_by    text NOT NULL,
    PRIMARY KEY (namespace, id)
);
CREATE INDEX flows_domain ON flows (domain);

CREATE TABLE flow_revisions (
    namespace   text NOT NULL,
    id          text NOT NULL,
    revision    integer NOT NULL,
    domain      text NOT NULL REFERENCES domains(name),
    source      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL,
    PRIMARY KEY (namespace, id, revision)
);

CREATE TABLE executions (
    id              text PRIMARY KEY,
    namespace       text NOT NULL,
    flow_id         text NOT NULL,
    flow_revision   integer NOT NULL,
    domain          text NOT NULL REFERENCES domains(name),
    state           text NOT NULL DEFAULT 'CREATED' CHECK (state IN ('CREATED', 'QUEUED',
                    'RUNNING', 'PAUSED', 'SUCCESS', 'WARNING', 'FAILED', 'KILLING', 'KILLED',
                    'CANCELLED', 'RETRYING', 'SKIPPED')),
    state_history   jsonb NOT NULL DEFAULT '[]',  -- [{state, date}]
    inputs          jsonb NOT NULL DEFAULT '{}',
    outputs         jsonb,
    labels          jsonb NOT NULL DEFAULT '{}',
    variables       jsonb,
    trigger         jsonb,                         -- what started it: type, id, body...
    started_by      text NOT NULL,                 -- principal: user:, sa:, schedule:, webhook:, trigger:
    parent_id       text REFERENCES executions(id),
    original_id     text,                          -- first execution of a restart chain
    claimed_by      text,                          -- executor instance orchestrating it
    lease_until     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    ended_at        timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX executions_claim ON executions (domain, state, created_at)
    WHERE state IN ('CREATED', 'QUEUED', 'RUNNING', 'KILLING', 'RETRYING', 'PAUSED');
CREATE INDEX executions_flow ON executions (namespace, flow_id, created_at DESC);

CREATE TABLE task_runs (
    id                  text PRIMARY KEY,
    execution_id        text NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
    namespace           text NOT NULL,
    domain              text NOT NULL REFERENCES domains(name),
    task_id             text NOT NULL,
    parent_task_run_id  text REFERENCES task_runs(id) ON DELETE CASCADE,
    value               text,                     -- ForEach iteration value
    iteration           integer,
    state               text NOT NULL DEFAULT 'CREATED',
    attempt             integer NOT NULL DEFAULT 0,
    attempts            jsonb NOT NULL DEFAULT '[]',  -- [{state, startDate, endDate, ...}]
    outputs             jsonb,
    claimed_by          text,
    lease_until         timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    started_at          timestamptz,
    ended_at            timestamptz,
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX task_runs_execution ON task_runs (execution_id);
CREATE INDEX task_runs_claim ON task_runs (domain, state, lease_until)
    WHERE state IN ('CREATED', 'RUNNING', 'RETRYING');

CREATE TABLE logs (
    id            bigserial PRIMARY KEY,
    execution_id  text NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
    task_run_id   text,
    attempt       integer,
    namespace     text NOT NULL,
    domain        text NOT NULL,
    ts            timestamptz NOT NULL DEFAULT now(),
    level         text NOT NULL DEFAULT 'INFO' CHECK (level IN ('TRACE', 'DEBUG', 'INFO',
                  'WARN', 'ERROR')),
    line          text NOT NULL
);
CREATE INDEX logs_execution ON logs (execution_id, id);

-- Built-in roles, bound to a subject on a namespace prefix. Platform roles
-- (platform-admin, auditor) are global: their namespace is ''.
CREATE TABLE role_bindings (
    id          bigserial PRIMARY KEY,
    subject     text NOT NULL CHECK (subject ~ '^(user|group|sa):.+'),
    role        text NOT NULL CHECK (role IN ('viewer', 'launcher', 'developer', 'admin',
                'platform-admin', 'auditor')),
    namespace   text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL,
    UNIQUE (subject, role, namespace),
    CHECK ((role IN ('platform-admin', 'auditor')) = (namespace = ''))
);
CREATE INDEX role_bindings_subject ON role_bindings (subject);

CREATE TABLE service_accounts (
    id           bigserial PRIMARY KEY,
    namespace    text NOT NULL,
    name         text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    domain       text REFERENCES domains(name),   -- NULL for platform accounts
    description  text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text NOT NULL,
    UNIQUE (namespace, name)
);

-- Tokens are stored only as SHA-256 hashes; the token itself is shown once.
CREATE TABLE sa_tokens (
    id            bigserial PRIMARY KEY,
    account_id    bigint NOT NULL REFERENCES service_accounts(id) ON DELETE CASCADE,
    token_hash    bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    description   text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    text NOT NULL,
    expires_at    timestamptz,
    revoked_at    timestamptz,
    last_used_at  timestamptz
);

-- Secret values sealed to the owning domain's public key; the gateway can
-- write them but nothing outside that domain's executor can read them.
CREATE TABLE secrets (
    namespace   text NOT NULL,
    key         text NOT NULL CHECK (key ~ '^[A-Za-z_][A-Za-z0-9_.-]{0,127}$'),
    domain      text NOT NULL REFERENCES domains(name),
    version     integer NOT NULL,
    sealed      bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL,
    PRIMARY KEY (namespace, key)
);

-- A producer namespace shares completion events (and optionally subflow
-- calls) of some of its flows with a consumer namespace prefix.
CREATE TABLE grants (
    id            bigserial PRIMARY KEY,
    namespace     text NOT NULL,                 -- producer namespace (prefix)
    domain        text NOT NULL REFERENCES domains(name),
    flows         text[] NOT NULL,               -- flow ids or '*'
    to_namespace  text NOT NULL,                 -- consumer namespace prefix
    to_domain     text REFERENCES domains(name),
    events        text[] NOT NULL,               -- terminal states shared
    subflow       boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    text NOT NULL,
    revoked_at    timestamptz
);

-- Governance policies on namespace prefixes (merged top-down, tighten only).
CREATE TABLE policies (
    namespace   text PRIMARY KEY,
    policy      jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL
);

-- Append-only, hash-chained audit log of every mutation and every denial.
CREATE TABLE audit_log (
    seq        bigserial PRIMARY KEY,
    ts         timestamptz NOT NULL DEFAULT now(),
    actor      text NOT NULL,
    action     text NOT NULL,
    namespace  text NOT NULL DEFAULT '',
    target     text NOT NULL DEFAULT '',
    result     text NOT NULL CHECK (result IN ('allowed', 'denied', 'failed')),
    reason     text NOT NULL DEFAULT '',
    details    jsonb NOT NULL DEFAULT '{}',
    prev_hash  bytea,
    hash       bytea
);

-- Completion events of executions, matched by the consumers' triggers.
CREATE TABLE events (
    id            bigserial PRIMARY KEY,
    namespace     text NOT NULL,          -- producer namespace
    flow_id       text NOT NULL,
    domain        text NOT NULL REFERENCES domains(name),
    execution_id  text NOT NULL,
    state         text NOT NULL,
    outputs       jsonb NOT NULL DEFAULT '{}',  -- the flow's declared outputs only
    labels        jsonb NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_producer ON events (namespace, flow_id, id);

-- Trigger state: schedules (last tick fired) and flow-trigger status.
CREATE TABLE trigger_state (
    namespace    text NOT NULL,
    flow_id      text NOT NULL,
    trigger_id   text NOT NULL,
    domain       text NOT NULL REFERENCES domains(name),
    last_fired   timestamptz,
    next_fire    timestamptz,
    status       text NOT NULL DEFAULT '',
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (namespace, flow_id, trigger_id)
);

-- Executor instances and their heartbeats (leases lapse when beats stop).
CREATE TABLE executors (
    id            text PRIMARY KEY,
    domain        text NOT NULL REFERENCES domains(name),
    hostname      text NOT NULL,
    pid           integer NOT NULL,
    slots         integer NOT NULL,
    started_at    timestamptz NOT NULL DEFAULT now(),
    heartbeat_at  timestamptz NOT NULL DEFAULT now(),
    stopped_at    timestamptz
);
