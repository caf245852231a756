-- assoc 0.1.0 -> 0.2.0: features, models, recommendation, segmentation, operations
\echo Use "ALTER EXTENSION assoc UPDATE TO '0.2.0'" to load this file. \quit
