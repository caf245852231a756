-- A synthetic sequence task that no linear model can solve (used by sql/convnet_learn.sql
-- and test/convnet_learning.sh).  6,000 sequences of 12 steps x 4 features: uniform noise
-- of variance 1, plus a 3-step motif of amplitude 3 planted at a random step with a random
-- sign.  Positives carry the motif "feature 0, then 1, then 2" (a diagonal), negatives the
-- reverse "2, then 1, then 0".  The sign flip makes every feature's distribution symmetric
-- around 0 in both classes, so the class means are equal and a linear score has no signal;
-- a convolution followed by ReLU sees the motif wherever it is.
-- Pseudo-random numbers come from hashes of (row, step, feature), not from random(), so the
-- data do not depend on the plan or on the server's random number generator.
CREATE TABLE convnet_pattern AS
WITH ex AS (
	SELECT i, i % 2 = 0 AS label,
		   abs(hashtext('pos' || i)) % 10 AS pos,
		   CASE WHEN hashtext('sign' || i) < 0 THEN -1 ELSE 1 END AS sgn
	FROM generate_series(1, 6000) i
), step AS (
	SELECT e.i, e.label, t,
		   array_agg((hashtext(e.i || '/' || t || '/' || c)::float8 / 2147483648.0) * sqrt(3) +
					 CASE WHEN t - e.pos BETWEEN 0 AND 2
						   AND c = CASE WHEN e.label THEN t - e.pos ELSE 2 - (t - e.pos) END
						  THEN 3.0 * e.sgn ELSE 0 END
					 ORDER BY c) AS v
	FROM ex e, generate_series(0, 11) t, generate_series(0, 3) c
	GROUP BY e.i, e.label, t
)
SELECT i, label, array_agg(v ORDER BY t) AS x
FROM step
GROUP BY i, label;
