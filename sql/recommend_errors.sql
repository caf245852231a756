-- Bad input to the recommendation functions: each a clear error or a
-- documented result, never a crash; corrupted models, including mutations
-- that keep a valid checksum, are caught by the decoders.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;
\set SHOW_CONTEXT never

CREATE TEMP TABLE shop(basket int, item text);
INSERT INTO shop VALUES (1,'milk'),(1,'bread'),(2,'milk'),(2,'bread'),(3,'bread'),(3,'butter'),(4,'milk');
CREATE TEMP TABLE rm AS SELECT assoc.train_rules('SELECT basket, item FROM shop', 0.25, 0.1) AS model;
CREATE TEMP TABLE am AS
SELECT assoc.train_als(u, i, 1, '{"factors": 3, "max_iter": 2}') AS model
FROM (VALUES (1, 10), (1, 11), (2, 11), (2, 12), (3, 10)) v(u, i);

-- training the rules model
SELECT assoc.train_rules(NULL::text, 0.1, 0.5);
SELECT assoc.train_rules('SELECT basket, item FROM shop', 0, 0.5);
SELECT assoc.train_rules('SELECT basket, item FROM shop', 0.1, 1.5);
SELECT assoc.train_rules('SELECT basket, item FROM shop', 0.1, 0.5, max_len => 1);
SELECT assoc.train_rules('SELECT basket, item FROM shop', 0.1, 0.5, options => '{"min_lft": 1}');
SELECT assoc.train_rules('SELECT basket, item FROM shop', 0.1, 0.5, options => '{"min_lift": -1}');
SELECT assoc.train_rules('SELECT basket, item FROM shop WHERE false', 0.1, 0.5);
SELECT assoc.train_rules('DELETE FROM shop RETURNING basket, item', 0.1, 0.5);

-- recommend_for_cart
SELECT * FROM assoc.recommend_for_cart(NULL, '{milk}');
SELECT * FROM assoc.recommend_for_cart((SELECT model FROM rm), NULL);
SELECT * FROM assoc.recommend_for_cart((SELECT model FROM rm), '{milk}', 0);
SELECT * FROM assoc.recommend_for_cart((SELECT model FROM rm), '{milk}', NULL);
SELECT * FROM assoc.recommend_for_cart((SELECT model FROM rm), '{milk}', fill => NULL);
SELECT * FROM assoc.recommend_for_cart((SELECT model FROM am), '{milk}');
SELECT * FROM assoc.recommend_for_cart('\x0102030405', '{milk}');
SELECT * FROM assoc.recommend_for_cart((SELECT substr(model, 1, 40) FROM rm), '{milk}');
SELECT * FROM assoc.recommend_for_cart((SELECT set_byte(model, 60, get_byte(model, 60) # 1) FROM rm), '{milk}');
-- a two-dimensional cart is read element by element
SELECT item FROM assoc.recommend_for_cart((SELECT model FROM rm), '{{milk},{butter}}');

-- training ALS
SELECT assoc.train_als(u, i, w) FROM (VALUES (1, 1, -1.0)) v(u, i, w);
SELECT assoc.train_als(u, i, w) FROM (VALUES (1, 1, 'NaN'::float8)) v(u, i, w);
SELECT assoc.train_als(u, i, w) FROM (VALUES (1, 1, 'Infinity'::float8)) v(u, i, w);
SELECT assoc.train_als(u, i, 1, '{"factor": 8}') FROM (VALUES (1, 1)) v(u, i);
SELECT assoc.train_als(u, i, 1, '{"factors": 0}') FROM (VALUES (1, 1)) v(u, i);
SELECT assoc.train_als(u, i, 1, '{"solver": "svd"}') FROM (VALUES (1, 1)) v(u, i);
SELECT assoc.train_als(u, i, 1, '[1]') FROM (VALUES (1, 1)) v(u, i);
SELECT assoc.train_als(u, i, 1, jsonb_build_object('seed', u)) FROM (VALUES (1, 1), (2, 2)) v(u, i);
SELECT assoc.train_als(u, i, 1) FROM (VALUES (1, 1)) v(u, i) WHERE false;
SELECT assoc.train_als(u, i, 0) FROM (VALUES (1, 1), (2, 2)) v(u, i);
SELECT assoc.train_als(u, i, 1, '{"factors": 2, "lambda": 0}') FROM (VALUES (1, 1)) v(u, i);

-- recommend, recommend_for_items, similar_items, als_factors
SELECT * FROM assoc.recommend(NULL, 1);
SELECT * FROM assoc.recommend((SELECT model FROM am), NULL);
SELECT * FROM assoc.recommend((SELECT model FROM am), 1, -1);
SELECT * FROM assoc.recommend((SELECT model FROM am), 1, exclude_seen => NULL);
SELECT * FROM assoc.recommend((SELECT model FROM rm), 1);
SELECT * FROM assoc.recommend((SELECT set_byte(model, 100, get_byte(model, 100) # 128) FROM am), 1);
SELECT * FROM assoc.recommend_for_items((SELECT model FROM am), NULL);
SELECT * FROM assoc.recommend_for_items((SELECT model FROM am), '{10, 11}', weights => '{1}');
SELECT * FROM assoc.recommend_for_items((SELECT model FROM am), '{10, 11}', weights => '{1, NULL}');
SELECT * FROM assoc.recommend_for_items((SELECT model FROM am), '{10, 11}', weights => '{1, -2}');
SELECT * FROM assoc.similar_items((SELECT model FROM am), NULL);
SELECT * FROM assoc.als_factors((SELECT model FROM am), 'users');
-- documented results: unknown user or items give no rows, k above the item count gives all
SELECT count(*) FROM assoc.recommend((SELECT model FROM am), 99);
SELECT count(*) FROM assoc.recommend_for_items((SELECT model FROM am), '{99, NULL}');
SELECT count(*) FROM assoc.recommend((SELECT model FROM am), 1, 2147483647, exclude_seen => false);

-- Mutations that keep the checksum valid reach the decoders: every outcome
-- must be an error of the documented codes or a model that still decodes.
CREATE FUNCTION pg_temp.crc32c(b bytea) RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  tab bigint[] := '{}';
  c bigint;
  crc bigint := 4294967295;
BEGIN
  FOR n IN 0..255 LOOP
    c := n;
    FOR k IN 1..8 LOOP
      IF c & 1 = 1 THEN c := (c >> 1) # 2197175160; ELSE c := c >> 1; END IF;
    END LOOP;
    tab := tab || c;
  END LOOP;
  FOR i IN 0..length(b) - 1 LOOP
    crc := tab[((crc # get_byte(b, i)) & 255) + 1] # (crc >> 8);
  END LOOP;
  RETURN crc # 4294967295;
END $$;
CREATE FUNCTION pg_temp.reseal(m bytea) RETURNS bytea LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  crc bigint := pg_temp.crc32c(substr(m, 1, 28) || substr(m, 33));
BEGIN
  RETURN overlay(m PLACING int4send((crc - CASE WHEN crc >= 2147483648 THEN 4294967296 ELSE 0 END)::int)
                 FROM 29 FOR 4);
END $$;
-- the checksum is recomputed exactly
SELECT (SELECT pg_temp.reseal(model) = model FROM rm) AS rules_crc, (SELECT pg_temp.reseal(model) = model FROM am) AS als_crc;

CREATE FUNCTION pg_temp.fuzz(model bytea, kind text, n int) RETURNS TABLE(outcome text, count bigint)
LANGUAGE plpgsql AS $$
DECLARE
  m bytea;
  pos int;
  st text;
  seen text[] := '{}';
BEGIN
  FOR t IN 1..n LOOP
    m := model;
    FOR j IN 1..1 + (t % 3) LOOP
      -- bytes after the header, or the header's dimensions
      pos := CASE WHEN t % 10 = 0 THEN 12 + (t * 7) % 8 ELSE 32 + (t * 7919 + j * 104729) % (length(m) - 32) END;
      m := set_byte(m, pos, (get_byte(m, pos) + 1 + (t * 31 + j) % 255) % 256);
    END LOOP;
    m := pg_temp.reseal(m);
    BEGIN
      IF kind = 'rules' THEN
        PERFORM * FROM assoc.recommend_for_cart(m, '{milk, bread}', 3, fill => true);
      ELSE
        PERFORM * FROM assoc.recommend(m, 1, 3);
        PERFORM * FROM assoc.recommend_for_items(m, '{10, 11}', 3);
        PERFORM * FROM assoc.similar_items(m, 10, 3);
      END IF;
      st := 'decodes';
    EXCEPTION WHEN OTHERS THEN
      st := CASE WHEN SQLSTATE IN ('XX001', '22023') THEN 'clear error' ELSE 'unexpected ' || SQLSTATE || ': ' || SQLERRM END;
    END;
    seen := seen || st;
  END LOOP;
  RETURN QUERY SELECT s, count(*) FROM unnest(seen) s GROUP BY s ORDER BY s;
END $$;
SELECT model, sum(count) AS mutations,
       bool_and(outcome IN ('clear error', 'decodes')) AS all_handled,
       sum(count) FILTER (WHERE outcome = 'clear error') > 0 AS some_refused,
       sum(count) FILTER (WHERE outcome = 'decodes') > 0 AS some_decoded,
       string_agg(outcome, '; ') FILTER (WHERE outcome NOT IN ('clear error', 'decodes')) AS unexpected
FROM (SELECT 'rules' AS model, * FROM pg_temp.fuzz((SELECT model FROM rm), 'rules', 1500)
      UNION ALL
      SELECT 'als', * FROM pg_temp.fuzz((SELECT model FROM am), 'als', 1500)) f
GROUP BY model ORDER BY model;
