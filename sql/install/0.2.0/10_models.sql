-- Models: the common envelope.

CREATE FUNCTION assoc.model_info(model bytea) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'model_info' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION assoc.model_info(bytea) IS
	'describes any assoc model (kind, format version, dimensions, created_at, training rows, loss, hyper-parameters, details) after checking its checksum';
