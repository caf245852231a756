-- pgTAP: random and mutated bytes fed to the assoc.baskets deserialiser (text input,
-- aggregate combine, mining).  Every input must give a result or a clean error of
-- an expected class; a crash would end the test run.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;
SELECT plan(5);

CREATE TEMP TABLE seeds AS
SELECT 'text keys' AS name, decode(assoc.basket_agg('order ' || (g % 40), 'item ' || (g % 13))::text, 'base64') AS bin
FROM generate_series(1, 400) g
UNION ALL
SELECT 'int keys', decode(assoc.basket_agg(g % 50, g % 11)::text, 'base64') FROM generate_series(1, 400) g
UNION ALL
SELECT 'arrays', decode(assoc.basket_agg(ARRAY[g % 5, g % 7, g % 3])::text, 'base64') FROM generate_series(1, 60) g;

CREATE TEMP TABLE outcomes(kind text, sqlstate text);
CREATE AGGREGATE pg_temp.combine_states(assoc.baskets) (SFUNC = assoc.basket_agg_combine, STYPE = assoc.baskets);

DO $$
DECLARE
  s record;
  m bytea;
  i int;
  k int;
  pos int;
  st text;
BEGIN
  PERFORM setseed(0.42);
  FOR s IN SELECT * FROM seeds LOOP
    FOR i IN 1..1000 LOOP
      m := s.bin;
      FOR k IN 1..1 + (random() * 3)::int LOOP
        pos := (random() * greatest(length(m) - 1, 0))::int;
        CASE (random() * 5)::int
          WHEN 0 THEN m := set_bit(m, (random() * (length(m) * 8 - 1))::int, 1 - get_bit(m, (random() * (length(m) * 8 - 1))::int));
          WHEN 1 THEN m := substr(m, 1, pos);                                    -- truncate
          WHEN 2 THEN m := set_byte(m, pos, (random() * 255)::int);              -- overwrite a byte
          WHEN 3 THEN m := substr(m, 1, pos) || decode(md5(random()::text), 'hex') || substr(m, pos + 1);  -- insert
          ELSE m := overlay(m placing '\xffffffff'::bytea from pos + 1 for 4);   -- a huge count
        END CASE;
        EXIT WHEN length(m) = 0;
      END LOOP;
      BEGIN
        PERFORM count(*) FROM assoc.frequent_itemsets(encode(m, 'base64')::assoc.baskets, 0.2);
        PERFORM pg_temp.combine_states(b) FROM (VALUES (encode(m, 'base64')::assoc.baskets), (encode(s.bin, 'base64')::assoc.baskets)) v(b);
        INSERT INTO outcomes VALUES (s.name, 'ok');
      EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE;
        INSERT INTO outcomes VALUES (s.name, st);
      END;
    END LOOP;
  END LOOP;
  -- plain random bytes
  FOR i IN 1..1000 LOOP
    m := decode(repeat(md5(random()::text), 1 + (random() * 4)::int), 'hex');
    BEGIN
      PERFORM assoc.basket_stats(encode(m, 'base64')::assoc.baskets);
      INSERT INTO outcomes VALUES ('random', 'ok');
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE;
      INSERT INTO outcomes VALUES ('random', st);
    END;
  END LOOP;
END $$;

SELECT is((SELECT count(*) FROM outcomes), 4000::bigint, '4,000 inputs were tried');
SELECT ok((SELECT array_agg(DISTINCT sqlstate) FROM outcomes WHERE sqlstate <> 'ok') <@ ARRAY['42804', 'XX001'],
          'every rejected input got data_corrupted (or datatype_mismatch when combining other kinds)');
SELECT cmp_ok((SELECT count(*) FROM outcomes WHERE sqlstate = 'XX001'), '>', 2000::bigint, 'most mutations are detected');
SELECT is((SELECT count(*) FROM outcomes WHERE kind = 'random' AND sqlstate = 'ok'), 0::bigint, 'random bytes are never accepted');
SELECT is((SELECT count(*) FROM assoc.frequent_itemsets(encode((SELECT bin FROM seeds LIMIT 1), 'base64')::assoc.baskets, 0.01)) > 0,
          true, 'the unmutated seed still mines');

SELECT * FROM finish();
ROLLBACK;
