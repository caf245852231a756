-- Gradient check: backpropagation against central differences (step 1e-6, double precision)
-- for every parameter and every input value of random small networks that use every layer
-- type and activation.  Relative error = ||analytic - numeric|| / max(||analytic||, ||numeric||)
-- per layer and block; it must stay below 1e-5.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;

CREATE TABLE convnet_gc_nets (net int, steps int, features int, layers jsonb, batch int, l2 float8);
INSERT INTO convnet_gc_nets VALUES
-- the default shape (12 -> 10 -> 5 -> 3 -> 1) with fewer filters
(1, 12, 3, '[{"type": "conv1d", "filters": 6, "kernel": 3}, {"type": "maxpool1d", "pool": 2},
			{"type": "conv1d", "filters": 8, "kernel": 3}, {"type": "maxpool1d", "pool": 2},
			{"type": "flatten"}, {"type": "dense", "units": 1}]', 3, 0),
-- linear and sigmoid convolutions, pooling of an odd length (floor), dropout, hidden dense layers, l2
(2, 11, 2, '[{"type": "conv1d", "filters": 4, "kernel": 2, "activation": "linear"},
			{"type": "conv1d", "filters": 5, "kernel": 3, "activation": "sigmoid"},
			{"type": "maxpool1d", "pool": 3}, {"type": "dropout", "rate": 0.4}, {"type": "flatten"},
			{"type": "dense", "units": 6}, {"type": "dense", "units": 4, "activation": "sigmoid"},
			{"type": "dense", "units": 3, "activation": "linear"}, {"type": "dense", "units": 1}]', 4, 0.05),
-- pooling and dropout as the first layers (their backward pass feeds the input gradient)
(3, 9, 3, '[{"type": "maxpool1d", "pool": 2}, {"type": "dropout", "rate": 0.25},
		   {"type": "conv1d", "filters": 3, "kernel": 4}, {"type": "flatten"},
		   {"type": "dropout", "rate": 0.5}, {"type": "dense", "units": 1, "activation": "sigmoid"}]', 5, 0),
-- logistic regression: flatten then one sigmoid unit
(4, 5, 4, '[{"type": "flatten"}, {"type": "dense", "units": 1}]', 3, 0.1),
-- a kernel as long as the sequence, one example
(5, 4, 2, '[{"type": "conv1d", "filters": 3, "kernel": 4}, {"type": "dense", "units": 2},
		   {"type": "dense", "units": 1}]', 1, 0);

SELECT g.net, c.layer, c.layer_type, c.part, c.n,
	   c.rel_error < 1e-5 AS rel_error_below_1e_5,
	   c.max_abs_error < 1e-7 AS abs_error_below_1e_7
FROM convnet_gc_nets g,
	 LATERAL assoc.convnet_gradient_check(g.steps, g.features, g.layers, batch => g.batch,
										  seed => 42, l2 => g.l2) c
ORDER BY g.net, c.layer, c.part;

-- other seeds: the worst relative error over 20 random draws of weights and data per network
SELECT g.net, count(*) AS blocks, max(c.rel_error) < 1e-5 AS worst_below_1e_5
FROM convnet_gc_nets g, generate_series(1, 20) s,
	 LATERAL assoc.convnet_gradient_check(g.steps, g.features, g.layers, batch => g.batch,
										  seed => s, l2 => g.l2) c
GROUP BY g.net ORDER BY g.net;

-- the check is able to fail: with a coarse step the central differences are no longer exact
-- (curvature; ReLU and max-pooling kinks crossed), and the error rises far above the bound
SELECT max(rel_error) > 1e-5 AS coarse_step_detected
FROM assoc.convnet_gradient_check(11, 2, (SELECT layers FROM convnet_gc_nets WHERE net = 2),
								  batch => 4, step => 0.1);

DROP TABLE convnet_gc_nets;
