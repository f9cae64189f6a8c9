-- Contrib sweep, part 4: user objects built on extension members (casts, operators,
-- operator classes of an extension's access method, aggregates), a member released
-- from its extension and a user function added to one.
SET search_path = app, ext, public;
CREATE FUNCTION app.hstore_size(ext.hstore) RETURNS integer LANGUAGE sql IMMUTABLE STRICT
    AS $$ SELECT pg_catalog.cardinality(ext.akeys($1)) $$;
CREATE CAST (ext.hstore AS integer) WITH FUNCTION app.hstore_size(ext.hstore);
CREATE OPERATOR app.## (RIGHTARG = ext.hstore, FUNCTION = app.hstore_size);
CREATE AGGREGATE app.hstore_union(ext.hstore) (SFUNC = ext.hs_concat, STYPE = ext.hstore, INITCOND = '');
CREATE OPERATOR CLASS app.int8_bloom_ops DEFAULT FOR TYPE int8 USING bloom AS
    OPERATOR 1 =(int8, int8),
    FUNCTION 1 hashint8(int8);
CREATE OPERATOR FAMILY app.cube_extra USING gist;
CREATE TABLE app.counters (n int8, c ext.cube);
CREATE INDEX counters_bloom ON app.counters USING bloom (n);
INSERT INTO app.counters VALUES (1, '(1,2)'), (2, NULL);
-- A member released from its extension becomes an ordinary object of the database.
ALTER EXTENSION pg_trgm DROP FUNCTION app.show_trgm(text);
-- A user function made a member.
CREATE FUNCTION app.tagged(ext.hstore) RETURNS boolean LANGUAGE sql IMMUTABLE
    AS $$ SELECT $1 ? 'tag' $$;
ALTER EXTENSION hstore ADD FUNCTION app.tagged(ext.hstore);
COMMENT ON FUNCTION app.tagged(ext.hstore) IS 'member added by hand';
-- A user sequence owned by an extension's configuration table column is left alone:
-- a materialized view over extension functions instead.
CREATE MATERIALIZED VIEW app.trgm_words AS
    SELECT name, app.show_trgm(name::text) AS trigrams FROM app.things;
CREATE INDEX trgm_words_name ON app.trgm_words USING gist ((name::text) app.gist_trgm_ops);
-- Stock gives statistics to the indexes of tables it reads without dumping them:
-- the parent of a table dumped with -t, the owner of a sequence dumped with -t.
CREATE TABLE public.par (a integer PRIMARY KEY);
CREATE TABLE public.chi () INHERITS (public.par);
CREATE TABLE public.own (id integer PRIMARY KEY);
CREATE SEQUENCE public.own_seq OWNED BY public.own.id;
