-- Contrib sweep, part 1: schemas, roles and the extensions that need a particular
-- version, schema or owner. Runs before the test installs every other available extension.
-- Roles are cluster-wide: the test's cluster is its own.
CREATE ROLE contrib_owner LOGIN;
CREATE ROLE contrib_reader;
CREATE SCHEMA ext;
COMMENT ON SCHEMA ext IS 'extension members live here';
CREATE SCHEMA app;
GRANT CREATE ON DATABASE contrib TO contrib_owner;
GRANT USAGE, CREATE ON SCHEMA ext, app TO contrib_owner;

-- An extension left at an older version, one updated step by step, one moved.
CREATE EXTENSION hstore SCHEMA ext VERSION '1.4';
ALTER EXTENSION hstore UPDATE TO '1.6';
CREATE EXTENSION cube SCHEMA ext VERSION '1.2';
CREATE EXTENSION earthdistance SCHEMA ext;
CREATE EXTENSION ltree VERSION '1.1';
ALTER EXTENSION ltree SET SCHEMA ext;

-- Trusted extensions created by a non-superuser (they get that owner).
SET ROLE contrib_owner;
CREATE EXTENSION citext SCHEMA app;
CREATE EXTENSION pg_trgm SCHEMA app;
RESET ROLE;

-- Default privileges in force while the remaining extensions install into public: their
-- members start with these grants (pg_init_privs records them).
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO contrib_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO contrib_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE ON TYPES FROM PUBLIC;
