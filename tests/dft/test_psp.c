/* Pseudopotentials (lib/dft/psp*.c) against independent references:
 *  - ABINIT 9.6.2 itself: epsatm (= vloc_short(0)) and ekb as it prints them on reading
 *    each file, tests/data/dft/psp/reference.txt from make_reference.sh (the Debian
 *    abinit-data files in /usr/share/abinit/psp, or $MB_PSP_DIR; that part is skipped
 *    when they are not installed). epsatm to 1e-7 relative, ekb to their 6 printed
 *    decimals. For HGH ABINIT prints the eigenvalues of h^l (scaled, psp3nl), which
 *    checks the off-diagonal h_ij relations.
 *  - HGH: the analytic q-space form factors against radial transforms of the real-space
 *    formulas of Hartwigsen, Goedecker, Hutter, PRB 58, 3641 (1998), eqs. 1-3, computed
 *    here by Gauss-Legendre quadrature: 1e-10 of the largest value.
 *  - psp8: a file written here from the same analytic HGH functions sampled on the usual
 *    0.01 Bohr grid (plus a Gaussian core charge) must give the analytic form factors
 *    to 1e-8 of the largest value for 0 <= q <= 45 (through the q table and beyond it).
 *  - model core charge: core(0) against Simpson's rule on the file's samples (1e-8).
 *  - errors: truncated files, bad numbers (file:line), unsupported formats. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../testutil.h"
#include "dft/dft.h"
#include "dftutil.h"

static int have_system_psps(void) {
  return have_file("Pseudodojo_nc_sr_04_pbe_standard_psp8/Si.psp8");
}

/* ---- small numerics for the references ---------------------------------------------- */

static const double gl_x[8] = {-0.9602898564975363, -0.7966664774136267, -0.5255324099163290,
                               -0.1834346424956498, 0.1834346424956498,  0.5255324099163290,
                               0.7966664774136267,  0.9602898564975363};
static const double gl_w[8] = {0.1012285362903763, 0.2223810344533745, 0.3137066458778873,
                               0.3626837833783620, 0.3626837833783620, 0.3137066458778873,
                               0.2223810344533745, 0.1012285362903763};

/* int_0^rmax f(r) dr, n intervals of 8-point Gauss-Legendre. */
static double integrate(double (*f)(double, const void *), const void *ctx, double rmax,
                        int n) {
  double h = rmax / n, sum = 0.0;
  for (int i = 0; i < n; i++)
    for (int k = 0; k < 8; k++) sum += 0.5 * h * gl_w[k] * f((i + 0.5 + 0.5 * gl_x[k]) * h, ctx);
  return sum;
}

static double sph_bessel(int l, double x) {
  if (x < 1e-3) { /* leading terms */
    double p = 1.0;
    for (int k = 1; k <= l; k++) p *= x / (2 * k + 1);
    return p * (1 - x * x / (2 * (2 * l + 3)));
  }
  double s = sin(x), c = cos(x);
  switch (l) {
    case 0: return s / x;
    case 1: return s / (x * x) - c / x;
    case 2: return (3 / (x * x) - 1) * s / x - 3 * c / (x * x);
    default: return (15 / (x * x * x) - 6 / x) * s / x - (15 / (x * x) - 1) * c / x;
  }
}

/* Eigenvalues of a symmetric n x n matrix (n <= 3), ascending (cyclic Jacobi). */
static void eigenvalues(int n, const double in[MB_PSP_MAXPROJ][MB_PSP_MAXPROJ], double *ev) {
  double a[3][3];
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) a[i][j] = in[i][j];
  for (int sweep = 0; sweep < 50; sweep++)
    for (int p = 0; p < n; p++)
      for (int q = p + 1; q < n; q++) {
        if (fabs(a[p][q]) < 1e-300) continue;
        double th = 0.5 * atan2(2 * a[p][q], a[q][q] - a[p][p]);
        double c = cos(th), s = sin(th);
        for (int k = 0; k < n; k++) { /* columns */
          double kp = a[k][p], kq = a[k][q];
          a[k][p] = c * kp - s * kq;
          a[k][q] = s * kp + c * kq;
        }
        for (int k = 0; k < n; k++) { /* rows */
          double pk = a[p][k], qk = a[q][k];
          a[p][k] = c * pk - s * qk;
          a[q][k] = s * pk + c * qk;
        }
      }
  for (int i = 0; i < n; i++) ev[i] = a[i][i];
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++)
      if (ev[j] < ev[i]) {
        double t = ev[i];
        ev[i] = ev[j];
        ev[j] = t;
      }
}

/* ---- HGH real space (PRB 58, 3641, eqs. 1-3) --------------------------------------- */

typedef struct hgh_param {
  double zion, rloc, c[4], r[4];
} hgh_param;

typedef struct hgh_ctx {
  const hgh_param *hp;
  int l, i;
  double q;
} hgh_ctx;

static void read_hgh_param(const char *path, hgh_param *hp, int lmax) {
  FILE *f = fopen(path, "r");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  char line[256];
  double z;
  ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
  ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
  ck_assert_int_eq(sscanf(line, "%lf %lf", &z, &hp->zion), 2);
  ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
  ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
  ck_assert_int_eq(sscanf(line, "%lf %lf %lf %lf %lf", &hp->rloc, &hp->c[0], &hp->c[1],
                          &hp->c[2], &hp->c[3]), 5);
  for (int l = 0; l <= lmax; l++) {
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    ck_assert_int_eq(sscanf(line, "%lf", &hp->r[l]), 1);
    if (l > 0) ck_assert_ptr_nonnull(fgets(line, sizeof line, f)); /* k_ij */
  }
  fclose(f);
}

static double hgh_vloc_r(const hgh_param *hp, double r) {
  double x = r / hp->rloc, x2 = x * x;
  return -hp->zion / r * erf(x / sqrt(2.0)) +
         exp(-0.5 * x2) * (hp->c[0] + hp->c[1] * x2 + hp->c[2] * x2 * x2 + hp->c[3] * x2 * x2 * x2);
}

/* p_i^l(r), i = 0, 1, 2 */
static double hgh_proj_r(double rl, int l, int i, double r) {
  double e = l + (4.0 * (i + 1) - 1) / 2;
  return sqrt(2.0) * pow(r, l + 2 * i) * exp(-r * r / (2 * rl * rl)) /
         (pow(rl, e) * sqrt(tgamma(e)));
}

static double vloc_integrand(double r, const void *ctx) {
  const hgh_ctx *c = ctx;
  double k = c->q > 0 ? sin(c->q * r) / c->q : r;
  return 4 * M_PI * (r * hgh_vloc_r(c->hp, r) + c->hp->zion) * k;
}

static double proj_integrand(double r, const void *ctx) {
  const hgh_ctx *c = ctx;
  return 4 * M_PI * r * r * hgh_proj_r(c->hp->r[c->l], c->l, c->i, r) * sph_bessel(c->l, c->q * r);
}

static double norm_integrand(double r, const void *ctx) {
  const hgh_ctx *c = ctx;
  double p = hgh_proj_r(c->hp->r[c->l], c->l, c->i, r);
  return r * r * p * p;
}

static void check_hgh_transforms(const char *name, int lmax) {
  char path[1024];
  mb__psp *p = NULL;
  hgh_param hp;
  mb_test_data(name, path, sizeof path);
  MB_OK_OR_FAIL(mb__psp_read(path, &p));
  read_hgh_param(path, &hp, lmax);
  ck_assert_int_eq(p->format, MB__PSP_HGH);
  ck_assert(isinf(mb__psp_qmax(p)) || mb__psp_qmax(p) >= 60);
  double err = 0, scale = fabs(mb__psp_vloc_short(p, 0));
  for (double q = 0; q <= 30; q += 0.61) {
    hgh_ctx c = {&hp, 0, 0, q};
    double ref = integrate(vloc_integrand, &c, 20 * hp.rloc, 200);
    err = fmax(err, fabs(mb__psp_vloc_short(p, q) - ref));
  }
  if (getenv("MB_TEST_VERBOSE")) fprintf(stderr, "%s vloc_short: %.2e\n", name, err / scale);
  ck_assert_msg(err < 1e-10 * scale, "%s: vloc_short off by %g (scale %g)", name, err, scale);
  for (int l = 0; l <= lmax; l++)
    for (int i = 0; i < p->nproj[l]; i++) {
      hgh_ctx c = {&hp, l, i, 0};
      double norm = integrate(norm_integrand, &c, 20 * hp.r[l], 200);
      ck_assert_msg(fabs(norm - 1) < 1e-12, "%s: p_%d^%d not normalised: %.15g", name, i, l, norm);
      double e = 0, s = 0;
      for (double q = 0; q <= 30; q += 0.61) {
        c.q = q;
        double ref = integrate(proj_integrand, &c, 20 * hp.r[l], 200);
        e = fmax(e, fabs(mb__psp_projector(p, l, i, q) - ref));
        s = fmax(s, fabs(ref));
      }
      if (getenv("MB_TEST_VERBOSE"))
        fprintf(stderr, "%s projector %d %d: %.2e\n", name, l, i, e / s);
      ck_assert_msg(e < 1e-10 * s, "%s: projector l %d i %d off by %g (scale %g)", name, l, i,
                    e, s);
    }
  ck_assert(mb__psp_projector(p, 0, p->nproj[0], 1.0) == 0.0); /* out of range */
  ck_assert(mb__psp_core(p, 0.0) == 0.0);
  mb__psp_free(p);
}

START_TEST(test_hgh_analytic) {
  check_hgh_transforms("dft/psp/26fe.16.hgh", 2); /* s 2, p 2, d 1 projectors */
  check_hgh_transforms("dft/psp/21sc.3.hgh", 2);  /* s 3 */
  check_hgh_transforms("dft/psp/57la.11.hgh", 3); /* p 3, f 1 */
  check_hgh_transforms("dft/psp/39y.11.hgh", 2);  /* d 2 */
  check_hgh_transforms("dft/psp/3li.3.hgh", 0);   /* local only */
}
END_TEST

/* The HGH h_ij relations as psp3nl applies them, checked on Fe's s and p blocks. */
START_TEST(test_hgh_matrix) {
  char path[1024];
  mb__psp *p = NULL;
  MB_OK_OR_FAIL(mb__psp_read(mb_test_data("dft/psp/26fe.16.hgh", path, sizeof path), &p));
  ck_assert_int_eq(p->nproj[0], 2);
  ck_assert_int_eq(p->nproj[1], 2);
  ck_assert_int_eq(p->nproj[2], 1);
  ck_assert_int_eq(p->nproj[3], 0);
  ck_assert_int_eq(p->pspxc, 1);
  ck_assert(p->zion == 16 && p->zatom == 26 && !p->has_core);
  ck_assert(fabs(p->d[0][0][0] - 10.193723) < 1e-12);
  ck_assert(fabs(p->d[0][0][1] - (-0.5 * sqrt(0.6) * -6.834982)) < 1e-12);
  ck_assert(fabs(p->d[1][0][1] - (-0.5 * sqrt(5.0 / 7) * -5.234954)) < 1e-12);
  ck_assert(p->d[1][1][0] == p->d[1][0][1]);
  ck_assert(fabs(p->d[2][0][0] - -12.026941) < 1e-12);
  mb__psp_free(p);
}
END_TEST

/* ---- psp8 from analytic functions ----------------------------------------------------- */

static const hgh_param synth = {3.0, 0.45, {-2.0, 0.6, 0, 0}, {0.55, 0.6, 0, 0}};
static const double synth_core_a = 0.8, synth_core_rc = 0.7;

/* A psp8 file on 0..8 Bohr every 0.01: s with p_0^0 and p_1^0, p with p_0^1, the HGH
 * local part (lloc = 4) and F = 4 pi rho_core with rho_core = a exp(-r^2 / (2 rc^2)). */
static char *synthetic_psp8(size_t *size) {
  const int mmax = 801;
  const double h = 0.01;
  size_t cap = 600000, n = 0;
  char *buf = malloc(cap);
  ck_assert_ptr_nonnull(buf);
#define OUT(...) (n += (size_t)snprintf(buf + n, cap - n, __VA_ARGS__), ck_assert(n < cap))
  OUT("Xx synthetic psp8 from analytic functions\n");
  OUT("5.0000 3.0000 220101 zatom,zion,pspd\n");
  OUT("8 11 1 4 %d 0 pspcod,pspxc,lmax,lloc,mmax,r2well\n", mmax);
  OUT("8.0 2.0 0.0 rchrg fchrg qchrg\n2 1 0 0 0 nproj\n1 1 extension_switch\n");
  OUT("0 1.5D+00 -0.5D+00\n");
  for (int j = 0; j < mmax; j++) {
    double r = j * h;
    OUT("%d %.16E %.16E %.16E\n", j + 1, r, r * hgh_proj_r(synth.r[0], 0, 0, r),
        r * hgh_proj_r(synth.r[0], 0, 1, r));
  }
  OUT("1 0.75D+00\n");
  for (int j = 0; j < mmax; j++) {
    double r = j * h;
    OUT("%d %.16E %.16E\n", j + 1, r, r * hgh_proj_r(synth.r[1], 1, 0, r));
  }
  OUT("4\n");
  for (int j = 0; j < mmax; j++) {
    double r = j * h, v;
    if (j == 0) /* the r -> 0 limit */
      v = -synth.zion * sqrt(2 / M_PI) / synth.rloc + synth.c[0];
    else
      v = hgh_vloc_r(&synth, r);
    OUT("%d %.16E %.16E\n", j + 1, r, v);
  }
  for (int j = 0; j < mmax; j++) {
    double r = j * h, rc2 = synth_core_rc * synth_core_rc;
    double f = 4 * M_PI * synth_core_a * exp(-r * r / (2 * rc2));
    OUT("%d %.16E %.16E %.16E 0 0 0\n", j + 1, r, f, -r / rc2 * f);
  }
#undef OUT
  *size = n;
  return buf;
}

START_TEST(test_psp8_synthetic) {
  size_t size;
  char *buf = synthetic_psp8(&size);
  mb__psp *p = NULL;
  MB_OK_OR_FAIL(mb__psp_read_buffer(buf, size, "synthetic.psp8", &p));
  ck_assert_int_eq(p->format, MB__PSP_PSP8);
  ck_assert_int_eq(p->nproj[0], 2);
  ck_assert_int_eq(p->nproj[1], 1);
  ck_assert(p->d[0][0][0] == 1.5 && p->d[0][1][1] == -0.5 && p->d[0][0][1] == 0.0);
  ck_assert(p->d[1][0][0] == 0.75 && p->has_core && p->pspxc == 11 && p->lmax == 1);
  ck_assert(mb__psp_qmax(p) >= 26.3); /* 2 sqrt(2 * 60 Ha) * 1.2 */
  /* The analytic transforms: the HGH form factors of psp_hgh.c's header (checked
   * against quadrature in test_hgh_analytic), and for the core
   * 4 pi int r^2 a exp(-r^2/(2 rc^2)) j_0(qr) dr = a (2 pi)^(3/2) rc^3 exp(-q^2 rc^2/2). */
  const double rl = synth.rloc, rc = synth_core_rc;
  double err[5] = {0}, scale[5] = {0};
  for (double q = 0; q <= 45; q += q < 32 ? 0.0173 : 0.37) { /* beyond 32: no table */
    double t2 = q * q * rl * rl, e = exp(-0.5 * t2);
    double ref[5];
    ref[0] = (q > 0 ? 4 * M_PI * synth.zion * (1 - e) / (q * q)
                    : 2 * M_PI * synth.zion * rl * rl) +
             pow(2 * M_PI, 1.5) * rl * rl * rl * e * (synth.c[0] + synth.c[1] * (3 - t2));
    for (int k = 0; k < 3; k++) {
      int l = k == 2, i = k == 1;
      double r = synth.r[l], u = q * r, u2 = u * u;
      double P = i ? 2 * l + 3 - u2 : 1.0;
      ref[1 + k] = 4 * M_PI * sqrt(2.0) * pow(r, 1.5) /
                   sqrt(tgamma(l + (4.0 * (i + 1) - 1) / 2)) * sqrt(M_PI / 2) * pow(u, l) *
                   exp(-0.5 * u2) * P;
    }
    ref[4] = synth_core_a * pow(2 * M_PI, 1.5) * rc * rc * rc * exp(-0.5 * q * q * rc * rc);
    double got[5] = {mb__psp_vloc_short(p, q), mb__psp_projector(p, 0, 0, q),
                     mb__psp_projector(p, 0, 1, q), mb__psp_projector(p, 1, 0, q),
                     mb__psp_core(p, q)};
    for (int k = 0; k < 5; k++) {
      err[k] = fmax(err[k], fabs(got[k] - ref[k]));
      scale[k] = fmax(scale[k], fabs(ref[k]));
    }
  }
  const char *what[5] = {"vloc_short", "s projector 1", "s projector 2", "p projector",
                         "core"};
  for (int k = 0; k < 5; k++) {
    if (getenv("MB_TEST_VERBOSE"))
      fprintf(stderr, "synthetic psp8 %s: relative error %.2e\n", what[k], err[k] / scale[k]);
    ck_assert_msg(err[k] < 1e-8 * scale[k], "%s: error %g, scale %g (relative %g)", what[k],
                  err[k], scale[k], err[k] / scale[k]);
  }
  mb__psp_free(p);
  free(buf);
}
END_TEST

/* ---- against ABINIT ---------------------------------------------------------------- */

START_TEST(test_abinit_reference) {
  char path[1024], line[512], file[256];
  FILE *f = fopen(mb_test_data("dft/psp/reference.txt", path, sizeof path), "r");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  mb__psp *p = NULL;
  int npsp = 0, nekb = 0;
  while (fgets(line, sizeof line, f)) {
    double zion, eps, e[5];
    int l;
    if (sscanf(line, "psp %255s zion %lf epsatm %lf", file, &zion, &eps) == 3) {
      mb__psp_free(p);
      p = NULL;
      snprintf(path, sizeof path, "%s/%s", psp_dir(), file);
      MB_OK_OR_FAIL(mb__psp_read(path, &p));
      double got = mb__psp_vloc_short(p, 0);
      if (getenv("MB_TEST_VERBOSE"))
        fprintf(stderr, "%s epsatm %.10f ABINIT %.8f\n", file, got, eps);
      ck_assert_msg(fabs(got - eps) < 1e-7 * fabs(eps) + 1e-8, "%s: epsatm %.10f, ABINIT %.8f",
                    file, got, eps);
      ck_assert(p->zion == zion);
      npsp++;
    } else if (sscanf(line, "ekb %d %lf %lf %lf %lf %lf", &l, e, e + 1, e + 2, e + 3, e + 4) >= 2) {
      int n = p->nproj[l];
      double ev[3];
      if (p->format == MB__PSP_PSP8) {
        for (int i = 0; i < n; i++) ev[i] = p->d[l][i][i];
      } else {
        eigenvalues(n, p->d[l], ev);
        const char *s = strrchr(file, '/');
        char local[1024];
        hgh_param hp;
        snprintf(local, sizeof local, "%s/%s", psp_dir(), s ? s + 1 : file);
        read_hgh_param(local, &hp, l);
        /* ABINIT's psp3nl prints ekb = eig(h^l) * c_l r_l^(2l+3) pi^(5/2) / (4 pi)^2 */
        const double cl[4] = {32, 64, 128, 256.0 / 105};
        double scale = cl[l] * pow(hp.r[l], 2 * l + 3) * pow(M_PI, 2.5) / (16 * M_PI * M_PI);
        for (int i = 0; i < n; i++) ev[i] *= scale;
      }
      for (int i = 0; i < n; i++)
        ck_assert_msg(fabs(ev[i] - e[i]) < 6e-7, "%s l %d ekb %d: %.8f, ABINIT %.6f", file, l,
                      i, ev[i], e[i]);
      nekb++;
    }
  }
  fclose(f);
  mb__psp_free(p);
  ck_assert_int_ge(npsp, 11);
  ck_assert_int_ge(nekb, 25);
}
END_TEST

/* The model core charge: core(0) = int r^2 F(r) dr (F = 4 pi rho_core, the file's
 * third column in the block of 7-number lines) by Simpson's rule; the transforms are
 * smooth at q -> 0 (even in q: f(q) - f(0) ~ q^2). The valence density (the block of
 * 5-number lines "i r F F' F''", F = 4 pi rho_val): val(0) = zion (rescaled as ABINIT's
 * nctab_eval_tvalespl does; the file's own integral misses the tail beyond the grid:
 * 3.953 of 4 for Si, 9.091 of 10 for Ca on its 4 Bohr grid; checked within 15%), and
 * its shape val(1)/val(0) against Simpson's int r^2 F j_0(r) dr / int r^2 F dr. */
START_TEST(test_psp8_core_and_small_q) {
  const char *names[] = {"Si.psp8", "O.psp8", "Zn-sp.psp8", "Ca.psp8"};
  for (int k = 0; k < 4; k++) {
    char path[1024], line[512];
    snprintf(path, sizeof path, "%s/Pseudodojo_nc_sr_04_pbe_standard_psp8/%s", psp_dir(),
             names[k]);
    mb__psp *p = NULL;
    MB_OK_OR_FAIL(mb__psp_read(path, &p));
    ck_assert(p->has_core);
    /* F(r) from the block of 7-number lines "i r F F' F'' F''' F''''" */
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    double g[2000], gv[2][2000], h = 0, r, c, v[4];
    int i, n = 0, nv = 0;
    while (fgets(line, sizeof line, f) && n < 2000 && nv < 2000) {
      for (char *s = line; *s; s++)
        if (*s == 'D') *s = 'E';
      int got = sscanf(line, "%d %lf %lf %lf %lf %lf %lf", &i, &r, &c, v, v + 1, v + 2, v + 3);
      if (got == 5 && i == nv + 1) { /* valence density (not the 5-number nproj line) */
        gv[0][nv] = r * r * c;
        gv[1][nv++] = r * r * c * (r > 0 ? sin(r) / r : 1.0);
      }
      if (got != 7) continue;
      if (n == 1) h = r;
      g[n++] = r * r * c;
    }
    fclose(f);
    ck_assert_int_eq(nv, n); /* same radial grid */
    double sv[2] = {0, 0};
    int nsv = (nv - 1) % 2 ? nv - 1 : nv;
    for (int t = 0; t < 2; t++) {
      for (int j = 0; j < nsv; j++)
        sv[t] += (j == 0 || j == nsv - 1 ? 1 : (j % 2 ? 4 : 2)) * gv[t][j] * h / 3;
      if (nsv < nv) sv[t] += 0.5 * h * (gv[t][nv - 2] + gv[t][nv - 1]);
    }
    double val0 = mb__psp_valence(p, 0), val1 = mb__psp_valence(p, 1.0);
    if (getenv("MB_TEST_VERBOSE"))
      fprintf(stderr, "%s val(0) %.12f zion %g file %.6f val(1)/val(0) %.10f Simpson %.10f\n",
              names[k], val0, p->zion, sv[0], val1 / val0, sv[1] / sv[0]);
    ck_assert_msg(fabs(val0 - p->zion) < 1e-4, "%s: val(0) %.8f, zion %g", names[k], val0,
                  p->zion);
    ck_assert_msg(sv[0] > 0.85 * p->zion && sv[0] < 1.0001 * p->zion, "%s: file's %.6f",
                  names[k], sv[0]);
    ck_assert_msg(fabs(val1 / val0 - sv[1] / sv[0]) < 1e-6, "%s: val(1)/val(0) %.10f, %.10f",
                  names[k], val1 / val0, sv[1] / sv[0]);
    ck_assert_int_gt(n, 100);
    /* Simpson over an even number of intervals, the trapezoid rule on a last odd one
     * (where the integrand is ~1e-9) */
    int ns = (n - 1) % 2 ? n - 1 : n;
    double simpson = 0;
    for (int j = 0; j < ns; j++)
      simpson += (j == 0 || j == ns - 1 ? 1 : (j % 2 ? 4 : 2)) * g[j] * h / 3;
    if (ns < n) simpson += 0.5 * h * (g[n - 2] + g[n - 1]);
    double core0 = mb__psp_core(p, 0);
    if (getenv("MB_TEST_VERBOSE"))
      fprintf(stderr, "%s core(0) %.12f Simpson %.12f\n", names[k], core0, simpson);
    ck_assert_msg(fabs(core0 - simpson) < 1e-8 * core0, "%s: core(0) %.12f, Simpson %.12f",
                  names[k], core0, simpson);
    /* Small q: f(q) = f(0) + a q^2 + O(q^4); a from q = 0.02 must predict q = 0.005. */
    double (*fn[2])(const mb__psp *, double) = {mb__psp_vloc_short, mb__psp_core};
    for (int j = 0; j < 2; j++) {
      double f0 = fn[j](p, 0), a = (fn[j](p, 0.02) - f0) / 4e-4;
      double pred = f0 + a * 0.005 * 0.005, got = fn[j](p, 0.005);
      ck_assert_msg(fabs(got - pred) < 1e-9 * fabs(f0), "%s: %s(0.005) %.12g, expected %.12g",
                    names[k], j ? "core" : "vloc_short", got, pred);
    }
    /* Projectors: f_l(q) ~ q^l at small q */
    for (int l = 1; l <= p->lmax; l++)
      if (p->nproj[l]) {
        double r1 = mb__psp_projector(p, l, 0, 0.004) / mb__psp_projector(p, l, 0, 0.002);
        ck_assert_msg(fabs(r1 - pow(2.0, l)) < 1e-3, "%s: l %d ratio %g", names[k], l, r1);
      }
    mb__psp_free(p);
  }
}
END_TEST

/* ---- errors ------------------------------------------------------------------------- */

static void expect_error(const char *name, mb_status want, const char *where) {
  char path[1024];
  mb__psp *p = (mb__psp *)1;
  mb_status st = mb__psp_read(mb_test_data(name, path, sizeof path), &p);
  ck_assert_msg(st == want, "%s: status %d (%s), expected %d", name, (int)st, mb_last_error(),
                (int)want);
  ck_assert_ptr_null(p);
  ck_assert_msg(strstr(mb_last_error(), where) != NULL, "%s: message '%s' lacks '%s'", name,
                mb_last_error(), where);
}

START_TEST(test_errors) {
  char path[1024];
  mb__psp *p = NULL;
  MB_OK_OR_FAIL(mb__psp_read(mb_test_data("dft/psp/small.psp8", path, sizeof path), &p));
  ck_assert(p->nproj[0] == 2 && p->nproj[1] == 1 && p->has_core);
  mb__psp_free(p);
  expect_error("dft/psp/truncated.psp8", MB_ERR_PARSE, "truncated.psp8:21: truncated file");
  expect_error("dft/psp/badnumber.psp8", MB_ERR_PARSE, "badnumber.psp8:12:");
  expect_error("dft/psp/badgrid.psp8", MB_ERR_PARSE, "badgrid.psp8:11: the radial grid");
  expect_error("dft/psp/badorder.psp8", MB_ERR_PARSE, "badorder.psp8:16: block for l = 2");
  expect_error("dft/psp/badnumber.hgh", MB_ERR_PARSE, "badnumber.hgh:6:");
  expect_error("dft/psp/truncated.hgh", MB_ERR_PARSE, "truncated.hgh:7: truncated");
  expect_error("dft/psp/pspcod7.psp", MB_ERR_UNSUPPORTED, "pspcod7.psp:3: pspcod 7");
  expect_error("dft/psp/paw.xml", MB_ERR_UNSUPPORTED, "paw.xml");
  expect_error("dft/psp/does-not-exist.psp8", MB_ERR_IO, "does-not-exist.psp8");
  ck_assert_int_eq(mb__psp_read(NULL, &p), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb__psp_read(path, NULL), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb__psp_read_buffer("", 0, "empty", &p), MB_ERR_PARSE);
  mb__psp_free(NULL);
  ck_assert(mb__psp_vloc_short(NULL, 0) != mb__psp_vloc_short(NULL, 0)); /* NaN */
  ck_assert(mb__psp_projector(NULL, 0, 0, 0) == 0);
}
END_TEST

START_TEST(test_errors_system) {
  char path[1024];
  mb__psp *p = NULL;
  /* ABINIT's own PAW file (pspcod 7) and a PAW XML file */
  snprintf(path, sizeof path, "%s/1h.paw", psp_dir());
  ck_assert_int_eq(mb__psp_read(path, &p), MB_ERR_UNSUPPORTED);
  ck_assert(strstr(mb_last_error(), path) != NULL);
  snprintf(path, sizeof path, "%s/Al.xml", psp_dir());
  ck_assert_int_eq(mb__psp_read(path, &p), MB_ERR_UNSUPPORTED);
  ck_assert(strstr(mb_last_error(), path) != NULL);
  /* The fully relativistic As.psp8 has 4 scalar projectors for p. */
  snprintf(path, sizeof path, "%s/Pseudodojo_nc_sr_04_pbe_standard_psp8/As.psp8", psp_dir());
  mb_status st = mb__psp_read(path, &p);
  if (MB_PSP_MAXPROJ < 4) {
    ck_assert_int_eq(st, MB_ERR_UNSUPPORTED);
  } else {
    ck_assert_int_eq(st, MB_OK);
    ck_assert_int_eq(p->nproj[1], 4);
    mb__psp_free(p);
  }
  /* A truncated copy of a real file, from a buffer */
  char *data = NULL;
  size_t size = 0;
  snprintf(path, sizeof path, "%s/Pseudodojo_nc_sr_04_pbe_standard_psp8/Si.psp8", psp_dir());
  MB_OK_OR_FAIL(mb__read_file(path, &data, &size));
  ck_assert_int_eq(mb__psp_read_buffer(data, size / 2, "Si-half.psp8", &p), MB_ERR_PARSE);
  ck_assert(strstr(mb_last_error(), "Si-half.psp8:") != NULL);
  free(data);
}
END_TEST

/* ---- finding files ---------------------------------------------------------------- */

static void touch(const char *dir, const char *name) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fclose(f);
}

static void expect_found(int z, const char *dir, int lda, const char *tail) {
  char *path = NULL;
  MB_OK_OR_FAIL(mb__psp_find(z, dir, lda, &path));
  size_t n = strlen(path), t = strlen(tail);
  ck_assert_msg(n >= t && strcmp(path + n - t, tail) == 0, "Z %d: %s, expected ...%s", z, path,
                tail);
  free(path);
}

START_TEST(test_find) {
  char dir[] = "/tmp/mb_psp_find_XXXXXX", sub[1100], *path = NULL;
  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(sub, sizeof sub, "%s/Pseudodojo_nc_sr_04_pbe_standard_psp8", dir);
  ck_assert_int_eq(mkdir(sub, 0700), 0);
  const char *dojo[] = {"Si.psp8", "Zn-sp.psp8", "Se-d.psp8", "Se-x.psp8"};
  const char *top[] = {"3li.1.hgh", "3li.3.hgh", "26fe.8.hgh", "26fe.16.hgh",
                       "8o.6.blyp.hgh", "14si.4.hgh", "Cu.psp8"}; /* not in the dojo dir */
  for (int i = 0; i < 4; i++) touch(sub, dojo[i]);
  for (int i = 0; i < 7; i++) touch(dir, top[i]);
  expect_found(14, dir, 0, "_psp8/Si.psp8");
  expect_found(14, dir, 1, "/14si.4.hgh");
  expect_found(30, dir, 0, "_psp8/Zn-sp.psp8");
  expect_found(34, dir, 0, "_psp8/Se-d.psp8");
  expect_found(3, dir, 0, "/3li.3.hgh"); /* no psp8: HGH, the larger zion */
  expect_found(26, dir, 1, "/26fe.16.hgh");
  ck_assert_int_eq(mb__psp_find(29, dir, 0, &path), MB_ERR_IO);
  ck_assert_int_eq(mb__psp_find(8, dir, 0, &path), MB_ERR_IO); /* blyp file not taken */
  ck_assert_ptr_null(path);
  ck_assert_msg(strstr(mb_last_error(), dir) && strstr(mb_last_error(), "O (Z = 8)"), "%s",
                mb_last_error());
  ck_assert_int_eq(mb__psp_find(0, dir, 0, &path), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb__psp_find(14, dir, 0, NULL), MB_ERR_INVALID_ARG);
  for (int i = 0; i < 4; i++) {
    snprintf(sub, sizeof sub, "%s/Pseudodojo_nc_sr_04_pbe_standard_psp8/%s", dir, dojo[i]);
    unlink(sub);
  }
  snprintf(sub, sizeof sub, "%s/Pseudodojo_nc_sr_04_pbe_standard_psp8", dir);
  rmdir(sub);
  for (int i = 0; i < 7; i++) {
    snprintf(sub, sizeof sub, "%s/%s", dir, top[i]);
    unlink(sub);
  }
  rmdir(dir);
  if (have_system_psps() && !getenv("MB_PSP_DIR")) { /* the default directory */
    expect_found(14, NULL, 0, "Pseudodojo_nc_sr_04_pbe_standard_psp8/Si.psp8");
    expect_found(30, NULL, 0, "Pseudodojo_nc_sr_04_pbe_standard_psp8/Zn-sp.psp8");
    expect_found(3, NULL, 0, "/3li.3.hgh");
    expect_found(26, NULL, 0, "/26fe.16.hgh");
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("psp");
  TCase *tc = tcase_create("psp");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_hgh_analytic);
  tcase_add_test(tc, test_hgh_matrix);
  tcase_add_test(tc, test_psp8_synthetic);
  tcase_add_test(tc, test_errors);
  tcase_add_test(tc, test_find);
  if (have_system_psps()) {
    tcase_add_test(tc, test_abinit_reference);
    tcase_add_test(tc, test_psp8_core_and_small_q);
    tcase_add_test(tc, test_errors_system);
  } else {
    fprintf(stderr, "test_psp: %s lacks the abinit-data pseudopotentials: the comparisons "
                    "with ABINIT are skipped\n", psp_dir());
  }
  suite_add_tcase(s, tc);
  return mb_run_suite(s);
}
