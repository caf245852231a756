-- Install the first release, keep data in its types, and update through the
-- chain of upgrade scripts: every later test runs on the upgraded schema.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS assoc CASCADE;
CREATE EXTENSION assoc VERSION '0.1.0';
RESET client_min_messages;
SELECT extversion FROM pg_extension WHERE extname = 'assoc';

-- data stored by 0.1.0 survives the update
CREATE TABLE upgrade_baskets AS
SELECT assoc.basket_agg(b, i) AS b
FROM (VALUES (1, 'milk'), (1, 'bread'), (2, 'milk'), (3, 'bread'), (3, 'milk')) v(b, i);

ALTER EXTENSION assoc UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'assoc';
SELECT * FROM assoc.frequent_itemsets((SELECT b FROM upgrade_baskets), 0.5) ORDER BY items;
DROP TABLE upgrade_baskets;

-- every function, aggregate and type of the extension has a comment
SELECT p.oid::regprocedure AS undocumented
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'assoc' AND obj_description(p.oid, 'pg_proc') IS NULL
ORDER BY 1;
SELECT t.typname AS undocumented_type
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = 'assoc' AND t.typtype = 'b' AND t.typelem = 0 AND obj_description(t.oid, 'pg_type') IS NULL;

-- no SECURITY DEFINER function
SELECT p.oid::regprocedure AS security_definer
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'assoc' AND p.prosecdef;

-- the schema belongs to the extension
SELECT count(*) AS schema_is_member FROM pg_depend
WHERE classid = 'pg_namespace'::regclass AND objid = 'assoc'::regnamespace
  AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'assoc') AND deptype = 'e';
