-- statewise schema for PostgreSQL, version 3: the tables of sqlite/0003_shared_state.sql,
-- what every node must share (issue 10): activities, their pending tasks, settings (the
-- task token key), and each state machine's last version number.
--
-- Append-only: never edit a released migration; add 0004_... instead.

-- The highest version number a machine ever had, so a deleted version's number is never
-- handed out again (AWS: "Version numbers aren't reused for a given state machine").
-- Publishing increments it with an UPDATE, whose row lock makes concurrent publishers of
-- one machine, on any nodes, take turns. A constant default adds the column without
-- rewriting the table.
ALTER TABLE state_machines ADD COLUMN last_version bigint NOT NULL DEFAULT 0;

-- Machines published before this column existed: their numbers so far are the ones left.
UPDATE state_machines SET last_version = coalesce(
    (SELECT max(version) FROM versions WHERE versions.state_machine_arn = state_machines.arn),
    0
);

CREATE TABLE activities (
    arn                      text COLLATE "C" PRIMARY KEY,
    name                     text COLLATE "C" NOT NULL,
    creation_date            double precision NOT NULL,
    encryption_configuration text  -- the API's JSON text, NULL when none was given
);

-- ListActivities pages by name with keyset pagination on (name, arn).
CREATE INDEX activities_by_name ON activities (name, arn);

-- Hot table: one row per attempt waiting for a worker; a worker's poll deletes it, so
-- eager autovacuum keeps dead rows from piling up under the polls' index scans.
CREATE TABLE activity_tasks (
    -- Arrival order, so a poll takes the oldest task; a sequence never goes back.
    seq               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                text COLLATE "C" NOT NULL UNIQUE,  -- the engine's work id of the attempt
    activity_arn      text COLLATE "C" NOT NULL,
    execution_arn     text NOT NULL,
    state_name        text NOT NULL,
    frame_id          bigint NOT NULL,
    attempt           bigint NOT NULL,
    token             text NOT NULL,
    input             text NOT NULL,
    timeout_seconds   bigint NOT NULL,
    heartbeat_seconds bigint
) WITH (
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_analyze_scale_factor = 0.02
);

-- A poll takes the first row of its activity in this order (FOR UPDATE SKIP LOCKED).
CREATE INDEX activity_tasks_by_activity ON activity_tasks (activity_arn, seq);

-- Small named values every node of a database must agree on (the task token key).
CREATE TABLE settings (
    name  text COLLATE "C" PRIMARY KEY,
    value text NOT NULL
);
