/*
 * hashing.h
 *	  The hashing trick and hash-based splits: MurmurHash3 (x86, 32-bit) of
 *	  the bytes of a key, as scikit-learn's FeatureHasher and murmurhash3_32
 *	  compute it, so that their results can be checked against scikit-learn.
 */
#ifndef ASSOC_HASHING_H
#define ASSOC_HASHING_H

#include "postgres.h"

/* MurmurHash3_x86_32 of key[0..len) with seed. */
extern uint32 murmur3_32(const char *key, Size len, uint32 seed);

/*
 * Add the hashed feature key (weight w) to out[0..width): column
 * |h| mod width of the signed hash h; with alternate_sign, the weight is
 * negated when h < 0 (scikit-learn's FeatureHasher).
 */
extern void hash_feature_add(double *out, int width, const char *key, Size len,
							 double w, bool alternate_sign, uint32 seed);

/* The key's position in [0, 1): murmur3_32(key, seed) / 2^32. */
extern double hash_unit(const char *key, Size len, uint32 seed);

#endif							/* ASSOC_HASHING_H */
