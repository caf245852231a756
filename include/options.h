/*
 * options.h
 *	  Reading a jsonb options argument against a table of known keys.
 *
 * Every trainer takes options jsonb DEFAULT '{}'.  A key that is not in the
 * table, a value of the wrong JSON type, or a number outside its range gives
 * an ERROR (22023) that names the key and lists the valid ones.  The values
 * actually used can be printed back as JSON for the model's metadata.
 */
#ifndef ASSOC_OPTIONS_H
#define ASSOC_OPTIONS_H

#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/jsonb.h"

typedef enum OptionType
{
	OPTION_INT,					/* JSON number without fraction -> int */
	OPTION_FLOAT,				/* JSON number -> double */
	OPTION_BOOL,				/* JSON true/false -> bool */
	OPTION_TEXT,				/* JSON string -> palloc'd char * */
	OPTION_JSON					/* any JSON value -> palloc'd char * of its text */
} OptionType;

typedef struct OptionSpec
{
	const char *name;
	OptionType	type;
	void	   *dest;			/* int *, double *, bool *, char ** */
	double		min;			/* numeric range, inclusive (ignored if min > max) */
	double		max;
	bool		present;		/* set by options_parse */
} OptionSpec;

/*
 * Parse opts (may be NULL: keep defaults).  dest values hold the defaults on
 * entry.  caller names the SQL function for messages.
 */
extern void options_parse(Jsonb *opts, OptionSpec *specs, int nspecs, const char *caller);

/* The values in *specs as a JSON object text (for ModelMeta.params_json). */
extern char *options_to_json(const OptionSpec *specs, int nspecs);

/*
 * The options in an aggregate's serialised state (NULL for none): sent as
 * JSON text and parsed again on receipt, so that corrupted bytes end in an
 * error (XX001, naming the aggregate what) and are never read as jsonb.
 */
extern void options_send(StringInfo buf, const Jsonb *opts);
extern Jsonb *options_receive(StringInfo buf, const char *what);

#endif							/* ASSOC_OPTIONS_H */
