-- Contrib sweep, part 2: user objects that use the extensions, changed privileges on
-- extension members (pg_init_privs), an extension configuration table, comments.
SET search_path = app, ext, public;

COMMENT ON EXTENSION hstore IS 'key/value pairs, changed comment';
COMMENT ON EXTENSION cube IS NULL;

CREATE TABLE app.things (
    id integer PRIMARY KEY,
    name app.citext NOT NULL UNIQUE,
    attrs ext.hstore,
    path ext.ltree,
    box ext.cube,
    place ext.earth,
    segment seg,
    code isbn13,
    during tsrange,
    ident uuid DEFAULT gen_random_uuid(),
    secret bytea,
    modified timestamp DEFAULT '2020-01-01 00:00:00',
    EXCLUDE USING gist (id WITH =, during WITH &&)
);
COMMENT ON COLUMN app.things.attrs IS 'free-form attributes';
CREATE INDEX things_attrs ON app.things USING gist (attrs ext.gist_hstore_ops);
CREATE INDEX things_attrs_gin ON app.things USING gin (attrs ext.gin_hstore_ops);
CREATE INDEX things_path ON app.things USING gist (path);
CREATE INDEX things_box ON app.things USING gist (box);
CREATE INDEX things_name_trgm ON app.things USING gin (name app.gin_trgm_ops);
CREATE INDEX things_name_trgm_gist ON app.things USING gist ((name::text) app.gist_trgm_ops (siglen = 32));
CREATE INDEX things_id_gin ON app.things USING gin (id);
CREATE INDEX things_bloom ON app.things USING bloom (id) WITH (length = 80);
CREATE INDEX things_place ON app.things USING gist (place);
CREATE INDEX things_segment ON app.things USING gist (segment);

CREATE TRIGGER things_modified BEFORE UPDATE ON app.things
    FOR EACH ROW EXECUTE FUNCTION moddatetime(modified);
CREATE TRIGGER things_notify AFTER INSERT OR UPDATE OR DELETE ON app.things
    FOR EACH ROW EXECUTE FUNCTION triggered_change_notification();

CREATE TABLE app.big (id integer, payload text);
CREATE TRIGGER big_lo BEFORE UPDATE OR DELETE ON app.big
    FOR EACH ROW EXECUTE FUNCTION lo_manage(payload);

INSERT INTO app.things (id, name, attrs, path, box, place, segment, code, during, ident, secret) VALUES
    (1, 'Alpha', 'a=>1, b=>"x y"', 'top.science.astronomy', '(1,2),(3,4)', ext.ll_to_earth(10, 20),
     '1.5 .. 2.5', '978-0-393-04002-9', '[2020-01-01,2020-02-01)',
     '6f0c6c7e-8a48-4c5e-9f0b-7a1d1c0f2a11', digest('abc', 'sha256')),
    (2, 'beta', NULL, 'top', '(5)', NULL, NULL, NULL, NULL,
     'a5b0f3a2-1111-4e22-8a33-0b0c0d0e0f10', NULL);

-- Foreign data: file_fdw (postgres_fdw in postgres_fdw.sql).
CREATE SERVER files FOREIGN DATA WRAPPER file_fdw;
CREATE FOREIGN TABLE app.passwd (line text) SERVER files
    OPTIONS (filename '/etc/hostname', format 'text');
COMMENT ON SERVER files IS 'local files';

-- Privileges on extension members, changed from their initial privileges.
REVOKE EXECUTE ON FUNCTION ext.hstore(text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ext.hstore(text[]) TO contrib_reader;
GRANT EXECUTE ON FUNCTION digest(text, text) TO contrib_reader WITH GRANT OPTION;
REVOKE ALL ON FUNCTION pg_buffercache_pages() FROM pg_monitor;
GRANT EXECUTE ON FUNCTION pg_buffercache_pages() TO contrib_reader;
REVOKE SELECT ON pg_buffercache FROM pg_monitor;
GRANT SELECT ON pg_buffercache TO contrib_reader;
GRANT SELECT ON pg_stat_statements TO contrib_reader;
GRANT USAGE ON TYPE ext.hstore TO contrib_reader;
REVOKE USAGE ON TYPE ext.ltree FROM PUBLIC;
GRANT USAGE ON FOREIGN DATA WRAPPER file_fdw TO contrib_reader;

-- A member table turned into an extension configuration table, as
-- pg_extension_config_dump() does from an extension script (one row filtered out).
CREATE TABLE ext.hstore_settings (id integer PRIMARY KEY, key text, builtin boolean);
INSERT INTO ext.hstore_settings VALUES (1, 'shipped', true), (2, 'user', false);
CREATE SEQUENCE ext.hstore_settings_seq;
SELECT setval('ext.hstore_settings_seq', 42);
ALTER EXTENSION hstore ADD TABLE ext.hstore_settings;
ALTER EXTENSION hstore ADD SEQUENCE ext.hstore_settings_seq;
UPDATE pg_catalog.pg_extension
   SET extconfig = ARRAY['ext.hstore_settings'::regclass, 'ext.hstore_settings_seq'::regclass]::oid[],
       extcondition = ARRAY['WHERE NOT builtin', '']
 WHERE extname = 'hstore';

-- User objects depending on extension members.
CREATE VIEW app.thing_names AS
    SELECT id, name, similarity(name::text, 'alpha') AS sim, attrs -> 'a' AS a FROM app.things;
CREATE FUNCTION app.depth(p ext.ltree) RETURNS integer LANGUAGE sql IMMUTABLE
    RETURN ext.nlevel(p);
CREATE DOMAIN app.email AS app.citext CHECK (VALUE ~ '@');
CREATE TABLE app.people (email app.email, tags ext.hstore[], score int4[]);
CREATE INDEX people_score ON app.people USING gin (score gin__int_ops);
INSERT INTO app.people VALUES ('a@b', ARRAY['x=>1'::ext.hstore], '{1,2,3}');
CREATE TEXT SEARCH CONFIGURATION app.unaccented (COPY = pg_catalog.simple);
ALTER TEXT SEARCH CONFIGURATION app.unaccented
    ALTER MAPPING FOR word, asciiword WITH unaccent, simple;
CREATE TEXT SEARCH DICTIONARY app.intdict (TEMPLATE = intdict_template, maxlen = 4);

-- Objects of a non-superuser, dumped by that user (`-n mine` as contrib_owner).
SET ROLE contrib_owner;
CREATE SCHEMA mine;
CREATE TABLE mine.notes (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title app.citext,
    tags ext.hstore,
    body text
);
CREATE INDEX notes_title_trgm ON mine.notes USING gist (title app.gist_trgm_ops);
CREATE INDEX notes_tags ON mine.notes USING gin (tags);
INSERT INTO mine.notes (title, tags, body) VALUES ('First', 'k=>v', 'hello');
CREATE FUNCTION mine.fuzzy(q text) RETURNS SETOF mine.notes LANGUAGE sql STABLE
    AS $$ SELECT * FROM mine.notes WHERE title::text OPERATOR(app.%) q $$;
REVOKE EXECUTE ON FUNCTION mine.fuzzy(text) FROM PUBLIC;
GRANT SELECT (id, title) ON mine.notes TO contrib_reader;
COMMENT ON TABLE mine.notes IS 'owned by contrib_owner';
RESET ROLE;
