-- statewise schema for PostgreSQL, version 4: the Lambda function registry, shared by every
-- node (before, each node kept its functions in its data directory).
--
-- Append-only: never edit a released migration; add 0005_... instead.

-- One row per function, written whole: configuration, versions, aliases, concurrency and
-- tags as the registry's JSON text (opaque here, as every payload the store keeps).
-- Writes are conditional on ``revision`` (compare-and-set), so two nodes changing one
-- function at once cannot lose either change silently.
CREATE TABLE functions (
    name     text COLLATE "C" PRIMARY KEY,
    revision text COLLATE "C" NOT NULL,
    record   text NOT NULL,
    updated  double precision NOT NULL
);

-- Deployment packages by the hex SHA-256 of the zip, shared by the functions and versions
-- that use it. A node unpacks one into its own code cache the first time it runs it.
CREATE TABLE function_code (
    digest text COLLATE "C" PRIMARY KEY,
    zip    bytea NOT NULL,
    stored double precision NOT NULL
);

-- Zips are compressed already: storing them out of line without another compression
-- pass saves the CPU of a futile attempt on every upload.
ALTER TABLE function_code ALTER COLUMN zip SET STORAGE EXTERNAL;
