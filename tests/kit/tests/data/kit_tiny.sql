-- min-version: 14
-- description: a tiny schema for the kit's own tests: a table with rows, a sequence, a view
CREATE TABLE kit_items (id serial PRIMARY KEY, label text NOT NULL);
INSERT INTO kit_items (label) SELECT 'item ' || g FROM generate_series(1, 100) g;
CREATE VIEW kit_item_labels AS SELECT label FROM kit_items;
