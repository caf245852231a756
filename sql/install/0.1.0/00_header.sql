-- assoc 0.1.0: frequent itemsets and association rules
\echo Use "CREATE EXTENSION assoc" to load this file. \quit

-- The schema belongs to the extension: DROP EXTENSION assoc drops it too.
CREATE SCHEMA assoc;
COMMENT ON SCHEMA assoc IS 'assoc: market-basket analysis, association rules and recommendation models';
GRANT USAGE ON SCHEMA assoc TO PUBLIC;
