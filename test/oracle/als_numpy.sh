#!/usr/bin/env bash
# assoc.train_als against a numpy implementation of implicit ALS started from
# the same initial factors (a model trained with max_iter 0 holds them).
# Needs Debian's python3-numpy (/usr/bin/python3) and a server with assoc:
#   eval "$(/work/tools/pgsandbox recommend 5524)"; test/oracle/als_numpy.sh
set -euo pipefail
cd "$(dirname "$0")"
status=0
for solver in cholesky cg; do
  opts="\"factors\": 4, \"lambda\": 0.5, \"alpha\": 3, \"seed\": 11, \"solver\": \"$solver\", \"cg_steps\": 2"
  psql -X -q -At -F ' ' -v ON_ERROR_STOP=1 <<SQL | /usr/bin/python3 als_numpy.py || status=1
CREATE TEMP TABLE rows AS
SELECT (u % 37)::bigint AS user_id, ((u * 7 + u / 5) % 23)::bigint AS item_id, (1 + u % 3)::float8 AS weight
FROM generate_series(1, 300) u;
CREATE TEMP TABLE m AS
SELECT assoc.train_als(user_id, item_id, weight, '{$opts, "max_iter": 0}') AS m0,
       assoc.train_als(user_id, item_id, weight, '{$opts, "max_iter": 6}') AS m6
FROM rows;
CREATE TEMP TABLE uid AS SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM m, assoc.als_factors(m6, 'user');
CREATE TEMP TABLE iid AS SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM m, assoc.als_factors(m6, 'item');
SELECT 'R', u.k, i.k, sum(weight) FROM rows r JOIN uid u ON u.id = r.user_id JOIN iid i ON i.id = r.item_id GROUP BY 2, 3;
SELECT 'X0', u.k, array_to_string(f.factors, ' ') FROM m, assoc.als_factors(m0, 'user') f JOIN uid u USING (id);
SELECT 'Y0', i.k, array_to_string(f.factors, ' ') FROM m, assoc.als_factors(m0, 'item') f JOIN iid i USING (id);
SELECT 'X', u.k, array_to_string(f.factors, ' ') FROM m, assoc.als_factors(m6, 'user') f JOIN uid u USING (id);
SELECT 'Y', i.k, array_to_string(f.factors, ' ') FROM m, assoc.als_factors(m6, 'item') f JOIN iid i USING (id);
SELECT 'P', 0.5, 3, 6, '$solver', 2;
SELECT 'L', string_agg(v, ' ' ORDER BY n) FROM m, jsonb_array_elements_text(assoc.model_info(m6)->'info'->'loss_history') WITH ORDINALITY h(v, n);
SQL
done
exit $status
