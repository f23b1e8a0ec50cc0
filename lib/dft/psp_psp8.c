/* ONCVPSP pseudopotentials in ABINIT's psp8 format (pspcod 8), read as ABINIT 9.6's
 * psp8in does, and their radial transforms.
 *
 * File layout (after the title line):
 *   zatom zion pspd / pspcod pspxc lmax lloc mmax r2well / rchrg fchrg qchrg /
 *   nproj(0..lmax) / extension_switch [/ nprojso(1..lmax) when it is 2 or 3]
 *   for l = 0..lmax: "l ekb_1..ekb_n" and mmax lines "i r u_1(r)..u_n(r)" when
 *     nproj(l) > 0, or "l" and mmax lines "i r V_loc(r)" when l = lloc
 *   "lloc" and mmax lines "i r V_loc(r)" when lloc > lmax (ONCVPSP writes lloc = 4)
 *   spin-orbit projectors for l = 1..lmax (extension_switch 2, 3: read, not used)
 *   when fchrg > 0: mmax lines "i r F F' F'' F''' F''''" with F = 4 pi rho_core(r)
 *     (ABINIT's psp8cc divides by 4 pi: "the input functions contain the 4pi factor")
 *   extension_switch 1, 3: mmax lines "i r F F' F''" with F = 4 pi rho_val(r), the
 *     pseudo-atomic valence density (as for the core, 4 pi included: its integral
 *     int r^2 F dr is zion up to the part of the tail beyond the grid, e.g. 3.95 of 4
 *     for the PseudoDojo Si, 9.09 of 10 for Ca). Optional here: a file that ends (or
 *     goes on with text such as ONCVPSP's <INPUT> echo) where the block would start
 *     has none.
 * The grid is uniform from r = 0. The projector columns are u(r) = r beta(r), so the
 * Kleinman-Bylander term is sum_i |beta_i Y_lm> ekb_i <beta_i Y_lm|.
 *
 * Transforms (dft.h conventions): the integrand's data are interpolated as ABINIT
 * interpolates them (clamped cubic spline of r V_loc + zion with its 5-point end
 * slopes, psp8lo; 4-point Lagrange cubics for the projectors, psp8nl, and the core
 * charge, psp8cc) and each grid interval is integrated with 4-point Gauss-Legendre
 * (the same to 1e-15 as 6 points for q <= 32 on the 0.01 Bohr grids of PseudoDojo).
 * The results are tabulated on 0 <= q <= QMAX every DQ and read back with 6-point
 * Lagrange interpolation (measured: within 1e-12 of the largest value of each function
 * against a table twice as fine, Si, O, Zn-sp, H); above QMAX they are
 * computed directly. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "psp_impl.h"


#define QMAX 80.0      /* Bohr^-1: beyond the corners of the FFT box up to ecut ~100 Ha
                          (the local potential and core fill the whole box) */
#define DQ 0.02
#define NQ 4001        /* QMAX / DQ + 1 */
#define NG 4           /* Gauss-Legendre points per radial interval */
#define MMAX_LIMIT 20000
#define NFUN (3 + (MB_PSP_LMAX + 1) * MB_PSP_MAXPROJ)

/* Gauss-Legendre nodes and weights on [0, 1]. */
static const double gx[NG] = {0.069431844202973712, 0.33000947820757187,
                              0.66999052179242813, 0.93056815579702629};
static const double gw[NG] = {0.17392742256872693, 0.32607257743127307,
                              0.32607257743127307, 0.17392742256872693};

typedef struct psp8_fun {
  int l;        /* kernel: -1 sin(qr)/q, else j_l(qr) */
  int nint;     /* intervals from r = 0 that carry the function */
  double *g;    /* nint*NG: weight * data at the Gauss nodes */
} psp8_fun;

typedef struct psp8_impl {
  int mmax;
  double h;
  int nfun;
  psp8_fun fun[NFUN];
  int ivloc, icore, iproj[MB_PSP_LMAX + 1][MB_PSP_MAXPROJ];
  int ival;        /* valence density function, -1 when the file has none */
  double valscale; /* zion / (its transform at q = 0), as ABINIT's nctab_eval_tvalespl */
  double *table; /* nfun*NQ */
} psp8_impl;

void mb__psp8_free(void *impl) {
  psp8_impl *m = impl;
  if (!m) return;
  for (int f = 0; f < m->nfun; f++) free(m->fun[f].g);
  free(m->table);
  free(m);
}

/* ---- spherical Bessel functions from sin x, cos x ---------------------------------- */

double mb__psp_bessel(int l, double x, double s, double c) {
  double lim = l == 3 ? 2.0 : 1.0;
  if (x < lim) { /* x^l/(2l+1)!! sum_k (-x^2/2)^k / (k! (2l+3)(2l+5)..(2l+2k+1)) */
    double pre = 1.0;
    for (int k = 1; k <= l; k++) pre *= x / (2 * k + 1);
    double term = 1.0, sum = 1.0, y = -0.5 * x * x;
    for (int k = 1; k < 30 && fabs(term) > 1e-18; k++) {
      term *= y / (k * (2.0 * l + 2 * k + 1));
      sum += term;
    }
    return pre * sum;
  }
  double xi = 1.0 / x;
  switch (l) {
    case 0: return s * xi;
    case 1: return (s * xi - c) * xi;
    case 2: return ((3 * xi * xi - 1) * s - 3 * c * xi) * xi;
    default: return ((15 * xi * xi * xi - 6 * xi) * s - (15 * xi * xi - 1) * c) * xi;
  }
}

/* All transforms at one q into out[nfun]. sin and cos at the nodes of interval i
 * follow from those of interval i-1 by a rotation of q h (recomputed every 64). */
static void transform(const psp8_impl *m, double q, double *out) {
  int nmax = 0, lker = 0, nker = 0; /* j_l only where and up to the l projectors need */
  for (int f = 0; f < m->nfun; f++) {
    out[f] = 0.0;
    if (m->fun[f].nint > nmax) nmax = m->fun[f].nint;
    if (m->fun[f].l > lker) lker = m->fun[f].l;
    if (m->fun[f].l > 0 && m->fun[f].nint > nker) nker = m->fun[f].nint;
  }
  double h = m->h, cq = cos(q * h), sq = sin(q * h);
  double s[NG], c[NG];
  for (int i = 0; i < nmax; i++) {
    for (int k = 0; k < NG; k++) {
      if (i % 64 == 0) {
        s[k] = sin(q * (i + gx[k]) * h);
        c[k] = cos(q * (i + gx[k]) * h);
      } else {
        double t = s[k] * cq + c[k] * sq;
        c[k] = c[k] * cq - s[k] * sq;
        s[k] = t;
      }
    }
    double kern[MB_PSP_LMAX + 2][NG]; /* [0]: sin(qr)/q, [l+1]: j_l(qr) */
    for (int k = 0; k < NG; k++) {
      double r = (i + gx[k]) * h, x = q * r;
      kern[0][k] = q > 0 ? s[k] / q : r;
      if (i < nker)
        for (int l = 1; l <= lker; l++) kern[l + 1][k] = mb__psp_bessel(l, x, s[k], c[k]);
    }
    for (int f = 0; f < m->nfun; f++) {
      const psp8_fun *fn = &m->fun[f];
      if (i >= fn->nint) continue;
      const double *g = fn->g + (size_t)i * NG, *kr = kern[fn->l < 0 ? 0 : fn->l + 1];
      double acc = 0.0;
      for (int k = 0; k < NG; k++) acc += g[k] * kr[k];
      out[f] += acc;
    }
  }
}

/* ---- interpolation of the radial data (as ABINIT) --------------------------------- */

/* Clamped cubic spline second derivatives (the tridiagonal algorithm of Numerical
 * Recipes' spline, which ABINIT's m_splines uses) with end slopes yp1, ypn. */
static void spline_m(int n, double h, const double *y, double yp1, double ypn, double *m,
                     double *u) {
  m[0] = -0.5;
  u[0] = (3.0 / h) * ((y[1] - y[0]) / h - yp1);
  for (int i = 1; i < n - 1; i++) {
    double p = 0.5 * m[i - 1] + 2.0;
    m[i] = -0.5 / p;
    u[i] = (6.0 * ((y[i + 1] - 2 * y[i] + y[i - 1]) / (2 * h * h)) - 0.5 * u[i - 1]) / p;
  }
  double qn = 0.5, un = (3.0 / h) * (ypn - (y[n - 1] - y[n - 2]) / h);
  m[n - 1] = (un - qn * u[n - 2]) / (qn * m[n - 2] + 1.0);
  for (int i = n - 2; i >= 0; i--) m[i] = m[i] * m[i + 1] + u[i];
}

/* Node values of function f: weight * pre * r^rpow * interpolant(r). spline_mm: the
 * spline's second derivatives, or NULL for ABINIT's 4-point Lagrange cubics. */
static mb_status fill_nodes(psp8_impl *m, int f, int kernel_l, const double *y,
                            const double *spline_mm, double pre, int rpow) {
  int n = m->mmax;
  double h = m->h;
  int nint = n - 1;
  if (!spline_mm) { /* intervals past the last nonzero value + 1 have zero stencils */
    int z = n - 1;
    while (z > 0 && y[z] == 0.0) z--;
    if (z + 2 < nint) nint = z + 2;
  }
  psp8_fun *fn = &m->fun[f];
  fn->l = kernel_l;
  fn->nint = nint;
  fn->g = mb__malloc((size_t)nint * NG, sizeof(double));
  if (!fn->g) return MB_ERR_NOMEM;
  for (int i = 0; i < nint; i++) {
    int s0 = i - 1 < 0 ? 0 : (i - 1 > n - 4 ? n - 4 : i - 1);
    for (int k = 0; k < NG; k++) {
      double t = gx[k], r = (i + t) * h, v;
      if (spline_mm) {
        double a = 1.0 - t;
        v = a * y[i] + t * y[i + 1] +
            h * h / 6.0 * ((a * a * a - a) * spline_mm[i] + (t * t * t - t) * spline_mm[i + 1]);
      } else {
        double u = (r - s0 * h) / h;
        v = -(u - 1) * (u - 2) * (u - 3) / 6.0 * y[s0] + u * (u - 2) * (u - 3) / 2.0 * y[s0 + 1] -
            u * (u - 1) * (u - 3) / 2.0 * y[s0 + 2] + u * (u - 1) * (u - 2) / 6.0 * y[s0 + 3];
      }
      double rp = 1.0;
      for (int e = 0; e < rpow; e++) rp *= r;
      fn->g[(size_t)i * NG + k] = gw[k] * h * pre * rp * v;
    }
  }
  return MB_OK;
}

/* ---- reading ------------------------------------------------------------------------ */

typedef struct reader {
  const char *data, *name;
  size_t size, pos;
  long lineno;
  const char *line;
  size_t len;
} reader;

/* The next line with at least need leading numbers (at most max are read). */
static mb_status numbers(reader *rd, double *v, int need, int max, const char *what) {
  if (!mb__psp_line(rd->data, rd->size, &rd->pos, &rd->lineno, &rd->line, &rd->len))
    return mb__parse_error(rd->name, rd->lineno + 1, "truncated file: expected %s", what);
  if (mb__psp_numbers(rd->line, rd->len, v, max) < need)
    return mb__parse_error(rd->name, rd->lineno, "expected %s (%d numbers)", what, need);
  return MB_OK;
}

/* One radial block of mmax lines "i r v_1..v_ncol"; col[c] (may be NULL) gets v_c,
 * r[] the radii (checked uniform from 0 against the first block when rref is set). */
static mb_status radial_block(reader *rd, int mmax, int ncol, double **col, double *r,
                              const double *rref) {
  double v[2 + 5];
  for (int j = 0; j < mmax; j++) {
    mb_status st = numbers(rd, v, 2 + ncol, 2 + ncol, "i, r and the radial values");
    if (st != MB_OK) return st;
    if (v[0] != j + 1)
      return mb__parse_error(rd->name, rd->lineno, "radial index %g, expected %d", v[0], j + 1);
    if (rref && fabs(v[1] - rref[j]) > 1e-8)
      return mb__parse_error(rd->name, rd->lineno, "radius %g differs from the first block's %g",
                             v[1], rref[j]);
    if (r) r[j] = v[1];
    for (int c = 0; c < ncol; c++)
      if (col && col[c]) col[c][j] = v[2 + c];
  }
  return MB_OK;
}

mb_status mb__psp8_parse(const char *data, size_t size, mb__psp *p) {
  reader rd = {data, p->path, size, 0, 0, NULL, 0};
  double v[8];
  double *r = NULL, *vloc = NULL, *proj[MB_PSP_LMAX + 1][MB_PSP_MAXPROJ] = {{0}};
  double *core = NULL, *val = NULL, *work = NULL;
  psp8_impl *m = NULL;
  mb_status st;
  if ((st = numbers(&rd, v, 0, 0, "the title line")) != MB_OK ||
      (st = numbers(&rd, v, 2, 3, "zatom, zion, pspd")) != MB_OK ||
      (st = numbers(&rd, v, 5, 6, "pspcod, pspxc, lmax, lloc, mmax, r2well")) != MB_OK)
    goto done;
  long hdr = rd.lineno;
  int pspxc = (int)v[1], lmax = (int)v[2], lloc = (int)v[3], mmax = (int)v[4];
  if (v[1] != pspxc || v[2] != lmax || v[3] != lloc || v[4] != mmax || lmax < 0 ||
      lmax > MB_PSP_LMAX || lloc < 0 || lloc > 4 || mmax < 6 || mmax > MMAX_LIMIT) {
    st = mb__parse_error(p->path, hdr, "bad pspxc %g, lmax %g, lloc %g or mmax %g", v[1],
                         v[2], v[3], v[4]);
    goto done;
  }
  if ((st = numbers(&rd, v, 3, 3, "rchrg, fchrg, qchrg")) != MB_OK) goto done;
  double rchrg = v[0], fchrg = v[1];
  if ((st = numbers(&rd, v, lmax + 1, lmax + 1, "nproj for l = 0..lmax")) != MB_OK) goto done;
  for (int l = 0; l <= lmax; l++) {
    p->nproj[l] = (int)v[l];
    if (v[l] != p->nproj[l] || p->nproj[l] < 0 || p->nproj[l] > 8) {
      st = mb__parse_error(p->path, rd.lineno, "nproj %g for l = %d not in 0..8", v[l], l);
      goto done;
    }
    if (p->nproj[l] > MB_PSP_MAXPROJ) { /* e.g. the fully relativistic As.psp8: 4 for p */
      st = mb__error(MB_ERR_UNSUPPORTED, "%s:%ld: %d projectors for l = %d (at most %d)",
                     p->path, rd.lineno, p->nproj[l], l, MB_PSP_MAXPROJ);
      goto done;
    }
  }
  if (lloc <= lmax && p->nproj[lloc] != 0) {
    st = mb__parse_error(p->path, rd.lineno, "nproj %d for the local channel l = %d",
                         p->nproj[lloc], lloc);
    goto done;
  }
  if ((st = numbers(&rd, v, 1, 1, "extension_switch")) != MB_OK) goto done;
  int ext = (int)v[0], nprojso[MB_PSP_LMAX + 1] = {0};
  if (v[0] != ext || ext < 0 || ext > 3) {
    st = mb__parse_error(p->path, rd.lineno, "extension_switch %g not in 0..3", v[0]);
    goto done;
  }
  if (ext >= 2 && lmax > 0) {
    if ((st = numbers(&rd, v, lmax, lmax, "nprojso for l = 1..lmax")) != MB_OK) goto done;
    for (int l = 1; l <= lmax; l++) {
      nprojso[l] = (int)v[l - 1];
      if (v[l - 1] != nprojso[l] || nprojso[l] < 0 || nprojso[l] > 5) {
        st = mb__parse_error(p->path, rd.lineno, "nprojso %g not in 0..5", v[l - 1]);
        goto done;
      }
    }
  }
  p->pspxc = pspxc;
  p->lmax = lmax;
  p->has_core = fchrg > 1e-15; /* ABINIT's test */

  r = mb__malloc((size_t)mmax, sizeof *r);
  vloc = mb__malloc((size_t)mmax, sizeof *vloc);
  work = mb__malloc(2 * (size_t)mmax, sizeof *work);
  if (!r || !vloc || !work) { st = MB_ERR_NOMEM; goto done; }
  int have_r = 0, have_vloc = 0;
  for (int l = 0; l <= (lloc > lmax ? lloc : lmax); l++) {
    int n = l <= lmax ? p->nproj[l] : 0;
    if (n == 0 && l != lloc) continue;
    if ((st = numbers(&rd, v, 1 + n, 1 + n, n ? "l and the ekb" : "l of the local part")) !=
        MB_OK)
      goto done;
    if (v[0] != l) {
      st = mb__parse_error(p->path, rd.lineno, "block for l = %g, expected l = %d", v[0], l);
      goto done;
    }
    double *cols[5] = {0};
    if (n) {
      for (int i = 0; i < n; i++) {
        p->d[l][i][i] = v[1 + i];
        proj[l][i] = cols[i] = mb__malloc((size_t)mmax, sizeof(double));
        if (!cols[i]) { st = MB_ERR_NOMEM; goto done; }
      }
    } else {
      cols[0] = vloc;
      have_vloc = 1;
    }
    if ((st = radial_block(&rd, mmax, n ? n : 1, cols, r, have_r ? r : NULL)) != MB_OK)
      goto done;
    if (!have_r) {
      double h = r[1] - r[0];
      for (int j = 1; j < mmax; j++)
        if (!(h > 0) || fabs(r[0] + j * h - r[j]) > 1e-8 * (1 + j)) {
          st = mb__parse_error(p->path, rd.lineno - mmax + 1 + j,
                               "the radial grid must be uniform from r = 0");
          goto done;
        }
      if (r[0] != 0.0) {
        st = mb__parse_error(p->path, rd.lineno - mmax + 1, "the radial grid must start at 0");
        goto done;
      }
      have_r = 1;
    }
  }
  if (!have_vloc) { /* cannot happen: lloc is either <= lmax with nproj 0, or > lmax */
    st = mb__parse_error(p->path, rd.lineno, "no local potential block");
    goto done;
  }
  for (int l = 1; l <= lmax; l++) { /* spin-orbit projectors: not used */
    int n = nprojso[l];
    if (n == 0) continue;
    if ((st = numbers(&rd, v, 1 + n, 1 + n, "l and the spin-orbit ekb")) != MB_OK) goto done;
    if ((st = radial_block(&rd, mmax, n, NULL, NULL, r)) != MB_OK) goto done;
  }
  if (p->has_core) {
    core = mb__malloc((size_t)mmax, sizeof *core);
    if (!core) { st = MB_ERR_NOMEM; goto done; }
    double *cols[5] = {core, NULL, NULL, NULL, NULL};
    if ((st = radial_block(&rd, mmax, 5, cols, NULL, r)) != MB_OK) goto done;
    if (rchrg > r[mmax - 1] + 1e-8) {
      st = mb__parse_error(p->path, 4, "rchrg %g beyond the radial grid (%g)", rchrg,
                           r[mmax - 1]);
      goto done;
    }
  }
  if (ext == 1 || ext == 3) { /* the valence density, when a block "1 0.0 F ..." follows */
    reader peek = rd;
    if (mb__psp_line(peek.data, peek.size, &peek.pos, &peek.lineno, &peek.line, &peek.len) &&
        mb__psp_numbers(peek.line, peek.len, v, 3) == 3 && v[0] == 1) {
      val = mb__malloc((size_t)mmax, sizeof *val);
      if (!val) { st = MB_ERR_NOMEM; goto done; }
      double *cols[5] = {val, NULL, NULL, NULL, NULL};
      if ((st = radial_block(&rd, mmax, 1, cols, NULL, r)) != MB_OK) goto done;
    }
  }

  /* The transforms: node values, then the q table. */
  m = mb__calloc(1, sizeof *m);
  if (!m) { st = MB_ERR_NOMEM; goto done; }
  m->ival = -1;
  m->valscale = 1.0;
  m->mmax = mmax;
  m->h = (r[mmax - 1] - r[0]) / (mmax - 1);
  const double pi4 = 4.0 * M_PI, h = m->h;
  /* vloc_short: 4 pi int (r V + zion) sin(qr)/q dr; spline slopes as ABINIT's psp8lo. */
  double *y = work, *mm = work + mmax;
  for (int j = 0; j < mmax; j++) y[j] = r[j] * vloc[j] + p->zion;
  double yp1 = (-50 * y[0] + 96 * y[1] - 72 * y[2] + 32 * y[3] - 6 * y[4]) / (24 * h);
  double ypn = (6 * y[mmax - 5] - 32 * y[mmax - 4] + 72 * y[mmax - 3] - 96 * y[mmax - 2] +
                50 * y[mmax - 1]) / (24 * h);
  spline_m(mmax, h, y, yp1, ypn, mm, vloc); /* vloc is no longer needed: scratch */
  m->ivloc = m->nfun++;
  if ((st = fill_nodes(m, m->ivloc, -1, y, mm, pi4, 0)) != MB_OK) goto done;
  /* Projectors: 4 pi int r^2 beta j_l(qr) dr = 4 pi int r u(r) j_l(qr) dr. */
  for (int l = 0; l <= lmax; l++)
    for (int i = 0; i < p->nproj[l]; i++) {
      int f = m->iproj[l][i] = m->nfun++;
      st = l == 0 ? fill_nodes(m, f, -1, proj[l][i], NULL, pi4, 0)
                  : fill_nodes(m, f, l, proj[l][i], NULL, pi4, 1);
      if (st != MB_OK) goto done;
    }
  /* Core: 4 pi int r^2 rho_core j_0(qr) dr = int r F(r) sin(qr)/q dr, F = 4 pi rho_core. */
  if (p->has_core) {
    m->icore = m->nfun++;
    if ((st = fill_nodes(m, m->icore, -1, core, NULL, 1.0, 1)) != MB_OK) goto done;
  }
  /* Valence: int r^2 F j_0(qr) dr with F = 4 pi rho_val, as the core. */
  if (val) {
    m->ival = m->nfun++;
    if ((st = fill_nodes(m, m->ival, -1, val, NULL, 1.0, 1)) != MB_OK) goto done;
  }
  m->table = mb__malloc((size_t)m->nfun * NQ, sizeof(double));
  if (!m->table) { st = MB_ERR_NOMEM; goto done; }
  double out[NFUN];
  for (int j = 0; j < NQ; j++) {
    transform(m, j * DQ, out);
    for (int f = 0; f < m->nfun; f++) m->table[(size_t)f * NQ + j] = out[f];
  }
  if (val) { /* rescaled to hold zion electrons: the grid may miss part of the tail
              * (ABINIT's nctab_eval_tvalespl does the same) */
    double *t = m->table + (size_t)m->ival * NQ;
    if (!(t[0] > 0.1 * p->zion)) {
      st = mb__parse_error(p->path, rd.lineno, "valence density integrates to %g (zion %g)",
                           t[0], p->zion);
      goto done;
    }
    m->valscale = p->zion / t[0];
    for (int j = 0; j < NQ; j++) t[j] *= m->valscale;
  }
  p->impl = m;
  m = NULL;
  st = MB_OK;

done:
  mb__psp8_free(m);
  free(r);
  free(vloc);
  free(work);
  free(core);
  free(val);
  for (int l = 0; l <= MB_PSP_LMAX; l++)
    for (int i = 0; i < MB_PSP_MAXPROJ; i++) free(proj[l][i]);
  return st;
}

/* ---- evaluation -------------------------------------------------------------------- */

double mb__psp8_qmax(const mb__psp *p) {
  (void)p;
  return QMAX;
}

double mb__psp8_eval(const mb__psp *p, int what, int l, int i, double q) {
  const psp8_impl *m = p->impl;
  int f = what == 0 ? m->ivloc : what == 1 ? m->iproj[l][i] : what == 2 ? m->icore : m->ival;
  if (f < 0) return 0.0; /* no valence density in the file */
  if (q > QMAX) { /* outside the table: the quadrature itself */
    double out[NFUN];
    transform(m, q, out);
    return what == 3 ? out[f] * m->valscale : out[f];
  }
  /* 6-point Lagrange interpolation on the uniform table. */
  double t = q / DQ;
  int j0 = (int)t - 2;
  if (j0 < 0) j0 = 0;
  if (j0 > NQ - 6) j0 = NQ - 6;
  const double *tab = m->table + (size_t)f * NQ + j0;
  double u = t - j0, sum = 0.0;
  for (int a = 0; a < 6; a++) {
    double w = 1.0;
    for (int b = 0; b < 6; b++)
      if (b != a) w *= (u - b) / (a - b);
    sum += w * tab[a];
  }
  return sum;
}
