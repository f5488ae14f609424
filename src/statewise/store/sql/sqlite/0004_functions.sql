-- statewise schema for SQLite, version 4: the Lambda function registry, in the store
-- rather than in JSON files of the data directory (which a first start imports).
--
-- Append-only: never edit a released migration; add 0005_... instead.

-- One row per function, written whole: configuration, versions, aliases, concurrency and
-- tags as the registry's JSON text. Writes are conditional on ``revision``
-- (compare-and-set), as on PostgreSQL where several nodes write.
CREATE TABLE functions (
    name     TEXT PRIMARY KEY,
    revision TEXT NOT NULL,
    record   TEXT NOT NULL,
    updated  REAL NOT NULL
);

-- Deployment packages by the hex SHA-256 of the zip, shared by the functions and versions
-- that use it; unpacked into the node's code cache on first use.
CREATE TABLE function_code (
    digest TEXT PRIMARY KEY,
    zip    BLOB NOT NULL,
    stored REAL NOT NULL
);
