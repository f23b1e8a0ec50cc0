/* End points of a distinct hop, as the em data set lays out a band (its README):
 * the host is the supercell without the moving ion and without the destination
 * site (a vacancy hop), the initial structure is host + ion at its start site, the
 * final one host + ion at the destination. Both keep the same atom order, so the
 * ion is the one atom that moves and mb_*_predict_band, NEB and the band writers take
 * them as they are.
 *
 * The supercell is the smallest diagonal repetition n_k of the cell whose heights
 * n_k h_k are all at least max(min_separation, 2 L + 0.5 A): the ion's periodic
 * images are then at least min_separation apart (every non-zero lattice vector is at
 * least as long as the smallest height), and since every lattice vector is longer
 * than 2 L the hop vector (length L) is the unique minimum image, which is how the
 * band is interpolated. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hops.h"

/* Added to 2 L in the height rule, A. */
#define HOPS_IMAGE_MARGIN 0.5

mb_status mb__hops_supercell(const mb_hops *h, int g, int reps[3]) {
  double heights[3], target = fmax(h->min_separation, 2 * h->groups[g].length + HOPS_IMAGE_MARGIN);
  mb__cell_heights(h->s->lattice, heights);
  double total = h->s->natoms;
  for (int k = 0; k < 3; k++) {
    double n = ceil(target / heights[k] - 1e-9);
    reps[k] = n < 1 ? 1 : n > 1e6 ? 1000000 : (int)n;
    total *= reps[k];
  }
  if (total > h->max_atoms)
    return mb__error(MB_ERR_RANGE, "hops: the end points of distinct hop %d need a %dx%dx%d "
                     "supercell of %.0f atoms, more than the max atoms %d (cell heights %.3g, "
                     "%.3g, %.3g A; each must reach %.3g A)", g, reps[0], reps[1], reps[2], total,
                     h->max_atoms, heights[0], heights[1], heights[2], target);
  return MB_OK;
}

/* The atom of element z in s nearest (minimum image) to the Cartesian point p. */
static int nearest_atom(const mb_structure *s, int z, const double p[3]) {
  int best = -1;
  double best_d = INFINITY;
  for (int a = 0; a < s->natoms; a++) {
    if (s->numbers[a] != z) continue;
    double r[3], d[3];
    mb__structure_cart(s, a, r);
    for (int c = 0; c < 3; c++) d[c] = r[c] - p[c];
    mb__minimum_image(s->lattice, s->inverse, d);
    double dist = mb__norm3(d);
    if (dist < best_d) best_d = dist, best = a;
  }
  return best;
}

mb_status mb__hops_end_points(const mb_hops *h, int g, mb_structure **initial,
                              mb_structure **final, int *ion) {
  int reps[3];
  mb_status st = mb__hops_supercell(h, g, reps);
  if (st) return st;
  const mb__hop *hop = &h->groups[g].rep;
  int P[9] = {reps[0], 0, 0, 0, reps[1], 0, 0, 0, reps[2]};
  mb_structure *super = NULL, *a = NULL, *b = NULL;
  double *frac = NULL;
  int *z = NULL;
  if ((st = mb_structure_supercell(h->s, P, &super))) return st;
  int n = super->natoms - 1;
  double p0[3], v[3], p1[3], f0[3];
  for (int c = 0; c < 3; c++) f0[c] = h->site_frac[3 * hop->i + c];
  mb__vecmat3(f0, h->s->lattice, p0);
  mb__hops_vector(h, hop, v);
  for (int c = 0; c < 3; c++) p1[c] = p0[c] + v[c];
  int start = nearest_atom(super, h->z, p0), end = nearest_atom(super, h->z, p1);
  if (start < 0 || end < 0 || start == end) {
    st = mb__error(MB_ERR_INTERNAL, "hops: end sites of distinct hop %d not found in the "
                   "supercell", g);
    goto done;
  }
  frac = mb__malloc(3 * (size_t)n, sizeof *frac);
  z = mb__malloc((size_t)n, sizeof *z);
  if (!frac || !z) {
    st = MB_ERR_NOMEM;
    goto done;
  }
  /* atoms grouped by element in the order elements first appear (clean POSCAR species
   * blocks), the destination left out */
  int at = 0, moving = -1;
  unsigned char seen[128] = {0}; /* atomic numbers are 1..118 */
  for (int first = 0; first < super->natoms; first++) {
    int el = super->numbers[first];
    if (seen[el]) continue;
    seen[el] = 1;
    for (int q = first; q < super->natoms; q++) {
      if (super->numbers[q] != el || q == end) continue;
      if (q == start) moving = at;
      for (int c = 0; c < 3; c++) {
        double f = super->frac[3 * q + c] - floor(super->frac[3 * q + c]);
        frac[3 * at + c] = f >= 1.0 ? 0.0 : f;
      }
      z[at++] = el;
    }
  }
  if ((st = mb_structure_create(super->lattice, n, frac, MB_COORDS_FRACTIONAL, z, &a))) goto done;
  for (int c = 0; c < 3; c++) {
    double f = super->frac[3 * end + c] - floor(super->frac[3 * end + c]);
    frac[3 * moving + c] = f >= 1.0 ? 0.0 : f;
  }
  if ((st = mb_structure_create(super->lattice, n, frac, MB_COORDS_FRACTIONAL, z, &b))) goto done;
  *initial = a, *final = b, *ion = moving;
  a = b = NULL;
done:
  mb_structure_free(super);
  mb_structure_free(a);
  mb_structure_free(b);
  free(frac), free(z);
  return st;
}
