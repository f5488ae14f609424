-- statewise schema for SQLite, version 3: what every node must share (issue 10), kept in
-- the store rather than in a node's memory or data directory: activities, their pending
-- tasks, settings (the task token key), and each state machine's last version number.
--
-- Append-only: never edit a released migration; add 0004_... instead.

-- The highest version number a machine ever had, so a deleted version's number is never
-- handed out again (AWS: "Version numbers aren't reused for a given state machine").
-- On the machine's row, so a machine created anew after a delete counts from 1 again.
ALTER TABLE state_machines ADD COLUMN last_version INTEGER NOT NULL DEFAULT 0;

-- Machines published before this column existed: their numbers so far are the ones left.
UPDATE state_machines SET last_version = coalesce(
    (SELECT max(version) FROM versions WHERE versions.state_machine_arn = state_machines.arn),
    0
);

CREATE TABLE activities (
    arn                      TEXT PRIMARY KEY,
    name                     TEXT NOT NULL,
    creation_date            REAL NOT NULL,
    encryption_configuration TEXT  -- the API's JSON text, NULL when none was given
);

-- ListActivities pages by name with keyset pagination on (name, arn).
CREATE INDEX activities_by_name ON activities (name, arn);

-- Hot table: one row per attempt waiting for a worker; a worker's poll deletes it.
CREATE TABLE activity_tasks (
    -- The rowid under a name: arrival order, so a poll takes the oldest task. A new row
    -- gets max + 1, which stays above every row still pending even after deletes.
    seq               INTEGER PRIMARY KEY,
    id                TEXT NOT NULL UNIQUE,  -- the engine's work id of the attempt
    activity_arn      TEXT NOT NULL,
    execution_arn     TEXT NOT NULL,
    state_name        TEXT NOT NULL,
    frame_id          INTEGER NOT NULL,
    attempt           INTEGER NOT NULL,
    token             TEXT NOT NULL,
    input             TEXT NOT NULL,
    timeout_seconds   INTEGER NOT NULL,
    heartbeat_seconds INTEGER
);

-- A poll takes the first row of its activity in this order.
CREATE INDEX activity_tasks_by_activity ON activity_tasks (activity_arn, seq);

-- Small named values every node of a database must agree on (the task token key).
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
