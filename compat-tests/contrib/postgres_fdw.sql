-- Contrib sweep, part 3: a postgres_fdw loop-back server, user
-- mappings, a foreign table, privileges on the wrapper and the server.
CREATE SERVER loopback FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (dbname 'contrib', fetch_size '100');
CREATE USER MAPPING FOR postgres SERVER loopback OPTIONS (user 'postgres');
CREATE USER MAPPING FOR PUBLIC SERVER loopback;
CREATE FOREIGN TABLE app.remote_things (id integer, name text)
    SERVER loopback OPTIONS (schema_name 'app', table_name 'things');
GRANT SELECT ON app.remote_things TO contrib_reader;
COMMENT ON SERVER loopback IS 'the same database';
GRANT USAGE ON FOREIGN SERVER loopback TO contrib_reader;
GRANT USAGE ON FOREIGN DATA WRAPPER postgres_fdw TO contrib_reader;
