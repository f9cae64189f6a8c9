-- min-version: 14
-- description: small database for pg_dumpall's pass-through options: an unlogged table with rows (--no-unlogged-table-data), a sequence (--sequence-data), floats (--extra-float-digits), a trigger (--disable-triggers), a function body (--disable-dollar-quoting), a policy (--no-policies), comments, a grant, a non-default owner (-O, --use-set-session-authorization)

CREATE SCHEMA opt;
COMMENT ON SCHEMA opt IS 'pass-through options';

CREATE ROLE pgark_opt_owner NOLOGIN;

CREATE SEQUENCE opt.counter START WITH 7;
SELECT pg_catalog.setval('opt.counter', 9);

CREATE TABLE opt.reading (
    id integer PRIMARY KEY,
    value double precision NOT NULL,
    note text
);
COMMENT ON TABLE opt.reading IS 'floats and a trigger';
INSERT INTO opt.reading VALUES (1, 0.1, NULL), (2, 1e-300, 'tiny'), (3, 2.0 / 3.0, 'two thirds, café');

CREATE UNLOGGED TABLE opt.scratch (k text PRIMARY KEY, v integer);
INSERT INTO opt.scratch VALUES ('a', 1), ('b', 2);

CREATE FUNCTION opt.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.note := coalesce(NEW.note, 'it''s set');
    RETURN NEW;
END
$$;
CREATE TRIGGER reading_touch BEFORE INSERT ON opt.reading
    FOR EACH ROW EXECUTE FUNCTION opt.touch();

ALTER TABLE opt.reading ENABLE ROW LEVEL SECURITY;
CREATE POLICY reading_owner ON opt.reading FOR SELECT TO pgark_opt_owner USING (id > 0);

ALTER TABLE opt.scratch OWNER TO pgark_opt_owner;
GRANT SELECT ON opt.reading TO pgark_opt_owner;
