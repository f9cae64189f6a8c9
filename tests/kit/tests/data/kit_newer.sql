-- min-version: 99
-- description: a fixture no supported major can load, to test the version guard
SELECT 1;
