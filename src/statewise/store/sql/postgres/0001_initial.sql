-- statewise schema for PostgreSQL, version 1: the tables of sqlite/0001_initial.sql.
--
-- Append-only: never edit a released migration; add 0003_... instead.
-- Every key and sort column is COLLATE "C": listings and claims order by code point, as the
-- memory and SQLite stores do, whatever locale the database was created with (and "C"
-- compares bytes, which is also the cheapest collation for a B-tree).
-- Times are epoch seconds in double precision (a Python float, round-tripped exactly);
-- JSON payloads are text, because the store never parses them (jsonb would parse and
-- re-render them, changing key order and whitespace).

CREATE TABLE definitions (
    id   text COLLATE "C" PRIMARY KEY,  -- content hash, so one row per distinct definition
    text text NOT NULL
);

CREATE TABLE executions (
    arn               text COLLATE "C" PRIMARY KEY,
    state_machine_arn text COLLATE "C" NOT NULL,
    name              text NOT NULL,
    definition_id     text NOT NULL,
    status            text COLLATE "C" NOT NULL,
    input             text NOT NULL,
    start_date        double precision NOT NULL,
    role_arn          text NOT NULL,
    stop_date         double precision,
    output            text,
    error             text,
    cause             text,
    version_arn       text COLLATE "C",
    alias_arn         text COLLATE "C",
    trace_header      text,
    last_event_id     bigint NOT NULL
);

-- ListExecutions pages newest first with keyset pagination on (start_date, arn).
CREATE INDEX executions_by_machine
    ON executions (state_machine_arn, start_date DESC, arn DESC);

-- ListExecutions with a status filter, and CountExecutions' GROUP BY status, without
-- scanning a machine's whole history (millions of SUCCEEDED rows, a few RUNNING ones).
CREATE INDEX executions_by_machine_status
    ON executions (state_machine_arn, status, start_date DESC, arn DESC);

-- Hot table: one row per live scope; rows are deleted when the execution closes. Free space
-- on each page (fillfactor) lets an upsert that changes no key be a HOT update, and eager
-- autovacuum keeps the table as small as its live rows while executions churn through it.
CREATE TABLE frames (
    execution_arn text COLLATE "C" NOT NULL,
    id            bigint NOT NULL,
    parent_id     bigint,
    idx           bigint NOT NULL,  -- FrameRecord.index ("index" is an SQL keyword)
    state         text NOT NULL,
    input         text NOT NULL,
    status        text NOT NULL,
    data          text NOT NULL,
    PRIMARY KEY (execution_arn, id)
) WITH (
    fillfactor = 70,
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_analyze_scale_factor = 0.02
);

-- Append-only history: it grows forever, but no claim or commit scans it.
CREATE TABLE events (
    execution_arn     text COLLATE "C" NOT NULL,
    id                bigint NOT NULL,
    type              text NOT NULL,
    timestamp         double precision NOT NULL,
    previous_event_id bigint NOT NULL,
    details           text,
    PRIMARY KEY (execution_arn, id)
);

-- Hot table: pending work only; a finished item is deleted in the same commit. A claim only
-- sets the lease columns, which no index covers, so with free page space it is a HOT update
-- (no index writes); eager autovacuum keeps dead rows from piling up under the claim scan.
CREATE TABLE work (
    id            text COLLATE "C" PRIMARY KEY,
    execution_arn text COLLATE "C" NOT NULL,
    frame_id      bigint NOT NULL,
    kind          text NOT NULL,
    due_at        double precision NOT NULL,
    payload       text NOT NULL,
    lease_owner   text COLLATE "C",
    lease_until   double precision
) WITH (
    fillfactor = 50,
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_analyze_scale_factor = 0.02
);

-- claim_due and next_due walk this in order; id breaks ties so every backend agrees.
CREATE INDEX work_by_due ON work (due_at, id);

-- closed_executions, get_work and execution_arns_with_work look work up by execution.
CREATE INDEX work_by_execution ON work (execution_arn);

-- Raises an error from inside a statement: commit writes a whole batch as one statement, and
-- a check that fails at its end (an update of an unknown execution) must undo all of it.
CREATE FUNCTION statewise_abort(message text) RETURNS bigint
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = message;
END
$$;
