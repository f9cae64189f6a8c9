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
