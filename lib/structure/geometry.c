/* Geometry of a structure: wrapping, supercells, minimum images, volume. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "structure.h"

#define CHECK_HANDLE(s, fn) \
  if (!(s)) return mb__error(MB_ERR_INVALID_ARG, fn ": structure is NULL")

MB_API mb_status mb_structure_wrap(mb_structure *s) {
  CHECK_HANDLE(s, "mb_structure_wrap");
  for (int i = 0; i < s->natoms; i++) {
    double *f = s->frac + 3 * i;
    for (int k = 0; k < 3; k++) {
      f[k] -= floor(f[k]);
      if (f[k] >= 1.0) f[k] = 0.0; /* -1e-17 - floor() rounds up to 1.0 */
    }
  }
  return MB_OK;
}

/* Lattice points of the supercell P, as integer translations of the old cell:
 * the n with n P^-1 in [0,1)^3, in lexicographic order. */
static mb_status supercell_translations(const int P[9], int **out, long *count) {
  double Pd[9], Pinv[9];
  for (int k = 0; k < 9; k++) Pd[k] = P[k];
  long det = lround(mb__det3(Pd));
  if (det <= 0)
    return mb__error(MB_ERR_INVALID_ARG, "supercell matrix has determinant %ld (must be > 0)", det);
  if (det > 100000000L)
    return mb__error(MB_ERR_RANGE, "supercell matrix multiplies the cell %ld times", det);
  mb__inv3(Pd, Pinv);
  int lo[3] = {0, 0, 0}, hi[3] = {0, 0, 0};
  for (int c = 0; c < 8; c++)
    for (int k = 0; k < 3; k++) {
      int v = ((c & 1) ? P[k] : 0) + ((c & 2) ? P[3 + k] : 0) + ((c & 4) ? P[6 + k] : 0);
      if (v < lo[k]) lo[k] = v;
      if (v > hi[k]) hi[k] = v;
    }
  int *t = mb__malloc((size_t)det * 3, sizeof(int));
  if (!t) return MB_ERR_NOMEM;
  long n = 0;
  for (int a = lo[0]; a <= hi[0]; a++)
    for (int b = lo[1]; b <= hi[1]; b++)
      for (int c = lo[2]; c <= hi[2]; c++) {
        double v[3] = {a, b, c}, f[3];
        mb__vecmat3(v, Pinv, f);
        int inside = 1;
        for (int k = 0; k < 3; k++) inside &= f[k] > -1e-9 && f[k] < 1 - 1e-9;
        if (!inside) continue;
        if (n == det) { free(t); return mb__error(MB_ERR_INTERNAL, "supercell: too many lattice points"); }
        t[3 * n] = a;
        t[3 * n + 1] = b;
        t[3 * n + 2] = c;
        n++;
      }
  if (n != det) {
    free(t);
    return mb__error(MB_ERR_INTERNAL, "supercell: found %ld lattice points, expected %ld", n, det);
  }
  *out = t;
  *count = det;
  return MB_OK;
}

MB_API mb_status mb_structure_supercell(const mb_structure *s, const int matrix[9],
                                        mb_structure **out) {
  CHECK_HANDLE(s, "mb_structure_supercell");
  if (!matrix || !out) return mb__error(MB_ERR_INVALID_ARG, "mb_structure_supercell: NULL argument");
  int *t = NULL;
  long ncell = 0;
  mb_status st = supercell_translations(matrix, &t, &ncell);
  if (st) return st;
  if (ncell * s->natoms > 100000000L) {
    free(t);
    return mb__error(MB_ERR_RANGE, "supercell would hold %ld atoms", ncell * s->natoms);
  }
  int n = (int)(ncell * s->natoms);
  double lattice[9] = {0};
  for (int r = 0; r < 3; r++)
    for (int k = 0; k < 3; k++)
      for (int m = 0; m < 3; m++) lattice[3 * r + k] += matrix[3 * r + m] * s->lattice[3 * m + k];
  double *pos = mb__malloc((size_t)n * 3, sizeof(double));
  int *num = mb__malloc((size_t)n, sizeof(int));
  int *sel = s->selective ? mb__malloc((size_t)n * 3, sizeof(int)) : NULL;
  mb_structure *c = NULL;
  if (!pos || !num || (s->selective && !sel)) { st = MB_ERR_NOMEM; goto done; }
  for (long m = 0; m < ncell; m++) {
    double tv[3] = {t[3 * m], t[3 * m + 1], t[3 * m + 2]}, shift[3], r[3];
    mb__vecmat3(tv, s->lattice, shift);
    for (int i = 0; i < s->natoms; i++) {
      long a = m * s->natoms + i;
      mb__structure_cart(s, i, r);
      for (int k = 0; k < 3; k++) pos[3 * a + k] = r[k] + shift[k];
      num[a] = s->numbers[i];
      if (sel) memcpy(sel + 3 * a, s->selective + 3 * i, 3 * sizeof(int));
    }
  }
  st = mb__structure_new(lattice, n, pos, MB_COORDS_CARTESIAN, num, &c);
  if (!st && sel) st = mb_structure_set_selective(c, sel);
  if (!st) {
    *out = c;
    c = NULL;
  }
done:
  mb_structure_free(c);
  free(t);
  free(pos);
  free(num);
  free(sel);
  return st;
}

/* Round to the nearest lattice translation in fractional coordinates, then search
 * the images that can still be shorter: a vector v0 + nL no longer than v0 has
 * |f_k + n_k| <= |v0| / h_k along each axis (h_k: height of the cell), so
 * |n_k| <= |v0|/h_k + 1/2. Exact for any cell, however skewed. */
void mb__minimum_image(const double lattice[9], const double inverse[9], double v[3]) {
  double f[3], h[3];
  mb__vecmat3(v, inverse, f);
  for (int k = 0; k < 3; k++) f[k] -= nearbyint(f[k]);
  double v0[3];
  mb__vecmat3(f, lattice, v0);
  double best = mb__dot3(v0, v0), d0 = sqrt(best);
  mb__cell_heights(lattice, h);
  int nmax[3];
  for (int k = 0; k < 3; k++) nmax[k] = (int)floor(d0 / h[k] + 0.5);
  double bestv[3] = {v0[0], v0[1], v0[2]};
  for (int a = -nmax[0]; a <= nmax[0]; a++)
    for (int b = -nmax[1]; b <= nmax[1]; b++)
      for (int c = -nmax[2]; c <= nmax[2]; c++) {
        double w[3];
        for (int k = 0; k < 3; k++)
          w[k] = v0[k] + a * lattice[k] + b * lattice[3 + k] + c * lattice[6 + k];
        double d = mb__dot3(w, w);
        if (d < best - 1e-12) {
          best = d;
          memcpy(bestv, w, sizeof bestv);
        }
      }
  memcpy(v, bestv, sizeof bestv);
}

MB_API mb_status mb_structure_displacement(const mb_structure *s, int i, int j,
                                           double vector[3]) {
  CHECK_HANDLE(s, "mb_structure_displacement");
  if (!vector) return mb__error(MB_ERR_INVALID_ARG, "mb_structure_displacement: NULL output");
  if (i < 0 || i >= s->natoms || j < 0 || j >= s->natoms)
    return mb__error(MB_ERR_RANGE, "atom pair (%d, %d) outside 0..%d", i, j, s->natoms - 1);
  double v[3], f[3];
  for (int k = 0; k < 3; k++) f[k] = s->frac[3 * j + k] - s->frac[3 * i + k];
  mb__vecmat3(f, s->lattice, v);
  mb__minimum_image(s->lattice, s->inverse, v);
  memcpy(vector, v, sizeof v);
  return MB_OK;
}

MB_API mb_status mb_structure_distance(const mb_structure *s, int i, int j,
                                       double *distance) {
  if (!distance) return mb__error(MB_ERR_INVALID_ARG, "mb_structure_distance: NULL output");
  double v[3];
  mb_status st = mb_structure_displacement(s, i, j, v);
  if (!st) *distance = mb__norm3(v);
  return st;
}

MB_API mb_status mb_structure_volume(const mb_structure *s, double *volume_A3) {
  CHECK_HANDLE(s, "mb_structure_volume");
  if (!volume_A3) return mb__error(MB_ERR_INVALID_ARG, "mb_structure_volume: NULL output");
  *volume_A3 = fabs(mb__det3(s->lattice));
  return MB_OK;
}

MB_API mb_status mb_structure_density(const mb_structure *s, double *density_g_cm3) {
  CHECK_HANDLE(s, "mb_structure_density");
  if (!density_g_cm3) return mb__error(MB_ERR_INVALID_ARG, "mb_structure_density: NULL output");
  /* 1 u / A^3 = 1.66053906660 g/cm^3 (CODATA 2018 atomic mass constant). */
  double mass = 0;
  for (int i = 0; i < s->natoms; i++) {
    double m;
    mb_element_mass(s->numbers[i], &m);
    mass += m;
  }
  *density_g_cm3 = mass / fabs(mb__det3(s->lattice)) * 1.66053906660;
  return MB_OK;
}
