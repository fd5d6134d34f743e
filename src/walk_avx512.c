/* walk_avx512.c: the flat walk (flat.h) with AVX-512, sixteen rows to a
 * register.
 *
 * Only the functions marked AVX512 use the instructions; score.c calls
 * them only when the processor has them.  The nodes of levels 0 to 7
 * (words 0..255 of a tree) stay in up to sixteen registers and are looked
 * up with permutes, which pick from 32 words; deeper levels, the rows'
 * ranks for more than four features, and the leaves are gathered.  A
 * step of one register depends on the one before, so GROUPS registers of
 * rows walk side by side to keep the processor busy.  Each row's sum
 * takes the trees in order, as the portable walk does, so the two give
 * bit-identical sums.  With the range penalty a node's lo and span are
 * looked up as its word is, and a row outside the node's range stays:
 * a mask keeps it there, as the lookups of a level are for the nodes of
 * that level. */
#include "flat.h"

#ifdef FLAT_HAVE_AVX512
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))

enum { GROUPS = 4 };

/* One tree's nodes, as the walk holds them. */
struct tree_regs {
	__m512i w[16];         /* node words 0..255 */
	__m512i lo[16];        /* range penalty: lo and span of */
	__m512i span[16];      /* nodes 0..255 */
	const uint32_t *node;  /* all of them */
	const uint32_t *range_lo, *range_span; /* range penalty: all */
	const double *leaf;
};

/* The words at i from the 32 words 32p .. 32p + 31 of w, for each lane. */
AVX512 static inline __attribute__((always_inline)) __m512i
pair_words(const __m512i *w, unsigned p, __m512i i)
{
	return _mm512_permutex2var_epi32(w[2 * p], i, w[2 * p + 1]);
}

/* The words at i on level 0 to 7 (words 2^level .. 2^(level+1) - 1) of w,
 * words 0..255: bits 5 and 6 of i say which 32 of them. */
AVX512 static inline __attribute__((always_inline)) __m512i
level_words(const __m512i *w, unsigned level, __m512i i)
{
	__mmask16 b5 = _mm512_test_epi32_mask(i, _mm512_set1_epi32(32));

	if (level < 5)
		return pair_words(w, 0, i);
	if (level == 5)
		return pair_words(w, 1, i);
	if (level == 6)
		return _mm512_mask_blend_epi32(b5, pair_words(w, 2, i),
		                               pair_words(w, 3, i));
	return _mm512_mask_blend_epi32(
	    _mm512_test_epi32_mask(i, _mm512_set1_epi32(64)),
	    _mm512_mask_blend_epi32(b5, pair_words(w, 4, i),
	                            pair_words(w, 5, i)),
	    _mm512_mask_blend_epi32(b5, pair_words(w, 6, i),
	                            pair_words(w, 7, i)));
}

/* The words at i on any level: looked up in w up to level 7, gathered
 * from all below it. */
AVX512 static inline __attribute__((always_inline)) __m512i
any_level_words(const __m512i *w, const uint32_t *all, unsigned level,
                __m512i i)
{
	if (level < 8)
		return level_words(w, level, i);
	return _mm512_i32gather_epi32(i, all, 4);
}

/* One level down for the rows of i: to 2i, or 2i + 1 for the rows whose
 * rank exceeds the node's (*right).  A rank (*v) is picked from the
 * registers x when there are up to four features (d), else gathered from
 * the block. */
AVX512 static inline __attribute__((always_inline)) __m512i
step(const struct flat *fl, __m512i i, __m512i w, const __m512i *x,
     size_t d, const uint32_t *rank, __m512i row, __m512i *rank_out,
     __mmask16 *right_out)
{
	const __m512i f = _mm512_and_si512(
	    w, _mm512_set1_epi32((int)((1u << fl->fbits) - 1)));
	__m512i v;
	__mmask16 right;
	size_t k;

	if (d <= 4) {
		v = x[0];
		for (k = 1; k < d; k++)
			v = _mm512_mask_blend_epi32(_mm512_cmpeq_epi32_mask(
			    f, _mm512_set1_epi32((int)k)), v, x[k]);
	} else {
		v = _mm512_i32gather_epi32(_mm512_add_epi32(
		    _mm512_slli_epi32(f, FLAT_BLOCK_SHIFT), row), rank, 4);
	}
	right = _mm512_cmpgt_epu32_mask(
	    v, _mm512_srl_epi32(w, _mm_cvtsi32_si128((int)fl->fbits)));
	*rank_out = v;
	*right_out = right;
	i = _mm512_add_epi32(i, i);
	return _mm512_mask_add_epi32(i, right, i, _mm512_set1_epi32(1));
}

/* Step the rows of i from `level`; with ranged, only the rows in (those
 * inside every range so far) whose rank is inside the node's range, and
 * the others leave in (flat.h).  The words are looked up as for level 0
 * when low (a level below 5, a constant where it is inlined), else as
 * for level. */
AVX512 static inline __attribute__((always_inline)) __m512i
level_step(const struct flat *fl, const struct tree_regs *tr, int low,
           unsigned level, __m512i i, const __m512i *x, size_t d,
           const uint32_t *rank, __m512i row, int ranged, __mmask16 *in)
{
	unsigned at = low ? 0 : level;
	__m512i v, lo, span;
	__mmask16 right;
	__m512i next = step(fl, i, any_level_words(tr->w, tr->node, at, i),
	                    x, d, rank, row, &v, &right);

	if (!ranged)
		return next;
	lo = any_level_words(tr->lo, tr->range_lo, at, i);
	span = any_level_words(tr->span, tr->range_span, at, i);
	*in = _mm512_mask_cmplt_epu32_mask(*in, _mm512_sub_epi32(v, lo),
	                                   span);
	return _mm512_mask_mov_epi32(i, *in, next);
}

/* Walk GROUPS registers of rows from row r down one tree and add their
 * leaves (with ranged, the paths of the nodes they stayed at) to sums; lanes past
 * row n are walked but not added.  d is the number of features when it is
 * at most four, else 0; d and ranged are constants where it is inlined. */
AVX512 static inline __attribute__((always_inline)) void
walk_groups(const struct flat *fl, const struct tree_regs *tr,
            const uint32_t *rank, size_t r, size_t n, double *sums,
            size_t d, int ranged)
{
	const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
	                                       10, 11, 12, 13, 14, 15);
	__m512i i[GROUPS], x[GROUPS][4], row[GROUPS];
	__mmask16 in[GROUPS];
	unsigned level;
	size_t g, k;

	if (d == 0)
		d = 5; /* any number over four: ranks are gathered */
	for (g = 0; g < GROUPS; g++) {
		size_t first = r + 16 * g;

		i[g] = _mm512_set1_epi32(1);
		in[g] = 0xffff;
		row[g] = _mm512_add_epi32(lane, _mm512_set1_epi32((int)first));
		for (k = 0; k < 4 && k < d; k++)
			x[g][k] = _mm512_load_si512(
			    rank + (k << FLAT_BLOCK_SHIFT) + first);
	}
	/* Levels 0-4 from words 0..31, then 5-7 from 32..255, then gathers;
	 * the loops are split there so each level's lookup is inlined. */
	for (level = 0; level < fl->depth && level < 5; level++)
		for (g = 0; g < GROUPS; g++)
			i[g] = level_step(fl, tr, 1, level, i[g], x[g], d,
			                  rank, row[g], ranged,
			                  &in[g]);
	for (level = 5; level < fl->depth && level < 8; level++)
		for (g = 0; g < GROUPS; g++)
			i[g] = level_step(fl, tr, 0, level, i[g], x[g], d,
			                  rank, row[g], ranged,
			                  &in[g]);
	for (level = 8; level < fl->depth; level++)
		for (g = 0; g < GROUPS; g++)
			i[g] = level_step(fl, tr, 0, level, i[g], x[g], d,
			                  rank, row[g], ranged,
			                  &in[g]);
	for (g = 0; g < GROUPS; g++) {
		size_t first = r + 16 * g, left = first < n ? n - first : 0;
		unsigned live = left >= 16 ? 0xffff : (1u << left) - 1;
		__mmask8 lo_live = (__mmask8)live, hi_live = (__mmask8)(live >> 8);
		__m512i leaf = _mm512_sub_epi32(
		    i[g], _mm512_set1_epi32((int)fl->leaf_first));
		__m512d lo = _mm512_i32gather_pd(_mm512_castsi512_si256(leaf),
		                                 tr->leaf, 8);
		__m512d hi = _mm512_i32gather_pd(
		    _mm512_extracti64x4_epi64(leaf, 1), tr->leaf, 8);

		_mm512_mask_storeu_pd(sums + first, lo_live, _mm512_add_pd(
		    _mm512_maskz_loadu_pd(lo_live, sums + first), lo));
		_mm512_mask_storeu_pd(sums + first + 8, hi_live, _mm512_add_pd(
		    _mm512_maskz_loadu_pd(hi_live, sums + first + 8), hi));
	}
}

/* The walk of one tree for the whole block, with d and ranged as
 * walk_groups takes them: each call below has its own constants, so each
 * is compiled for them. */
AVX512 static inline __attribute__((always_inline)) void
walk_tree(const struct flat *fl, const struct tree_regs *tr,
          const uint32_t *rank, size_t n, double *sums, size_t d,
          int ranged)
{
	size_t r;

	for (r = 0; r < n; r += 16 * GROUPS)
		walk_groups(fl, tr, rank, r, n, sums, d, ranged);
}

/* Words 0..255 of a tree's words of which there are `count`, the rest
 * 0. */
AVX512 static inline __attribute__((always_inline)) void
load_words(__m512i *w, const uint32_t *word, size_t count)
{
	size_t k;

	for (k = 0; k < 16; k++)
		w[k] = 16 * k < count ? _mm512_load_si512(word + 16 * k) :
		                        _mm512_setzero_si512();
}

AVX512 static inline __attribute__((always_inline)) void
walk_all(const struct flat *fl, const uint32_t *rank, size_t n,
         double *sums, int ranged)
{
	size_t t;

	for (t = 0; t < fl->ntree; t++) {
		struct tree_regs tr;

		tr.node = fl->node + t * fl->stride;
		tr.leaf = fl->leaf + t * fl->leaf_stride;
		/* A tree has at least words 0..31 (FLAT_MIN_STRIDE). */
		load_words(tr.w, tr.node, fl->stride);
		if (ranged) {
			tr.range_lo = fl->range_lo + t * fl->stride;
			tr.range_span = fl->range_span + t * fl->stride;
			load_words(tr.lo, tr.range_lo, fl->stride);
			load_words(tr.span, tr.range_span, fl->stride);
		}
		switch (fl->nfeature) {
		case 1: walk_tree(fl, &tr, rank, n, sums, 1, ranged); break;
		case 2: walk_tree(fl, &tr, rank, n, sums, 2, ranged); break;
		case 3: walk_tree(fl, &tr, rank, n, sums, 3, ranged); break;
		case 4: walk_tree(fl, &tr, rank, n, sums, 4, ranged); break;
		default: walk_tree(fl, &tr, rank, n, sums, 0, ranged); break;
		}
	}
}

AVX512 void
flat_walk_avx512(const struct flat *fl, const uint32_t *rank, size_t n,
                 double *sums)
{
	walk_all(fl, rank, n, sums, 0);
}

AVX512 void
flat_walk_avx512_ranged(const struct flat *fl, const uint32_t *rank,
                        size_t n, double *sums)
{
	walk_all(fl, rank, n, sums, 1);
}

#else
typedef int walk_avx512_unused; /* ISO C wants something to compile */
#endif
