-- Contrib sweep, part 6 (where the build ships plpython3u): functions using the
-- transforms of hstore_plpython3u and jsonb_plpython3u, and a user-made transform.
SET search_path = app, ext, public;
CREATE FUNCTION app.py_keys(h ext.hstore) RETURNS text[] LANGUAGE plpython3u
    TRANSFORM FOR TYPE ext.hstore
    AS $$ return sorted(h.keys()) $$;
CREATE FUNCTION app.py_json(j jsonb) RETURNS jsonb LANGUAGE plpython3u
    TRANSFORM FOR TYPE jsonb, FOR TYPE ext.hstore
    AS $$ return j $$;
CREATE TRANSFORM FOR app.citext LANGUAGE plpython3u (
    FROM SQL WITH FUNCTION public.hstore_to_plpython3(internal)
);
COMMENT ON TRANSFORM FOR app.citext LANGUAGE plpython3u IS 'user transform';
CREATE FUNCTION app.py_upper(t app.citext) RETURNS text LANGUAGE plpython3u
    TRANSFORM FOR TYPE app.citext
    AS $$ return str(t) $$;
