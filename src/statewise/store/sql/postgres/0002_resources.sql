-- statewise schema for PostgreSQL, version 2: state machines, versions, aliases and tags,
-- the tables of sqlite/0002_resources.sql.
--
-- Append-only: never edit a released migration; add 0003_... instead.
-- No foreign keys, as in SQLite: the store deletes dependants itself (delete_state_machine),
-- and tags may name any arn, with or without a row behind it.

CREATE TABLE state_machines (
    arn                      text COLLATE "C" PRIMARY KEY,  -- unqualified: no :version/:alias
    name                     text COLLATE "C" NOT NULL,
    type                     text NOT NULL,
    definition               text NOT NULL,
    role_arn                 text NOT NULL,
    creation_date            double precision NOT NULL,
    revision_id              text NOT NULL,
    status                   text NOT NULL,
    update_date              double precision,
    logging_configuration    text,
    tracing_configuration    text,
    encryption_configuration text
);

-- ListStateMachines pages by name with keyset pagination on (name, arn).
CREATE INDEX state_machines_by_name ON state_machines (name, arn);

CREATE TABLE versions (
    arn                      text COLLATE "C" PRIMARY KEY,  -- <state machine arn>:<version>
    state_machine_arn        text COLLATE "C" NOT NULL,
    version                  bigint NOT NULL,
    definition               text NOT NULL,
    role_arn                 text NOT NULL,
    type                     text NOT NULL,
    revision_id              text NOT NULL,
    creation_date            double precision NOT NULL,
    description              text,
    logging_configuration    text,
    tracing_configuration    text,
    encryption_configuration text
);

-- ListStateMachineVersions pages newest number first on (version, arn); the cascade in
-- delete_state_machine finds a machine's versions through it too.
CREATE INDEX versions_by_machine ON versions (state_machine_arn, version DESC, arn DESC);

CREATE TABLE aliases (
    arn               text COLLATE "C" PRIMARY KEY,  -- <state machine arn>:<alias name>
    state_machine_arn text COLLATE "C" NOT NULL,
    name              text NOT NULL,
    routing           text NOT NULL,     -- JSON text of routingConfiguration
    creation_date     double precision NOT NULL,
    description       text,
    update_date       double precision
);

-- ListStateMachineAliases pages newest first on (creation_date, arn), and the cascade.
CREATE INDEX aliases_by_machine ON aliases (state_machine_arn, creation_date DESC, arn DESC);

-- Tags of any arn (state machines, versions, aliases, executions, activities), with no
-- reference to the tagged row, so resources added later need no schema change.
CREATE TABLE tags (
    -- Insertion order, which get_tags returns. A sequence never hands out a value twice, so
    -- order survives deletes, and an overwrite (ON CONFLICT DO UPDATE) keeps its row and so
    -- its place, as a dict does.
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    resource_arn text COLLATE "C" NOT NULL,
    key          text COLLATE "C" NOT NULL,
    value        text NOT NULL,
    UNIQUE (resource_arn, key)
);

-- ListExecutions filtered by version or alias (API-20) without walking the machine's whole
-- history. Partial: most executions start through neither, and those rows cost nothing here.
CREATE INDEX executions_by_version
    ON executions (version_arn, start_date DESC, arn DESC) WHERE version_arn IS NOT NULL;

CREATE INDEX executions_by_alias
    ON executions (alias_arn, start_date DESC, arn DESC) WHERE alias_arn IS NOT NULL;
