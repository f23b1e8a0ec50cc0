/* Space-group symmetry of the SCF (scf.h): the operations {W|t} (x' = W x + t, reduced
 * coordinates) from spglib, the permutation of the atoms under each, and the
 * symmetrisation of the density and of the forces.
 *
 * Density. With rho(x) = sum_m c(m) e^{2 pi i m.x} (m integer, reduced G), the image
 * rho(W x + t) has the coefficients c(W^-T m) e^{2 pi i (W^-T m).t}, so the projection
 * onto the symmetric densities (the group average) is
 *   c_sym(m) = 1/nop sum_o c(W_o^-T m) exp(2 pi i (W_o^-T m).t_o)
 * (ABINIT's symrhg does the same in G space). Working in G space needs no FFT box that
 * is invariant under the operations: a density built from plane waves within ecut has
 * no component outside the sphere |G| <= 2 sqrt(2 ecut), which the box holds strictly
 * inside its Nyquist planes (boxcutmin 2, fftgrid.c), and rotations keep |G|. So an
 * image m' that leaves the box (or lands on a Nyquist plane) means m is outside that
 * sphere, where c is zero: such m are set to zero, which is exact.
 *
 * Forces. E(S R) = E(R) for each operation S gives F_{S(a)}(R) = W_c F_a(R) with the
 * Cartesian rotation W_c = A^T W A^-T (A: lattice rows), hence the symmetric part
 *   F_a = 1/nop sum_o W_c,o^-1 F_{S_o(a)}. */
#include <complex.h>
#include <math.h>
#include <spglib.h>
#include <stdlib.h>
#include <string.h>

#include "../structure/structure.h"
#include "scf.h"

void mb__symm_free(mb__symm *s) {
  if (!s) return;
  free(s->rot), free(s->trans), free(s->rinv_c), free(s->map);
  free(s);
}

static mb__symm *symm_alloc(int nop, int natoms) {
  mb__symm *s = mb__calloc(1, sizeof *s);
  if (!s) return NULL;
  s->nop = nop, s->natoms = natoms;
  s->rot = mb__malloc(9 * (size_t)nop, sizeof(int));
  s->trans = mb__malloc(3 * (size_t)nop, sizeof(double));
  s->rinv_c = mb__malloc(9 * (size_t)nop, sizeof(double));
  s->map = mb__malloc((size_t)nop * natoms, sizeof(int));
  if (!s->rot || !s->trans || !s->rinv_c || !s->map) {
    mb__symm_free(s);
    return NULL;
  }
  return s;
}

/* Integer inverse of a unimodular W (adjugate over the determinant, +-1). */
static void inverse_int(const int w[9], int inv[9]) {
  int det = w[0] * (w[4] * w[8] - w[5] * w[7]) - w[1] * (w[3] * w[8] - w[5] * w[6]) +
            w[2] * (w[3] * w[7] - w[4] * w[6]);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) {
      /* cofactor of (j, i) */
      int r0 = (j + 1) % 3, r1 = (j + 2) % 3, c0 = (i + 1) % 3, c1 = (i + 2) % 3;
      inv[3 * i + j] = (w[3 * r0 + c0] * w[3 * r1 + c1] - w[3 * r0 + c1] * w[3 * r1 + c0]) * det;
    }
}

mb_status mb__symm_find(const double lattice[9], int natoms, const double *frac,
                        const int *types, double symprec, mb__symm **out) {
  if (!lattice || !frac || !types || !out || natoms < 1 || !(symprec > 0))
    return mb__error(MB_ERR_INVALID_ARG, "mb__symm_find: NULL argument, natoms %d or "
                     "symprec %g", natoms, symprec);
  *out = NULL;
  double ainv[9];
  if (mb__inv3(lattice, ainv))
    return mb__error(MB_ERR_GEOMETRY, "mb__symm_find: singular lattice");
  double lat[3][3];
  for (int r = 0; r < 3; r++) /* spglib wants lattice vectors as columns */
    for (int k = 0; k < 3; k++) lat[k][r] = lattice[3 * r + k];
  double(*pos)[3] = mb__malloc((size_t)natoms, sizeof *pos);
  if (!pos) return MB_ERR_NOMEM;
  memcpy(pos, frac, (size_t)natoms * sizeof *pos);
  mb__spglib_lock(); /* spglib keeps global state */
  SpglibDataset *ds = spg_get_dataset(lat, pos, types, natoms, symprec);
  mb__spglib_unlock();
  free(pos);
  mb_status st = MB_OK;
  mb__symm *s = NULL;
  if (!ds || ds->n_operations < 1) {
    st = mb__error(MB_ERR_SYMMETRY, "mb__symm_find: spglib found no symmetry (tolerance %g "
                   "Bohr); overlapping atoms?", symprec);
    goto done;
  }
  if (!(s = symm_alloc(ds->n_operations, natoms))) {
    st = MB_ERR_NOMEM;
    goto done;
  }
  for (int o = 0; o < s->nop; o++) {
    int *w = s->rot + 9 * o, winv[9];
    for (int i = 0; i < 3; i++) {
      for (int j = 0; j < 3; j++) w[3 * i + j] = ds->rotations[o][i][j];
      s->trans[3 * o + i] = ds->translations[o][i];
    }
    /* W_c^-1 = A^T W^-1 A^-T */
    inverse_int(w, winv);
    double tmp[9];
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++) { /* (W^-1 A^-T)_ij = sum_k Winv_ik ainv_jk */
        double x = 0;
        for (int k = 0; k < 3; k++) x += winv[3 * i + k] * ainv[3 * j + k];
        tmp[3 * i + j] = x;
      }
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++) {
        double x = 0;
        for (int k = 0; k < 3; k++) x += lattice[3 * k + i] * tmp[3 * k + j];
        s->rinv_c[9 * o + 3 * i + j] = x;
      }
    /* the atom each atom goes to: the closest of its type (spglib guarantees one
     * within about symprec) */
    for (int a = 0; a < natoms; a++) {
      double y[3];
      for (int i = 0; i < 3; i++)
        y[i] = w[3 * i] * frac[3 * a] + w[3 * i + 1] * frac[3 * a + 1] +
               w[3 * i + 2] * frac[3 * a + 2] + s->trans[3 * o + i];
      int best = -1;
      double dbest = INFINITY;
      for (int b = 0; b < natoms; b++) {
        if (types[b] != types[a]) continue;
        double d[3], dc[3] = {0, 0, 0};
        for (int i = 0; i < 3; i++) d[i] = y[i] - frac[3 * b + i], d[i] -= nearbyint(d[i]);
        for (int i = 0; i < 3; i++)
          for (int c = 0; c < 3; c++) dc[c] += d[i] * lattice[3 * i + c];
        double dist = sqrt(dc[0] * dc[0] + dc[1] * dc[1] + dc[2] * dc[2]);
        if (dist < dbest) dbest = dist, best = b;
      }
      if (best < 0 || dbest > 4 * symprec) {
        st = mb__error(MB_ERR_SYMMETRY, "mb__symm_find: operation %d sends atom %d %.3g Bohr "
                       "away from any atom of its type (tolerance %g)", o, a, dbest, symprec);
        goto done;
      }
      s->map[(size_t)o * natoms + a] = best;
    }
  }
  *out = s;
  s = NULL;
done:
  mb__symm_free(s);
  if (ds) spg_free_dataset(ds);
  return st;
}

mb_status mb__symm_copy(const mb__symm *src, mb__symm **out) {
  if (!src || !out) return mb__error(MB_ERR_INVALID_ARG, "mb__symm_copy: NULL argument");
  mb__symm *s = symm_alloc(src->nop, src->natoms);
  if (!s) return MB_ERR_NOMEM;
  memcpy(s->rot, src->rot, 9 * (size_t)s->nop * sizeof(int));
  memcpy(s->trans, src->trans, 3 * (size_t)s->nop * sizeof(double));
  memcpy(s->rinv_c, src->rinv_c, 9 * (size_t)s->nop * sizeof(double));
  memcpy(s->map, src->map, (size_t)s->nop * s->natoms * sizeof(int));
  *out = s;
  return MB_OK;
}

/* Whether every rotation of a is one of b's (as sets: the k-point reduction only
 * depends on them). */
static int rotations_within(const mb__symm *a, const mb__symm *b) {
  for (int o = 0; o < a->nop; o++) {
    int found = 0;
    for (int p = 0; p < b->nop && !found; p++)
      found = !memcmp(a->rot + 9 * o, b->rot + 9 * p, 9 * sizeof(int));
    if (!found) return 0;
  }
  return 1;
}

int mb__symm_same_rotations(const mb__symm *a, const mb__symm *b) {
  if (!a || !b) return a == b;
  return rotations_within(a, b) && rotations_within(b, a);
}

int mb__symm_box_ok(const mb__symm *s, const int n[3]) {
  for (int o = 0; o < s->nop; o++)
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++)
        if (s->rot[9 * o + 3 * i + j] != 0 && n[i] != n[j]) return 0;
  return 1;
}

void mb__symm_box(const mb__symm *s, int n[3]) {
  for (int changed = 1; changed;) { /* couplings are transitive: until stable */
    changed = 0;
    for (int o = 0; o < s->nop; o++)
      for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
          if (s->rot[9 * o + 3 * i + j] != 0 && n[i] != n[j]) {
            int m = n[i] > n[j] ? n[i] : n[j];
            n[i] = n[j] = m;
            changed = 1;
          }
  }
}

/* The image A m of the reduced G vector m (A = W^-T, row-major) in the box n: its index
 * *jdx and the phase (A m).t (in turns); 1 when it lies on or beyond a Nyquist plane
 * (not representable), 0 otherwise. */
static int image(const int *a, const double *t, const int n[3], const int m[3], size_t *jdx,
                 double *phase) {
  size_t j = 0, stride = 1;
  double ph = 0;
  for (int i = 0; i < 3; i++) {
    int mp = a[3 * i] * m[0] + a[3 * i + 1] * m[1] + a[3 * i + 2] * m[2];
    if (2 * abs(mp) >= n[i]) return 1;
    j += stride * (size_t)((mp % n[i] + n[i]) % n[i]);
    stride *= (size_t)n[i];
    ph += mp * t[i];
  }
  *jdx = j, *phase = ph;
  return 0;
}

mb_status mb__symm_density(const mb__symm *s, const mb__fft *fft, double *rho) {
  if (!s || !fft || !rho)
    return mb__error(MB_ERR_INVALID_ARG, "mb__symm_density: NULL argument");
  if (s->nop == 1) return MB_OK; /* only the identity */
  const size_t N = fft->ntot;
  const int *n = fft->n;
  double complex *c = mb__fft_array(N), *cs = mb__fft_array(N);
  int *winvt = mb__malloc(9 * (size_t)s->nop, sizeof(int));
  unsigned char *done = mb__calloc(N, 1); /* cs[idx] set */
  mb_status st = MB_OK;
  if (!c || !cs || !winvt || !done) {
    st = mb__error(MB_ERR_NOMEM, "mb__symm_density: out of memory");
    goto cleanup;
  }
  for (int o = 0; o < s->nop; o++) { /* W^-T */
    int inv[9];
    inverse_int(s->rot + 9 * o, inv);
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++) winvt[9 * o + 3 * i + j] = inv[3 * j + i];
  }
  mb__fft_r2g(fft, rho, c);
  /* With A_o = W_o^-T, rho_s(m) = 1/nop sum_o rho(A_o m) e^{2 pi i (A_o m).t_o}, and on
   * the orbit of m rho_s(A_p m) = rho_s(m) e^{-2 pi i (A_p m).t_p} (compose the
   * operations: A_o A_p is W_q^-T for W_q = W_o W_p, t_q = W_o t_p + t_o). So the sum
   * is done once per orbit and the orbit filled from it (ABINIT's symrhg works by
   * orbits too): about 2 nop operations per orbit instead of nop per point. An orbit
   * with a member beyond the box's Nyquist planes is set to zero. */
  const double scale = 1.0 / (double)s->nop; /* mb__fft_forward carries the 1/N */
  for (size_t idx = 0; idx < N; idx++) {
    if (done[idx]) continue;
    size_t r = idx;
    int m[3];
    for (int j = 0; j < 3; j++) {
      int i = (int)(r % (size_t)n[j]);
      r /= (size_t)n[j];
      m[j] = i > n[j] / 2 ? i - n[j] : i;
    }
    double complex sum = 0;
    int outside = 0;
    for (int o = 0; o < s->nop; o++) {
      size_t jdx;
      double phase;
      if (image(winvt + 9 * o, s->trans + 3 * o, n, m, &jdx, &phase)) {
        outside = 1;
        break;
      }
      sum += c[jdx] * cexp(2 * M_PI * I * phase);
    }
    double complex val = outside ? 0 : sum * scale;
    for (int o = 0; o < s->nop; o++) {
      size_t jdx;
      double phase;
      if (image(winvt + 9 * o, s->trans + 3 * o, n, m, &jdx, &phase) || done[jdx]) continue;
      cs[jdx] = outside ? 0 : val * cexp(-2 * M_PI * I * phase);
      done[jdx] = 1;
    }
    if (!done[idx]) cs[idx] = val, done[idx] = 1; /* m on a Nyquist plane: no image set */
  }
  mb__fft_g2r(fft, cs, cs, rho);
cleanup:
  mb__fft_array_free(c);
  mb__fft_array_free(cs);
  free(winvt);
  free(done);
  return st;
}

mb_status mb__symm_forces(const mb__symm *s, double *forces) {
  if (!s || !forces) return mb__error(MB_ERR_INVALID_ARG, "mb__symm_forces: NULL argument");
  const int nat = s->natoms;
  double *f = mb__calloc(3 * (size_t)nat, sizeof(double));
  if (!f) return MB_ERR_NOMEM;
  for (int o = 0; o < s->nop; o++) {
    const double *r = s->rinv_c + 9 * o;
    for (int a = 0; a < nat; a++) {
      const double *fb = forces + 3 * s->map[(size_t)o * nat + a];
      for (int i = 0; i < 3; i++)
        f[3 * a + i] += r[3 * i] * fb[0] + r[3 * i + 1] * fb[1] + r[3 * i + 2] * fb[2];
    }
  }
  for (int i = 0; i < 3 * nat; i++) forces[i] = f[i] / s->nop;
  free(f);
  return MB_OK;
}
