-- statewise schema for SQLite, version 2: state machines, versions, aliases and tags.
--
-- Append-only: never edit a released migration; add 0003_... instead.
-- No foreign keys: the connection does not enable them, and the store deletes dependants
-- itself (delete_state_machine), which is what every other backend has to do anyway.

CREATE TABLE state_machines (
    arn                      TEXT PRIMARY KEY,  -- unqualified: no :version or :alias suffix
    name                     TEXT NOT NULL,
    type                     TEXT NOT NULL,
    definition               TEXT NOT NULL,
    role_arn                 TEXT NOT NULL,
    creation_date            REAL NOT NULL,
    revision_id              TEXT NOT NULL,
    status                   TEXT NOT NULL,
    update_date              REAL,
    logging_configuration    TEXT,
    tracing_configuration    TEXT,
    encryption_configuration TEXT
);

-- ListStateMachines pages by name with keyset pagination on (name, arn).
CREATE INDEX state_machines_by_name ON state_machines (name, arn);

CREATE TABLE versions (
    arn                      TEXT PRIMARY KEY,  -- <state machine arn>:<version>
    state_machine_arn        TEXT NOT NULL,
    version                  INTEGER NOT NULL,
    definition               TEXT NOT NULL,
    role_arn                 TEXT NOT NULL,
    type                     TEXT NOT NULL,
    revision_id              TEXT NOT NULL,
    creation_date            REAL NOT NULL,
    description              TEXT,
    logging_configuration    TEXT,
    tracing_configuration    TEXT,
    encryption_configuration TEXT
);

-- ListStateMachineVersions pages newest number first on (version, arn); the cascade in
-- delete_state_machine finds a machine's versions through it too.
CREATE INDEX versions_by_machine ON versions (state_machine_arn, version DESC, arn DESC);

CREATE TABLE aliases (
    arn               TEXT PRIMARY KEY,  -- <state machine arn>:<alias name>
    state_machine_arn TEXT NOT NULL,
    name              TEXT NOT NULL,
    routing           TEXT NOT NULL,     -- JSON text of routingConfiguration
    creation_date     REAL NOT NULL,
    description       TEXT,
    update_date       REAL
);

-- ListStateMachineAliases pages newest first on (creation_date, arn), and the cascade.
CREATE INDEX aliases_by_machine ON aliases (state_machine_arn, creation_date DESC, arn DESC);

-- Tags of any arn (state machines, versions, aliases, executions, activities), with no
-- reference to the tagged row, so resources added later need no schema change.
CREATE TABLE tags (
    -- An explicit INTEGER PRIMARY KEY is the rowid under a name VACUUM must keep; it is the
    -- insertion order get_tags returns. New rows get max + 1, so order survives deletes, and
    -- an overwrite (ON CONFLICT DO UPDATE) keeps its row and so its place, as a dict does.
    seq          INTEGER PRIMARY KEY,
    resource_arn TEXT NOT NULL,
    key          TEXT NOT NULL,
    value        TEXT NOT NULL,
    UNIQUE (resource_arn, key)
);

-- ListExecutions filtered by version or alias (API-20) without walking the machine's whole
-- history. Partial: most executions start through neither, and those rows cost nothing here.
-- The version or alias arn names its machine, so state_machine_arn adds nothing to the key.
CREATE INDEX executions_by_version
    ON executions (version_arn, start_date DESC, arn DESC) WHERE version_arn IS NOT NULL;

CREATE INDEX executions_by_alias
    ON executions (alias_arn, start_date DESC, arn DESC) WHERE alias_arn IS NOT NULL;
