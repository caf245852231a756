/*
 * hashing.c
 *	  MurmurHash3 (x86, 32-bit), the hashing trick, and hash positions for
 *	  deterministic splits (see hashing.h).
 *
 * MurmurHash3 is Austin Appleby's public-domain hash; the constants and the
 * order of the steps are those of MurmurHash3_x86_32, blocks read
 * little-endian whatever the machine.
 */
#include "postgres.h"

#include "hashing.h"

static inline uint32
rotl32(uint32 x, int r)
{
	return (x << r) | (x >> (32 - r));
}

static inline uint32
read_le32(const unsigned char *p)
{
	return (uint32) p[0] | ((uint32) p[1] << 8) | ((uint32) p[2] << 16) | ((uint32) p[3] << 24);
}

uint32
murmur3_32(const char *key, Size len, uint32 seed)
{
	const unsigned char *data = (const unsigned char *) key;
	const uint32 c1 = 0xcc9e2d51;
	const uint32 c2 = 0x1b873593;
	Size		nblocks = len / 4;
	uint32		h = seed;
	uint32		k;
	Size		i;
	const unsigned char *tail;

	for (i = 0; i < nblocks; i++)
	{
		k = read_le32(data + 4 * i);
		k *= c1;
		k = rotl32(k, 15);
		k *= c2;
		h ^= k;
		h = rotl32(h, 13);
		h = h * 5 + 0xe6546b64;
	}

	tail = data + 4 * nblocks;
	k = 0;
	switch (len & 3)
	{
		case 3:
			k ^= (uint32) tail[2] << 16;
			/* FALLTHROUGH */
		case 2:
			k ^= (uint32) tail[1] << 8;
			/* FALLTHROUGH */
		case 1:
			k ^= tail[0];
			k *= c1;
			k = rotl32(k, 15);
			k *= c2;
			h ^= k;
	}

	/* finalisation: the length (mod 2^32, as the reference does) and fmix32 */
	h ^= (uint32) len;
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

void
hash_feature_add(double *out, int width, const char *key, Size len,
				 double w, bool alternate_sign, uint32 seed)
{
	uint32		u = murmur3_32(key, len, seed);
	int32		h = (int32) u;
	uint32		mag = h < 0 ? (uint32) 0 - u : u;	/* |h|, 2^31 for INT32_MIN */

	Assert(width > 0);
	out[mag % (uint32) width] += (alternate_sign && h < 0) ? -w : w;
}

double
hash_unit(const char *key, Size len, uint32 seed)
{
	return (double) murmur3_32(key, len, seed) / 4294967296.0;
}
