-- The classic published figures on the Groceries data (arules: Hahsler et al.),
-- from the copy shipped in demo/data.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;

\getenv abs_srcdir PG_ABS_SRCDIR
\set groceries_file :abs_srcdir '/demo/data/groceries.csv'
CREATE TABLE groceries_raw(basket serial, line text);
COPY groceries_raw(line) FROM :'groceries_file' WITH (FORMAT text);
CREATE TABLE groceries AS
SELECT basket, item FROM groceries_raw, string_to_table(line, ',') AS item;
SELECT count(*) AS lines, count(DISTINCT basket) AS baskets, count(DISTINCT item) AS items FROM groceries;

-- whole milk is in 2,513 of 9,835 baskets
SELECT items, count, round(support::numeric, 7) AS support
FROM assoc.frequent_itemsets('SELECT basket, item FROM groceries', 0.25);

-- support 0.006, confidence 0.25, rules of at least two items: 463 rules,
-- 150 of length 2, 297 of length 3, 16 of length 4
CREATE TABLE g_rules AS SELECT * FROM assoc.rules('SELECT basket, item FROM groceries', 0.006, 0.25);
SELECT count(*) AS rules FROM g_rules;
SELECT cardinality(antecedent) + cardinality(consequent) AS length, count(*) FROM g_rules GROUP BY 1 ORDER BY 1;

-- published rules: {herbs} => {root vegetables}: support 0.007015760, confidence 0.43125, lift 3.956477, count 69;
-- {pot plants} => {whole milk}: 0.006914082, 0.4, 1.565460, 68; {pasta} => {whole milk}: 0.006100661, 0.4054054, 1.586614, 60
SELECT antecedent, consequent, count, round(support::numeric, 9) AS support,
       round(confidence::numeric, 7) AS confidence, round(lift::numeric, 6) AS lift
FROM g_rules
WHERE (antecedent, consequent) IN (('{herbs}', '{"root vegetables"}'), ('{"pot plants"}', '{"whole milk"}'),
                                   ('{pasta}', '{"whole milk"}'))
ORDER BY antecedent;

-- labels are byte-exact: 'cream cheese ' keeps its trailing space
SELECT '[' || items[1] || ']' AS label, count FROM assoc.frequent_itemsets('SELECT basket, item FROM groceries', 0.001, 1)
WHERE items[1] LIKE 'cream cheese%' OR items[1] LIKE 'roll products%' ORDER BY 1;

-- the top rules by lift
SELECT antecedent, consequent, count, round(confidence::numeric, 4) AS confidence, round(lift::numeric, 4) AS lift
FROM g_rules ORDER BY lift DESC, antecedent, consequent LIMIT 5;

-- support 0.001 ⇒ count >= ceil(0.001 * 9835) = 10, computed exactly
SELECT min(count) AS min_count, count(*) AS itemsets
FROM assoc.frequent_itemsets('SELECT basket, item FROM groceries', 0.001);

DROP TABLE groceries_raw, groceries, g_rules;
