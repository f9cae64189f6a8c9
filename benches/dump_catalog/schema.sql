-- The catalog-cost benchmark's database (benches/dump_catalog/run.sh): :tables tables,
-- each with a primary key, an index, a comment and a grant; :views views; :funcs
-- functions. psql variables: tables, views, funcs.
SET client_min_messages = warning;
DO $$ BEGIN CREATE ROLE bench_reader; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
SET bench.tables = :'tables';
SET bench.views = :'views';
SET bench.funcs = :'funcs';
DO $$
DECLARE
    n integer := current_setting('bench.tables')::integer;
BEGIN
    FOR i IN 1..n LOOP
        EXECUTE format('CREATE TABLE public.t%s (id integer PRIMARY KEY, val text, n integer)', i);
        EXECUTE format('CREATE INDEX t%s_n ON public.t%s (n)', i, i);
        EXECUTE format('COMMENT ON TABLE public.t%s IS %L', i, 'table ' || i);
        EXECUTE format('GRANT SELECT ON public.t%s TO bench_reader', i);
        IF i % 500 = 0 THEN
            COMMIT;
        END IF;
    END LOOP;
END
$$;
DO $$
DECLARE
    n integer := current_setting('bench.views')::integer;
    tables integer := current_setting('bench.tables')::integer;
BEGIN
    FOR i IN 1..n LOOP
        EXECUTE format('CREATE VIEW public.v%s AS SELECT id, val FROM public.t%s WHERE n > %s',
                       i, 1 + (i - 1) % tables, i % 7);
        IF i % 500 = 0 THEN
            COMMIT;
        END IF;
    END LOOP;
END
$$;
DO $$
DECLARE
    n integer := current_setting('bench.funcs')::integer;
BEGIN
    FOR i IN 1..n LOOP
        EXECUTE format('CREATE FUNCTION public.f%s(a integer, b text DEFAULT %L) RETURNS text '
                       'LANGUAGE sql IMMUTABLE AS %L',
                       i, 'x' || i, 'SELECT b || a::text || ' || quote_literal('f' || i));
        IF i % 500 = 0 THEN
            COMMIT;
        END IF;
    END LOOP;
END
$$;
