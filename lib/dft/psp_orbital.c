/* Pseudo-atomic orbitals of UPF files (PP_PSWFC, read by psp_upf.c) and their form
 * factors, the projectors of DFT+U (hubbard.c).
 *
 * chi(q) = 4 pi int_0^R r u(r) j_l(qr) dr with u = r chi(r) as UPF stores it, by
 * Simpson's rule on the file's uniform mesh up to R = 10 Bohr, as Quantum ESPRESSO's
 * init_at_1 (its rcut: the points up to the first beyond 10 Bohr, made an odd number).
 * The cut matters more than the norm beyond it suggests (1e-7 of a 3d orbital's): at
 * small q the integrand is r^2 chi, and the slowly decaying tail moves chi(0.5 Bohr^-1)
 * of Co 3d by 1e-3 and the d occupations of NaCoO2 by 1e-4; with the same cut the
 * projectors are QE's (tests/dft/test_hubbard.c). The values are tabulated on
 * 0 <= q <= QMAX every DQ and read back by 6-point Lagrange interpolation (as
 * psp_psp8.c's tables); above QMAX they are integrated directly. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "psp_impl.h"

#define QMAX 40.0 /* Bohr^-1: |k+G| up to a cutoff of 800 Ha */
#define DQ 0.02
#define NQ 2001   /* QMAX / DQ + 1 */

/* Simpson weights on j = 0..m-1 (m odd): h/3 (1 4 2 4 ... 2 4 1). */
static double simpson_w(int j, int m, double h) {
  if (j == 0 || j == m - 1) return h / 3;
  return (j % 2 ? 4.0 : 2.0) * h / 3;
}

#define RCUT 10.0 /* Bohr, QE's rcut */

/* The number of points Simpson's rule uses: n made odd (the last point of an even mesh,
 * at the end of the tail, is left out). */
static int simpson_points(int n) { return n % 2 ? n : n - 1; }

/* The points of the form factor's integral: up to the first beyond RCUT (QE's msh),
 * an odd number. */
static int transform_points(const mb__psp_orbital *o) {
  int m = 0;
  while (m < o->n && m * o->h <= RCUT + 1e-9 * o->h) m++;
  return simpson_points(m < o->n ? m + 1 : o->n);
}

/* 4 pi int r u(r) j_l(qr) dr. sin and cos of q r_j by a rotation of q h (recomputed every
 * 64 points). */
static double transform(const mb__psp_orbital *o, double q) {
  int m = transform_points(o);
  double h = o->h, cq = cos(q * h), sq = sin(q * h), s = 0, c = 1, sum = 0;
  for (int j = 0; j < m; j++) {
    if (j % 64 == 0) s = sin(q * j * h), c = cos(q * j * h);
    double r = j * h, x = q * r;
    sum += simpson_w(j, m, h) * r * o->u[j] * mb__psp_bessel(o->l, x, s, c);
    double t = s * cq + c * sq;
    c = c * cq - s * sq;
    s = t;
  }
  return 4 * M_PI * sum;
}

mb_status mb__psp_orbital_tabulate(mb__psp_orbital *o) {
  o->table = mb__malloc(NQ, sizeof(double));
  if (!o->table) return MB_ERR_NOMEM;
  for (int j = 0; j < NQ; j++) o->table[j] = transform(o, j * DQ);
  return MB_OK;
}

void mb__psp_orbitals_free(mb__psp *p) {
  if (!p || !p->orb) return;
  for (int i = 0; i < p->norb; i++) free(p->orb[i].u), free(p->orb[i].table);
  free(p->orb);
  p->orb = NULL;
  p->norb = 0;
}

double mb__psp_orbital_ff(const mb__psp *p, int i, double q) {
  if (!p || i < 0 || i >= p->norb || !(q >= 0)) return 0.0;
  const mb__psp_orbital *o = p->orb + i;
  if (q > QMAX) return transform(o, q);
  double t = q / DQ;
  int j0 = (int)t - 2;
  if (j0 < 0) j0 = 0;
  if (j0 > NQ - 6) j0 = NQ - 6;
  double u = t - j0, sum = 0.0;
  for (int a = 0; a < 6; a++) {
    double w = 1.0;
    for (int b = 0; b < 6; b++)
      if (b != a) w *= (u - b) / (a - b);
    sum += w * o->table[j0 + a];
  }
  return sum;
}

double mb__psp_orbital_norm(const mb__psp *p, int i) {
  if (!p || i < 0 || i >= p->norb) return 0.0;
  const mb__psp_orbital *o = p->orb + i;
  int m = simpson_points(o->n);
  double sum = 0;
  for (int j = 0; j < m; j++) sum += simpson_w(j, m, o->h) * o->u[j] * o->u[j];
  return sum;
}

int mb__psp_orbital_of_l(const mb__psp *p, int l) {
  int found = -1;
  for (int i = 0; p && i < p->norb; i++)
    if (p->orb[i].l == l) found = i;
  return found;
}
