-- Contrib sweep, part 5: objects built on the extensions the other parts leave without
-- dependents (dblink, uuid-ossp, fuzzystrmatch, tablefunc, dict_xsyn, tsm_system_rows,
-- insert_username, autoinc, refint, intagg).
SET search_path = app, ext, public;
-- dblink's foreign-data wrapper: a server and a user mapping with options.
CREATE SERVER dblink_loop FOREIGN DATA WRAPPER dblink_fdw OPTIONS (dbname 'contrib');
CREATE USER MAPPING FOR contrib_owner SERVER dblink_loop OPTIONS (user 'contrib_owner');
CREATE VIEW app.remote_one AS
    SELECT n FROM public.dblink('dblink_loop', 'SELECT 1') AS t(n integer);
-- uuid-ossp defaults, a fuzzystrmatch expression index, a tablefunc set-returning view.
CREATE TABLE app.tickets (
    id uuid DEFAULT public.uuid_generate_v4() PRIMARY KEY,
    ns uuid DEFAULT public.uuid_ns_url(),
    who text,
    created_by text,
    serial integer,
    parent integer
);
CREATE INDEX tickets_who_sound ON app.tickets (public.soundex(who));
INSERT INTO app.tickets (id, who, serial) VALUES
    (public.uuid_generate_v5(public.uuid_ns_url(), 'https://example.org/1'), 'Robert', 1);
CREATE TRIGGER tickets_by BEFORE INSERT OR UPDATE ON app.tickets
    FOR EACH ROW EXECUTE FUNCTION public.insert_username(created_by);
CREATE SEQUENCE app.tickets_serial;
CREATE TRIGGER tickets_serial BEFORE INSERT ON app.tickets
    FOR EACH ROW EXECUTE FUNCTION public.autoinc(serial, 'app.tickets_serial');
CREATE TRIGGER tickets_parent BEFORE INSERT OR UPDATE ON app.tickets
    FOR EACH ROW EXECUTE FUNCTION public.check_primary_key(parent, 'app.counters', 'n');
CREATE VIEW app.pivot AS
    SELECT * FROM public.crosstab('SELECT 1, 1, 10 UNION ALL SELECT 1, 2, 20')
        AS t(k integer, a integer, b integer);
CREATE VIEW app.sampled AS
    SELECT id FROM app.things TABLESAMPLE public.system_rows(1);
CREATE VIEW app.grouped AS
    SELECT public.int_array_aggregate(id) AS ids FROM app.things;
CREATE TEXT SEARCH DICTIONARY app.synonyms (TEMPLATE = public.xsyn_template, RULES = 'xsyn_sample');
COMMENT ON TEXT SEARCH DICTIONARY app.synonyms IS 'dict_xsyn sample rules';
-- Operator-class parameters, a foreign-table partition with column options and a
-- CHECK constraint, foreign tables made by IMPORT FOREIGN SCHEMA.
CREATE INDEX people_score_big ON app.people USING gist (score public.gist__intbig_ops (siglen = 64));
CREATE TABLE app.measurements (id integer NOT NULL, name text) PARTITION BY RANGE (id);
CREATE TABLE app.measurements_local PARTITION OF app.measurements FOR VALUES FROM (0) TO (100);
CREATE FOREIGN TABLE app.measurements_remote PARTITION OF app.measurements
    FOR VALUES FROM (100) TO (200) SERVER loopback
    OPTIONS (schema_name 'app', table_name 'things');
ALTER FOREIGN TABLE app.measurements_remote ALTER COLUMN name OPTIONS (column_name 'name');
ALTER FOREIGN TABLE app.measurements_remote ADD CONSTRAINT remote_ids CHECK (id >= 100) NOT VALID;
CREATE SCHEMA imported;
IMPORT FOREIGN SCHEMA app LIMIT TO (counters, people) FROM SERVER loopback INTO imported;
-- What stock dumps of an extension's member tables besides data: privileges (columns
-- too) and policies; their user-made indexes, triggers and statistics objects.
GRANT SELECT (userid, query) ON public.pg_stat_statements TO contrib_owner;
GRANT UPDATE (key) ON ext.hstore_settings TO contrib_reader;
CREATE POLICY user_rows ON ext.hstore_settings FOR SELECT TO contrib_reader USING (NOT builtin);
ALTER TABLE ext.hstore_settings ENABLE ROW LEVEL SECURITY;
CREATE INDEX hstore_settings_key ON ext.hstore_settings (key);
CREATE TRIGGER hstore_settings_notify AFTER INSERT ON ext.hstore_settings
    FOR EACH ROW EXECUTE FUNCTION public.triggered_change_notification();
CREATE STATISTICS app.hstore_settings_stats (ndistinct) ON id, key FROM ext.hstore_settings;
-- Comments on members and on the built-in plpgsql (stock dumps neither), an extension
-- operator class in a partition key, a generated column over an extension function, a
-- large object through lo's type.
COMMENT ON FUNCTION ext.akeys(ext.hstore) IS 'member comment changed';
COMMENT ON EXTENSION plpgsql IS 'built-in language, comment changed';
CREATE TABLE app.by_name (name app.citext, depth integer GENERATED ALWAYS AS (ext.nlevel(ext.text2ltree(name::text))) STORED)
    PARTITION BY RANGE (name app.citext_pattern_ops);
CREATE TABLE app.by_name_a PARTITION OF app.by_name FOR VALUES FROM ('a') TO ('m');
INSERT INTO app.by_name (name) VALUES ('abc');
CREATE TABLE app.documents (id integer PRIMARY KEY, blob public.lo);
INSERT INTO app.documents VALUES (1, lo_from_bytea(424242, 'contrib payload'));
COMMENT ON LARGE OBJECT 424242 IS 'lo-managed';
CREATE TRIGGER documents_lo BEFORE UPDATE OR DELETE ON app.documents
    FOR EACH ROW EXECUTE FUNCTION public.lo_manage(blob);
-- Privileges relative to a member's owner: the owner's own rights revoked, a member
-- given to another owner after a grant, a member sequence's and a large object's grants.
REVOKE ALL ON FUNCTION ext.akeys(ext.hstore) FROM postgres;
GRANT EXECUTE ON FUNCTION ext.avals(ext.hstore) TO contrib_reader;
ALTER FUNCTION ext.avals(ext.hstore) OWNER TO contrib_owner;
ALTER TYPE ext.ghstore OWNER TO contrib_owner;
GRANT USAGE ON SEQUENCE ext.hstore_settings_seq TO contrib_reader;
GRANT SELECT ON LARGE OBJECT 424242 TO contrib_reader;
