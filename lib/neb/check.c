/* Checks of a band before it runs: something can move, and the two end points are
 * one system atom by atom.
 *
 * Swapped atoms. Atoms are matched between the end points by their order, and the
 * band moves each atom along its minimum-image displacement d_ii = |x1_i - x0_i|.
 * When the final structure lists two atoms of one element in the other order (or
 * two atoms really exchange places), each of them crosses to where the other one
 * started: a linear or IDPP path then drives them through each other and the NEB
 * "converges" to a barrier of tens of eV. The check: M = the atoms that move more
 * than SWAP_MOVE; sigma(i) = the atom of M whose final position is nearest to the
 * initial position of i (d_{i sigma(i)}). A cycle i -> sigma(i) -> ... -> i of two
 * or more atoms is a relabelling of those atoms; it is reported when it cuts their
 * total displacement to below SWAP_RATIO of what it is (a swap of two atoms
 * typically to a few hundredths). An ordinary hop moves one atom (a vacancy or
 * interstitial hop) or moves one atom onto another's site while that one moves on
 * (interstitialcy: a chain, not a cycle, or a cycle that saves little: a collinear
 * kick-out saves nothing), so it is not reported. Cost O(|M|^2) minimum-image
 * distances; above SWAP_MAX_MOVING moving atoms the check is skipped with a
 * warning. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neb.h"
#include "../structure/structure.h"

#define SWAP_MOVE 0.5         /* A: atoms that move less cannot have swapped */
#define SWAP_RATIO 0.25       /* a relabelling must cut the displacement below this */
#define SWAP_MAX_MOVING 4096  /* more moving atoms: not checked */
#define FIXED_MOVE 0.1        /* A: a fixed atom moving more than this gets a warning */

static const char *symbol(int z) {
  const char *sym = "?";
  if (mb_element_symbol(z, &sym) != MB_OK) sym = "?";
  return sym;
}

/* |mic(x1_j - x0_i)| for end points x0, x1. */
static double cross(const mb_band *b, const double *x0, const double *x1, int i, int j) {
  double v[3];
  for (int k = 0; k < 3; k++) v[k] = x1[3 * j + k] - x0[3 * i + k];
  mb__minimum_image(b->lattice, b->inverse, v);
  return sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
}

/* Append a description of the cycle starting at atom `first` (sigma given) to msg. */
static void describe_cycle(const mb_band *b, const double *x0, const double *x1,
                           const int *moving, const int *sigma, int first, int len,
                           char *msg, size_t size) {
  size_t used = strlen(msg);
  int same = 1;
  for (int k = 0, i = first; k < len; k++, i = sigma[i])
    same &= b->numbers[moving[i]] == b->numbers[moving[first]];
  if (len == 2) {
    int a = moving[first], c = moving[sigma[first]];
    snprintf(msg + used, size - used,
             "atoms %d (%s) and %d (%s) swap places between the initial and final "
             "structures: atom %d moves %.2f A and atom %d moves %.2f A, but atom %d ends "
             "%.2f A from where atom %d starts and atom %d %.2f A from where atom %d starts",
             a, symbol(b->numbers[a]), c, symbol(b->numbers[c]), a, cross(b, x0, x1, a, a), c,
             cross(b, x0, x1, c, c), c, cross(b, x0, x1, a, c), a, a, cross(b, x0, x1, c, a),
             c);
  } else {
    int n = snprintf(msg + used, size - used, "atoms");
    used += n > 0 ? (size_t)n : 0;
    for (int k = 0, i = first; k < len && used < size; k++, i = sigma[i]) {
      n = snprintf(msg + used, size - used, "%s %d (%s, moves %.2f A)", k ? "," : "",
                   moving[i], symbol(b->numbers[moving[i]]),
                   cross(b, x0, x1, moving[i], moving[i]));
      used += n > 0 ? (size_t)n : 0;
    }
    if (used < size)
      snprintf(msg + used, size - used,
               " exchange places in a cycle between the initial and final structures: "
               "each ends where the next one starts");
  }
  used = strlen(msg);
  if (used < size)
    snprintf(msg + used, size - used,
             same ? " (the final structure probably lists these %s atoms in another order)"
                  : " (an exchange of atoms of different elements%s)",
             same ? symbol(b->numbers[moving[first]]) : "");
}

/* Find swap cycles; writes the first one's description into msg (empty if none). */
static mb_status find_swaps(mb_band *b, char *msg, size_t size, int *ncycles) {
  size_t n = 3 * (size_t)b->natoms;
  const double *x0 = b->pos, *x1 = b->pos + (size_t)(b->nimages - 1) * n;
  *ncycles = 0;
  msg[0] = '\0';
  int nm = 0;
  for (int i = 0; i < b->natoms; i++) nm += cross(b, x0, x1, i, i) > SWAP_MOVE;
  if (nm < 2) return MB_OK;
  if (nm > SWAP_MAX_MOVING) {
    mb__log(&b->log, MB_LOG_WARNING,
            "warning: %d atoms move more than %.1f A between the initial and final "
            "structures; the check for swapped atoms was skipped (over %d)",
            nm, SWAP_MOVE, SWAP_MAX_MOVING);
    return MB_OK;
  }
  int *moving = mb__malloc((size_t)nm, sizeof(int)), *sigma = mb__malloc((size_t)nm, sizeof(int));
  int *seen = mb__calloc((size_t)nm, sizeof(int));
  double *own = mb__malloc((size_t)nm, sizeof(double)), *best = mb__malloc((size_t)nm, sizeof(double));
  mb_status st = MB_OK;
  if (!moving || !sigma || !seen || !own || !best) {
    st = MB_ERR_NOMEM;
    goto cleanup;
  }
  nm = 0;
  for (int i = 0; i < b->natoms; i++) {
    double d = cross(b, x0, x1, i, i);
    if (d > SWAP_MOVE) own[nm] = d, moving[nm++] = i;
  }
  for (int p = 0; p < nm; p++) {
    sigma[p] = p;
    best[p] = own[p];
    for (int q = 0; q < nm; q++) {
      double d = cross(b, x0, x1, moving[p], moving[q]);
      if (d < best[p] - 1e-9) best[p] = d, sigma[p] = q;
    }
  }
  /* follow each unvisited start; a cycle is found when the walk returns to an atom of
   * the same walk */
  for (int p = 0; p < nm; p++) {
    if (seen[p]) continue;
    int q = p;
    while (!seen[q]) {
      seen[q] = p + 1;
      q = sigma[q];
    }
    if (seen[q] != p + 1 || sigma[q] == q) continue; /* an older walk, or a fixed point */
    double before = 0, after = 0;
    int len = 0, r = q;
    do {
      before += own[r];
      after += best[r];
      len++;
      r = sigma[r];
    } while (r != q);
    if (after < SWAP_RATIO * before) {
      if (++*ncycles == 1) describe_cycle(b, x0, x1, moving, sigma, q, len, msg, size);
    }
  }
cleanup:
  free(moving);
  free(sigma);
  free(seen);
  free(own);
  free(best);
  return st;
}

mb_status mb__band_check_endpoints(mb_band *b) {
  size_t n = 3 * (size_t)b->natoms;
  int nfree = 0;
  for (size_t c = 0; c < n; c++) nfree += b->free[c] != 0;
  if (nfree == 0)
    return mb__error(MB_ERR_INVALID_ARG,
                     "every coordinate of all %d atoms is fixed (selective dynamics of the "
                     "initial structure, or mb_band_set_fixed): no image can move, so there is "
                     "no band to optimise; free at least the atoms that migrate",
                     b->natoms);
  const double *x0 = b->pos, *x1 = b->pos + (size_t)(b->nimages - 1) * n;
  for (int a = 0; a < b->natoms; a++) {
    double d = cross(b, x0, x1, a, a);
    int fixed = !b->free[3 * a] || !b->free[3 * a + 1] || !b->free[3 * a + 2];
    if (fixed && d > FIXED_MOVE)
      mb__log(&b->log, MB_LOG_WARNING,
              "warning: atom %d (%s) has fixed coordinates but moves %.2f A between the "
              "initial and final structures: along those coordinates it stays on the "
              "interpolated path",
              a, symbol(b->numbers[a]), d);
  }
  char msg[1024];
  int ncycles = 0;
  mb_status st = find_swaps(b, msg, sizeof msg, &ncycles);
  if (st || ncycles == 0) return st;
  char more[64] = "";
  if (ncycles > 1) snprintf(more, sizeof more, " (and %d more such group%s)", ncycles - 1,
                            ncycles > 2 ? "s" : "");
  if (b->allow_exchange) {
    mb__log(&b->log, MB_LOG_WARNING, "warning: %s%s; running as asked (MB_BAND_ALLOW_EXCHANGE)",
            msg, more);
    return MB_OK;
  }
  return mb__error(MB_ERR_GEOMETRY,
                   "the end points are not the same system atom by atom: %s%s. Put the atoms "
                   "of the final structure in the order of the initial one; if the exchange is "
                   "the mechanism you want, set MB_BAND_ALLOW_EXCHANGE (migbar neb "
                   "--allow-exchange)",
                   msg, more);
}
