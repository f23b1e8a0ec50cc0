/* FFT box, plane-wave basis and k-points of lib/dft (fftgrid.c, basis.c, kpoints.c).
 *
 * Reference: ABINIT 9.6.2 (Debian) on the cells of tests/data/dft/abinit/reference.txt
 * (inputs and the script that ran them and extracted the numbers:
 * tests/data/dft/abinit/make_reference.py; istwfk 1, chksymbreak 0, kptopt 1):
 *  - the FFT box ngfft for 2-3 cutoffs per cell: exactly;
 *  - the number of plane waves at every irreducible k-point ABINIT lists and at Gamma:
 *    exactly;
 *  - the irreducible k-points of ngkpt with shiftk 0.5 0.5 0.5 and 0 0 0: the same
 *    number, and a one-to-one map between ABINIT's k-points and ours under the
 *    crystal's rotations and time reversal with equal weights (ABINIT may pick other
 *    representatives and another order).
 * Then properties that hold by construction and the error paths. */
#include <math.h>
#include <spglib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../testutil.h"
#include "dft/dft.h"

#define MAXAT 8
#define MAXSYS 16
#define MAXK 64

typedef struct kblock {
  double ecut;
  int ngfft[3];
  int n[3];
  double s[3];
  int nk;
  double k[MAXK][3], w[MAXK];
  int npw[MAXK];
} kblock;

typedef struct fftref {
  double ecut;
  int n[3];
  int npw; /* at Gamma */
} fftref;

typedef struct ref_sys {
  char name[32];
  double lat[9];
  int natoms, type[MAXAT];
  double frac[3 * MAXAT];
  int nblk, nfft;
  kblock blk[4];
  fftref fft[6];
} ref_sys;

static ref_sys refs[MAXSYS];
static int nrefs;

static void load_refs(void) {
  if (nrefs) return;
  char path[1024], line[4096];
  FILE *f = fopen(mb_test_data("dft/abinit/reference.txt", path, sizeof path), "r");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  ref_sys *r = NULL;
  kblock *b = NULL;
  double ecut = 0;
  while (fgets(line, sizeof line, f)) {
    char key[32];
    int off = 0;
    if (sscanf(line, "%31s%n", key, &off) != 1 || key[0] == '#') continue;
    const char *p = line + off;
    if (!strcmp(key, "system")) {
      ck_assert_int_lt(nrefs, MAXSYS);
      r = &refs[nrefs++];
      memset(r, 0, sizeof *r);
      ck_assert_int_eq(sscanf(p, "%31s", r->name), 1);
    } else if (!r || !strcmp(key, "end")) {
      continue;
    } else if (!strcmp(key, "lattice")) {
      double *a = r->lat;
      ck_assert_int_eq(sscanf(p, "%lf %lf %lf %lf %lf %lf %lf %lf %lf", a, a + 1, a + 2, a + 3,
                              a + 4, a + 5, a + 6, a + 7, a + 8), 9);
    } else if (!strcmp(key, "atom")) {
      int i = r->natoms++;
      double z;
      ck_assert_int_lt(i, MAXAT);
      ck_assert_int_eq(sscanf(p, "%d %lf %lf %lf %lf", &r->type[i], &z, &r->frac[3 * i],
                              &r->frac[3 * i + 1], &r->frac[3 * i + 2]), 5);
    } else if (!strcmp(key, "ecut")) {
      ck_assert_int_eq(sscanf(p, "%lf", &ecut), 1);
      ck_assert_int_lt(r->nblk, 4);
      b = &r->blk[r->nblk++];
      b->ecut = ecut;
    } else if (!strcmp(key, "ngfft")) {
      ck_assert_int_eq(sscanf(p, "%d %d %d", b->ngfft, b->ngfft + 1, b->ngfft + 2), 3);
    } else if (!strcmp(key, "kgrid")) {
      ck_assert_int_eq(sscanf(p, "%d %d %d %lf %lf %lf", b->n, b->n + 1, b->n + 2, b->s,
                              b->s + 1, b->s + 2), 6);
    } else if (!strcmp(key, "k")) {
      ck_assert_int_lt(b->nk, MAXK);
      int i = b->nk++;
      ck_assert_int_eq(sscanf(p, "%lf %lf %lf %lf %d", &b->k[i][0], &b->k[i][1], &b->k[i][2],
                              &b->w[i], &b->npw[i]), 5);
    } else if (!strcmp(key, "fft")) {
      ck_assert_int_lt(r->nfft, 6);
      fftref *q = &r->fft[r->nfft++];
      ck_assert_int_eq(sscanf(p, "%lf %d %d %d %d", &q->ecut, q->n, q->n + 1, q->n + 2,
                              &q->npw), 5);
    }
  }
  fclose(f);
  ck_assert_int_ge(nrefs, 7);
}

static int npw_at(const double lat[9], const double k[3], double ecut, const int n[3]) {
  mb__basis *b = NULL;
  MB_OK_OR_FAIL(mb__basis_create(lat, k, ecut, n, &b));
  int npw = b->npw;
  mb__basis_free(b);
  return npw;
}

/* ABINIT's getng as written first in fftgrid.c: every point of every face scanned.
 * mb__fft_size now evaluates only the integers around each row's minimum; the boxes
 * must stay the same on skewed cells, several cutoffs and boxcutmin values. */
static double brute_dsq(const double g[9], int i0, int i1, int i2) {
  double v[3] = {i0, i1, i2};
  return g[0] * v[0] * v[0] + g[4] * v[1] * v[1] + g[8] * v[2] * v[2] +
         2.0 * (g[1] * v[0] * v[1] + g[5] * v[1] * v[2] + g[2] * v[2] * v[0]);
}

static int brute_next(int n) {
  for (int m = n + 1;; m++) {
    int r = m, a = 0, b = 0, c = 0;
    while (r % 2 == 0) r /= 2, a++;
    while (r % 3 == 0) r /= 3, b++;
    while (r % 5 == 0) r /= 5, c++;
    if (r == 1 && a <= 16 && b <= 6 && c <= 6) return m;
  }
}

static void brute_fft_size(const double lat[9], double ecut, double boxcut, int n[3]) {
  double inv[9], g[9];
  ck_assert(!mb__inv3(lat, inv));
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      g[3 * i + j] = inv[i] * inv[j] + inv[3 + i] * inv[3 + j] + inv[6 + i] * inv[6 + j];
  double need = 0.5 * boxcut * boxcut * ecut / (M_PI * M_PI);
  n[0] = n[1] = n[2] = 2;
  for (;;) {
    int h[3] = {n[0] / 2, n[1] / 2, n[2] / 2}, plane = 0;
    double best = INFINITY;
    for (int d = 0; d < 3; d++) {
      int e = (d + 1) % 3, f = (d + 2) % 3, lo = e < f ? e : f, hi = e < f ? f : e;
      for (int a = -h[lo]; a <= h[lo]; a++)
        for (int b = -h[hi]; b <= h[hi]; b++)
          for (int sgn = 1; sgn >= -1; sgn -= 2) {
            int idx[3];
            idx[d] = sgn * h[d], idx[lo] = a, idx[hi] = b;
            double v = brute_dsq(g, idx[0], idx[1], idx[2]);
            if (v < best) best = v, plane = d;
          }
    }
    if (best >= need) return;
    n[plane] = brute_next(n[plane]);
  }
}

START_TEST(test_fft_size_rows) {
  const double cells[4][9] = {
      {0, 2.7, 2.7, 2.7, 0, 2.7, 2.7, 2.7, 0},          /* fcc */
      {5.1, 0, 0, -2.55, 4.4167, 0, 0, 0, 13.2},        /* hexagonal */
      {4.0, 0.3, 0.1, 1.2, 5.5, 0.4, -0.7, 0.9, 6.8},   /* triclinic */
      {9.3, 0, 0, 0, 9.3, 0, 0, 0, 9.3}};               /* cubic (ties) */
  const double ecuts[4] = {3.0, 10.0, 25.0, 60.0}, cuts[3] = {2.0, 2.5, 3.0};
  int checked = 0;
  for (int c = 0; c < 4; c++)
    for (int e = 0; e < 4; e++)
      for (int k = 0; k < 3; k++) {
        int n[3], want[3];
        MB_OK_OR_FAIL(mb__fft_size(cells[c], ecuts[e], cuts[k], n));
        brute_fft_size(cells[c], ecuts[e], cuts[k], want);
        ck_assert_msg(n[0] == want[0] && n[1] == want[1] && n[2] == want[2],
                      "cell %d ecut %g boxcut %g: %d %d %d, full scan %d %d %d", c, ecuts[e],
                      cuts[k], n[0], n[1], n[2], want[0], want[1], want[2]);
        checked++;
      }
  ck_assert_int_eq(checked, 48);
  int n[3];
  ck_assert_int_eq(mb__fft_size(cells[0], 10.0, 1.5, n), MB_ERR_INVALID_ARG);
}
END_TEST

START_TEST(test_fft_abinit) {
  load_refs();
  int checked = 0;
  for (int s = 0; s < nrefs; s++) {
    const ref_sys *r = &refs[s];
    for (int i = 0; i < r->nblk + r->nfft; i++) {
      double ecut = i < r->nblk ? r->blk[i].ecut : r->fft[i - r->nblk].ecut;
      const int *want = i < r->nblk ? r->blk[i].ngfft : r->fft[i - r->nblk].n;
      int n[3];
      MB_OK_OR_FAIL(mb__fft_size(r->lat, ecut, 0, n));
      ck_assert_msg(n[0] == want[0] && n[1] == want[1] && n[2] == want[2],
                    "%s ecut %g: ngfft %d %d %d, ABINIT %d %d %d", r->name, ecut, n[0], n[1],
                    n[2], want[0], want[1], want[2]);
      checked++;
    }
    for (int i = 0; i < r->nfft; i++) {
      const double gamma[3] = {0, 0, 0};
      int npw = npw_at(r->lat, gamma, r->fft[i].ecut, r->fft[i].n);
      ck_assert_msg(npw == r->fft[i].npw, "%s ecut %g Gamma: npw %d, ABINIT %d", r->name,
                    r->fft[i].ecut, npw, r->fft[i].npw);
    }
  }
  ck_assert_int_ge(checked, 25);
}
END_TEST

START_TEST(test_npw_abinit) {
  load_refs();
  for (int s = 0; s < nrefs; s++)
    for (int i = 0; i < refs[s].nblk; i++) {
      const kblock *b = &refs[s].blk[i];
      for (int j = 0; j < b->nk; j++) {
        int npw = npw_at(refs[s].lat, b->k[j], b->ecut, b->ngfft);
        ck_assert_msg(npw == b->npw[j], "%s k = (%g %g %g): npw %d, ABINIT %d", refs[s].name,
                      b->k[j][0], b->k[j][1], b->k[j][2], npw, b->npw[j]);
      }
    }
}
END_TEST

/* Rotations of the crystal from spglib directly (reduced coordinates). */
static int rotations(const ref_sys *r, int (*rot)[3][3], int max) {
  double lat[3][3], pos[MAXAT][3], tr[1536][3];
  for (int a = 0; a < 3; a++)
    for (int c = 0; c < 3; c++) lat[c][a] = r->lat[3 * a + c];
  memcpy(pos, r->frac, sizeof(double) * 3 * (size_t)r->natoms);
  ck_assert_int_le(max, 1536);
  int n = spg_get_symmetry(rot, tr, max, lat, pos, r->type, r->natoms, 1e-5);
  ck_assert_int_gt(n, 0);
  return n;
}

/* k1 ~ k2: k2 = +-W^T k1 modulo a reciprocal lattice vector. */
static int equivalent(const double k1[3], const double k2[3], int (*rot)[3][3], int nrot) {
  for (int o = 0; o < nrot; o++)
    for (int sg = -1; sg <= 1; sg += 2) {
      int ok = 1;
      for (int i = 0; i < 3 && ok; i++) {
        double x = sg * (rot[o][0][i] * k1[0] + rot[o][1][i] * k1[1] + rot[o][2][i] * k1[2]);
        double d = x - k2[i];
        ok = fabs(d - nearbyint(d)) < 1e-6;
      }
      if (ok) return 1;
    }
  return 0;
}

START_TEST(test_kpoints_abinit) {
  load_refs();
  static int rot[1536][3][3];
  for (int s = 0; s < nrefs; s++) {
    const ref_sys *r = &refs[s];
    int nrot = rotations(r, rot, 1536);
    for (int i = 0; i < r->nblk; i++) {
      const kblock *b = &r->blk[i];
      mb__kpoints *kp = NULL;
      MB_OK_OR_FAIL(mb__kpoints_mp(r->lat, r->natoms, r->frac, r->type, b->n, b->s, 1, 1, 1e-5,
                                   &kp));
      ck_assert_msg(kp->nk == b->nk, "%s grid %d %d %d shift %g: %d k-points, ABINIT %d",
                    r->name, b->n[0], b->n[1], b->n[2], b->s[0], kp->nk, b->nk);
      double ntot = (double)b->n[0] * b->n[1] * b->n[2], wsum = 0;
      int used[MAXK] = {0};
      for (int j = 0; j < b->nk; j++) {
        int match = -1;
        for (int m = 0; m < kp->nk; m++)
          if (equivalent(b->k[j], kp->k + 3 * m, rot, nrot)) {
            ck_assert_msg(match < 0, "%s: two of our k-points in one star", r->name);
            match = m;
          }
        ck_assert_msg(match >= 0, "%s: ABINIT's k (%g %g %g) is in none of our stars", r->name,
                      b->k[j][0], b->k[j][1], b->k[j][2]);
        ck_assert(!used[match]);
        used[match] = 1;
        ck_assert_msg(lround(kp->weight[match] * ntot) == lround(b->w[j] * ntot),
                      "%s k (%g %g %g): weight %g, ABINIT %g", r->name, b->k[j][0], b->k[j][1],
                      b->k[j][2], kp->weight[match], b->w[j]);
        /* the star's own representative has the same sphere, rotated */
        ck_assert_int_eq(npw_at(r->lat, kp->k + 3 * match, b->ecut, b->ngfft), b->npw[j]);
        wsum += kp->weight[match];
      }
      ck_assert(fabs(wsum - 1) < 1e-12);
      mb__kpoints_free(kp);
    }
  }
}
END_TEST

START_TEST(test_kpoints_props) {
  const double lat[9] = {0, 5.13, 5.13, 5.13, 0, 5.13, 5.13, 5.13, 0};
  const double frac[6] = {0, 0, 0, 0.25, 0.25, 0.25};
  const int types[2] = {14, 14}, n[3] = {4, 4, 4};
  const double s0[3] = {0, 0, 0}, s5[3] = {0.5, 0.5, 0.5};
  mb__kpoints *kp = NULL;
  /* the full grid */
  MB_OK_OR_FAIL(mb__kpoints_mp(lat, 2, frac, types, n, s0, 0, 0, 1e-5, &kp));
  ck_assert_int_eq(kp->nk, 64);
  for (int i = 0; i < 64; i++) {
    ck_assert(fabs(kp->weight[i] - 1.0 / 64) < 1e-15);
    for (int d = 0; d < 3; d++) ck_assert(kp->k[3 * i + d] > -0.5 && kp->k[3 * i + d] <= 0.5);
    for (int j = 0; j < i; j++)
      ck_assert(fabs(kp->k[3 * i] - kp->k[3 * j]) + fabs(kp->k[3 * i + 1] - kp->k[3 * j + 1]) +
                    fabs(kp->k[3 * i + 2] - kp->k[3 * j + 2]) > 0.1);
  }
  mb__kpoints_free(kp);
  /* time reversal alone: the 8 points with 2k = 0 stay single, the rest pair up */
  MB_OK_OR_FAIL(mb__kpoints_mp(lat, 2, NULL, NULL, n, s0, 0, 1, 1e-5, &kp));
  ck_assert_int_eq(kp->nk, 8 + 56 / 2);
  mb__kpoints_free(kp);
  MB_OK_OR_FAIL(mb__kpoints_mp(lat, 2, NULL, NULL, n, s5, 0, 1, 1e-5, &kp));
  ck_assert_int_eq(kp->nk, 32);
  mb__kpoints_free(kp);
  /* a single point: Gamma, weight 1 */
  const int one[3] = {1, 1, 1};
  MB_OK_OR_FAIL(mb__kpoints_mp(lat, 2, frac, types, one, s0, 1, 1, 1e-5, &kp));
  ck_assert_int_eq(kp->nk, 1);
  ck_assert(kp->weight[0] == 1.0 && kp->k[0] == 0 && kp->k[1] == 0 && kp->k[2] == 0);
  mb__kpoints_free(kp);

  /* errors */
  const int bad[3] = {4, 0, 4};
  const double sing[9] = {1, 0, 0, 2, 0, 0, 0, 0, 1};
  ck_assert_int_eq(mb__kpoints_mp(lat, 2, frac, types, bad, s0, 1, 1, 1e-5, &kp),
                   MB_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "n[1]"));
  ck_assert_ptr_null(kp);
  ck_assert_int_eq(mb__kpoints_mp(sing, 2, frac, types, n, s0, 1, 1, 1e-5, &kp),
                   MB_ERR_GEOMETRY);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "singular"));
  ck_assert_int_eq(mb__kpoints_mp(lat, 0, frac, types, n, s0, 1, 1, 1e-5, &kp),
                   MB_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "natoms"));
  ck_assert_int_eq(mb__kpoints_mp(lat, 2, frac, types, n, s0, 1, 1, 0, &kp),
                   MB_ERR_INVALID_ARG);
  mb__kpoints_free(NULL);
}
END_TEST

START_TEST(test_basis_props) {
  /* the skewed triclinic cell of the reference set, at a general k-point */
  const double lat[9] = {6.0, 0, 0, 4.9, 3.1, 0, -2.0, 2.7, 5.2};
  const double k[3] = {0.21, -0.37, 0.45}, ecut = 9.0;
  int n[3];
  MB_OK_OR_FAIL(mb__fft_size(lat, ecut, 0, n));
  mb__basis *b = NULL;
  MB_OK_OR_FAIL(mb__basis_create(lat, k, ecut, n, &b));
  double inv[9], rec[9];
  ck_assert(!mb__inv3(lat, inv));
  for (int i = 0; i < 3; i++)
    for (int c = 0; c < 3; c++) rec[3 * i + c] = 2 * M_PI * inv[3 * c + i];
  /* brute force over a generous box: the same count */
  int count = 0;
  for (int g0 = -20; g0 <= 20; g0++)
    for (int g1 = -20; g1 <= 20; g1++)
      for (int g2 = -20; g2 <= 20; g2++) {
        double q[3] = {k[0] + g0, k[1] + g1, k[2] + g2}, v[3];
        mb__vecmat3(q, rec, v);
        count += 0.5 * mb__dot3(v, v) <= ecut;
      }
  ck_assert_int_eq(b->npw, count);
  long nfft = (long)n[0] * n[1] * n[2];
  char *seen = calloc((size_t)nfft, 1);
  ck_assert_ptr_nonnull(seen);
  for (int i = 0; i < b->npw; i++) {
    const int *g = b->g + 3 * i;
    double q[3] = {k[0] + g[0], k[1] + g[1], k[2] + g[2]}, v[3];
    mb__vecmat3(q, rec, v);
    for (int d = 0; d < 3; d++) ck_assert(fabs(v[d] - b->kg[3 * i + d]) < 1e-12);
    ck_assert(fabs(0.5 * mb__dot3(v, v) - b->kin[i]) < 1e-12);
    ck_assert(b->kin[i] <= ecut);
    if (i) ck_assert(b->kin[i] >= b->kin[i - 1] - 1e-9); /* sorted by |k+G| */
    int idx[3];
    for (int d = 0; d < 3; d++) idx[d] = ((g[d] % n[d]) + n[d]) % n[d];
    int lin = idx[0] + n[0] * (idx[1] + n[1] * idx[2]);
    ck_assert_int_eq(b->fft_index[i], lin);
    ck_assert(!seen[lin]);
    seen[lin] = 1;
  }
  free(seen);
  mb__basis_free(b);
  mb__basis_free(NULL);

  /* errors */
  const double sing[9] = {1, 0, 0, 0, 1, 0, 2, 2, 0};
  const int small[3] = {4, 4, 4}, zero[3] = {4, 0, 4};
  ck_assert_int_eq(mb__basis_create(lat, k, 0.0, n, &b), MB_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "ecut"));
  ck_assert_ptr_null(b);
  ck_assert_int_eq(mb__basis_create(lat, k, ecut, zero, &b), MB_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "n[1]"));
  ck_assert_int_eq(mb__basis_create(sing, k, ecut, n, &b), MB_ERR_GEOMETRY);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "singular"));
  ck_assert_int_eq(mb__basis_create(lat, k, ecut, small, &b), MB_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "too small"));
  ck_assert_int_eq(mb__fft_size(lat, -1.0, 0, n), MB_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "ecut"));
  ck_assert_int_eq(mb__fft_size(sing, ecut, 0, n), MB_ERR_GEOMETRY);
}
END_TEST

/* The half sphere of real wavefunctions (mb__basis.real) at Gamma and at zone-boundary
 * points (2k integer): at Gamma G = 0 first; with the partners -G-K0 of the others
 * exactly the full sphere of mb__basis_create, each box point once; fft_index_neg is
 * the box point of the partner. A k that is not time-reversal invariant is refused. */
static void check_real_basis(const double lat[9], const double k[3], double ecut) {
  int n[3], k0[3];
  MB_OK_OR_FAIL(mb__fft_size(lat, ecut, 0, n));
  for (int d = 0; d < 3; d++) k0[d] = (int)lround(2 * k[d]);
  int gamma = !k0[0] && !k0[1] && !k0[2];
  mb__basis *full = NULL, *half = NULL;
  MB_OK_OR_FAIL(mb__basis_create(lat, k, ecut, n, &full));
  MB_OK_OR_FAIL(mb__basis_create_real(lat, k, ecut, n, &half));
  ck_assert(!full->real && half->real == (gamma ? 1 : 2) && half->fft_index_neg &&
            !full->fft_index_neg);
  ck_assert(gamma ? !half->kphase : half->kphase != NULL);
  ck_assert_int_eq(2 * half->npw - gamma, full->npw);
  ck_assert_int_eq(mb__basis_dim(half), full->npw);
  ck_assert_int_eq(mb__basis_dim(full), full->npw);
  if (gamma) ck_assert(!half->g[0] && !half->g[1] && !half->g[2] && half->kin[0] == 0);
  long nfft = (long)n[0] * n[1] * n[2];
  char *seen = calloc((size_t)nfft, 1);
  ck_assert_ptr_nonnull(seen);
  for (int i = 0; i < full->npw; i++) seen[full->fft_index[i]] = 1;
  for (int i = 0; i < half->npw; i++) {
    const int *g = half->g + 3 * i;
    if (i) ck_assert(half->kin[i] >= half->kin[i - 1] - 1e-9);
    int q[3] = {k0[0] + 2 * g[0], k0[1] + 2 * g[1], k0[2] + 2 * g[2]};
    ck_assert(q[0] > 0 || (q[0] == 0 && (q[1] > 0 || (q[1] == 0 && q[2] >= 0))));
    int neg[3];
    for (int d = 0; d < 3; d++) neg[d] = (((-g[d] - k0[d]) % n[d]) + n[d]) % n[d];
    ck_assert_int_eq(half->fft_index_neg[i], neg[0] + n[0] * (neg[1] + n[1] * neg[2]));
    ck_assert_int_eq(seen[half->fft_index[i]], 1); /* in the full sphere, once */
    seen[half->fft_index[i]] = 2;
    if (i || !gamma) {
      ck_assert_int_eq(seen[half->fft_index_neg[i]], 1);
      seen[half->fft_index_neg[i]] = 2;
    }
  }
  for (long i = 0; i < nfft; i++) ck_assert(seen[i] != 1); /* nothing of the full left */
  free(seen);
  mb__basis_free(full);
  mb__basis_free(half);
}

START_TEST(test_basis_real) {
  const double lat[9] = {6.0, 0, 0, 4.9, 3.1, 0, -2.0, 2.7, 5.2};
  const double k[4][3] = {{0, 0, 0}, {0.5, 0, 0}, {0, -0.5, 0.5}, {0.5, 0.5, -0.5}};
  for (int i = 0; i < 4; i++) check_real_basis(lat, k[i], 9.0);
  ck_assert(mb__kpoint_tr_invariant(k[2]));
  const double kq[3] = {0.25, 0, 0};
  ck_assert(!mb__kpoint_tr_invariant(kq));
  int n[3];
  mb__basis *b = NULL;
  MB_OK_OR_FAIL(mb__fft_size(lat, 9.0, 0, n));
  ck_assert_int_eq(mb__basis_create_real(lat, kq, 9.0, n, &b), MB_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "time-reversal"));
  ck_assert_ptr_null(b);
}
END_TEST

int main(void) {
  Suite *s = suite_create("dft_basis");
  TCase *tc = tcase_create("basis");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_fft_abinit);
  tcase_add_test(tc, test_fft_size_rows);
  tcase_add_test(tc, test_npw_abinit);
  tcase_add_test(tc, test_basis_real);
  tcase_add_test(tc, test_kpoints_abinit);
  tcase_add_test(tc, test_kpoints_props);
  tcase_add_test(tc, test_basis_props);
  suite_add_tcase(s, tc);
  return mb_run_suite(s);
}
