/* Kleinman-Bylander non-local pseudopotential at one k-point (Kleinman & Bylander,
 * PRL 48, 1425 (1982)):  V_nl = sum_a sum_lm sum_ij |beta_a,lmi> D_l,ij <beta_a,lmj|,
 * with, in the plane-wave basis of dft.h's conventions,
 *   <k+G|beta_a,lmi> = e^{-iG.R_a} f_li(|k+G|) Y_lm(k+G^) (-i)^l / sqrt(omega)
 * (real spherical harmonics; f_li from mb__psp_projector). The phase e^{-ik.R_a} that
 * a centred projector also carries is the same for all G and cancels in |.><.|. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>

#include "scf.h"

typedef struct nl_group { /* one (atom, l, m): its projectors i = 0..n-1 */
  int first, n, atom;
  const double (*d)[MB_PSP_MAXPROJ]; /* D_l,ij */
} nl_group;

struct mb__nonlocal {
  int npw, nproj, ngroup;
  double complex *proj; /* nproj * npw */
  nl_group *group;
  double complex *work; /* nproj coefficients */
};

/* Real spherical harmonics, orthonormal on the sphere, of the unit vector u, l <= 3;
 * y gets 2l+1 values. */
static void real_ylm(int l, const double u[3], double *y) {
  double x = u[0], yy = u[1], z = u[2];
  switch (l) {
    case 0:
      y[0] = 0.5 / sqrt(M_PI);
      break;
    case 1: {
      double c = sqrt(3 / (4 * M_PI));
      y[0] = c * yy, y[1] = c * z, y[2] = c * x;
      break;
    }
    case 2: {
      double c = sqrt(15 / (4 * M_PI));
      y[0] = c * x * yy, y[1] = c * yy * z, y[2] = sqrt(5 / (16 * M_PI)) * (3 * z * z - 1);
      y[3] = c * x * z, y[4] = 0.5 * c * (x * x - yy * yy);
      break;
    }
    default: {
      y[0] = sqrt(35 / (32 * M_PI)) * (3 * x * x - yy * yy) * yy;
      y[1] = sqrt(105 / (4 * M_PI)) * x * yy * z;
      y[2] = sqrt(21 / (32 * M_PI)) * yy * (5 * z * z - 1);
      y[3] = sqrt(7 / (16 * M_PI)) * z * (5 * z * z - 3);
      y[4] = sqrt(21 / (32 * M_PI)) * x * (5 * z * z - 1);
      y[5] = sqrt(105 / (16 * M_PI)) * z * (x * x - yy * yy);
      y[6] = sqrt(35 / (32 * M_PI)) * x * (x * x - 3 * yy * yy);
      break;
    }
  }
}

void mb__nonlocal_free(mb__nonlocal *nl) {
  if (!nl) return;
  free(nl->proj);
  free(nl->group);
  free(nl->work);
  free(nl);
}

mb_status mb__nonlocal_create(const mb__basis *basis, double omega, int natoms,
                              const double *frac, const int *types, mb__psp *const *psp,
                              mb__nonlocal **out) {
  if (!basis || omega <= 0 || natoms < 1 || !frac || !types || !psp || !out)
    return mb__error(MB_ERR_INVALID_ARG, "mb__nonlocal_create: bad argument");
  *out = NULL;
  mb_status st = MB_OK;
  int nproj = 0, ngroup = 0;
  for (int a = 0; a < natoms; a++) {
    const mb__psp *p = psp[types[a]];
    for (int l = 0; l <= p->lmax && l <= MB_PSP_LMAX; l++) {
      nproj += (2 * l + 1) * p->nproj[l];
      if (p->nproj[l] > 0) ngroup += 2 * l + 1;
    }
  }
  int npw = basis->npw;
  mb__nonlocal *nl = mb__calloc(1, sizeof *nl);
  if (!nl) return MB_ERR_NOMEM;
  nl->npw = npw, nl->nproj = nproj, nl->ngroup = ngroup;
  nl->proj = mb__calloc((size_t)(nproj ? nproj : 1) * (size_t)npw, sizeof(double complex));
  nl->group = mb__calloc(ngroup ? ngroup : 1, sizeof(nl_group));
  nl->work = mb__calloc(nproj ? nproj : 1, sizeof(double complex));
  double *f = mb__malloc(npw, sizeof(double));
  double *ylm = mb__malloc((size_t)npw * 7, sizeof(double));
  double complex *sf = mb__malloc(npw, sizeof(double complex));
  if (!nl->proj || !nl->group || !nl->work || !f || !ylm || !sf) {
    st = MB_ERR_NOMEM;
    goto cleanup;
  }
  const double complex mil[4] = {1, -I, -1, I}; /* (-i)^l */
  double norm = 1 / sqrt(omega);
  int ip = 0, ig = 0;
  for (int a = 0; a < natoms; a++) {
    const mb__psp *p = psp[types[a]];
    for (int g = 0; g < npw; g++) {
      const int *m = basis->g + 3 * g;
      double ph = 2 * M_PI * (m[0] * frac[3 * a] + m[1] * frac[3 * a + 1] + m[2] * frac[3 * a + 2]);
      sf[g] = cexp(-I * ph) * norm;
    }
    for (int l = 0; l <= p->lmax && l <= MB_PSP_LMAX; l++) {
      if (p->nproj[l] <= 0) continue;
      for (int g = 0; g < npw; g++) {
        const double *kg = basis->kg + 3 * g;
        double q = sqrt(mb__dot3(kg, kg));
        double u[3] = {0, 0, 1};
        if (q > 1e-12)
          for (int c = 0; c < 3; c++) u[c] = kg[c] / q;
        real_ylm(l, u, ylm + 7 * g);
      }
      int first_of_l = ip;
      for (int i = 0; i < p->nproj[l]; i++) {
        for (int g = 0; g < npw; g++) {
          const double *kg = basis->kg + 3 * g;
          f[g] = mb__psp_projector(p, l, i, sqrt(mb__dot3(kg, kg)));
        }
        for (int mm = 0; mm < 2 * l + 1; mm++) {
          /* layout: for each m the projectors i are consecutive */
          double complex *pr = nl->proj + (size_t)(first_of_l + mm * p->nproj[l] + i) * npw;
          for (int g = 0; g < npw; g++) pr[g] = sf[g] * f[g] * ylm[7 * g + mm] * mil[l];
        }
      }
      for (int mm = 0; mm < 2 * l + 1; mm++) {
        nl->group[ig].first = first_of_l + mm * p->nproj[l];
        nl->group[ig].n = p->nproj[l];
        nl->group[ig].atom = a;
        nl->group[ig].d = p->d[l];
        ig++;
      }
      ip += (2 * l + 1) * p->nproj[l];
    }
  }
  *out = nl;
  nl = NULL;
cleanup:
  mb__nonlocal_free(nl);
  free(f);
  free(ylm);
  free(sf);
  return st;
}

/* c[i] = <beta_i|psi> for all projectors. */
static void project(const mb__nonlocal *nl, const double complex *psi, double complex *c) {
  for (int i = 0; i < nl->nproj; i++) {
    const double complex *pr = nl->proj + (size_t)i * nl->npw;
    double complex s = 0;
    for (int g = 0; g < nl->npw; g++) s += conj(pr[g]) * psi[g];
    c[i] = s;
  }
}

mb_status mb__nonlocal_apply(void *data, const mb__basis *basis, int nvec,
                             const double complex *psi, double complex *hpsi) {
  mb__nonlocal *nl = data;
  if (!nl || !basis || basis->npw != nl->npw || nvec < 0 || (nvec && (!psi || !hpsi)))
    return mb__error(MB_ERR_INVALID_ARG, "mb__nonlocal_apply: basis or vectors do not match");
  int npw = nl->npw;
  for (int v = 0; v < nvec; v++) {
    const double complex *x = psi + (size_t)v * npw;
    double complex *y = hpsi + (size_t)v * npw;
    project(nl, x, nl->work);
    for (int gi = 0; gi < nl->ngroup; gi++) {
      const nl_group *gr = nl->group + gi;
      for (int i = 0; i < gr->n; i++) {
        double complex s = 0;
        for (int j = 0; j < gr->n; j++) s += gr->d[i][j] * nl->work[gr->first + j];
        if (s == 0) continue;
        const double complex *pr = nl->proj + (size_t)(gr->first + i) * npw;
        for (int g = 0; g < npw; g++) y[g] += s * pr[g];
      }
    }
  }
  return MB_OK;
}

double mb__nonlocal_energy(const mb__nonlocal *nl, int nvec, const double complex *psi,
                           const double *weight) {
  double e = 0;
  double complex *c = nl->work;
  for (int v = 0; v < nvec; v++) {
    if (weight[v] == 0) continue;
    project(nl, psi + (size_t)v * nl->npw, c);
    double ev = 0;
    for (int gi = 0; gi < nl->ngroup; gi++) {
      const nl_group *gr = nl->group + gi;
      for (int i = 0; i < gr->n; i++)
        for (int j = 0; j < gr->n; j++)
          ev += gr->d[i][j] * creal(conj(c[gr->first + i]) * c[gr->first + j]);
    }
    e += weight[v] * ev;
  }
  return e;
}

/* E = sum_n w_n sum_groups sum_ij D_ij conj(c_i) c_j with c_i = sum_G conj(beta_i(G)) psi(G)
 * and beta_i(G) proportional to e^{-iG.R_a}: dc_i/dR_a = sum_G i G conj(beta_i(G)) psi(G),
 * so dE/dR_a = 2 Re sum_ij D_ij conj(c_i) dc_j (D real symmetric). The phase e^{-ik.R_a}
 * left out of beta would add i k to the derivative, whose contribution i k (real form)
 * has no real part. */
mb_status mb__nonlocal_forces(const mb__nonlocal *nl, const mb__basis *basis,
                         const double recip[9], int nvec, const double complex *psi,
                         const double *weight, double *forces) {
  int npw = nl->npw, np = nl->nproj;
  if (np == 0) return MB_OK;
  double complex *c = malloc((size_t)np * 4 * sizeof(double complex));
  double *gc = malloc((size_t)npw * 3 * sizeof(double));
  if (!c || !gc) {
    free(c), free(gc);
    return mb__error(MB_ERR_NOMEM, "mb__nonlocal_forces: out of memory");
  }
  for (int g = 0; g < npw; g++) {
    const int *m = basis->g + 3 * g;
    for (int x = 0; x < 3; x++)
      gc[3 * g + x] = m[0] * recip[x] + m[1] * recip[3 + x] + m[2] * recip[6 + x];
  }
  for (int v = 0; v < nvec; v++) {
    if (weight[v] == 0) continue;
    const double complex *x = psi + (size_t)v * npw;
    for (int i = 0; i < np; i++) {
      const double complex *pr = nl->proj + (size_t)i * npw;
      double complex s = 0, d0 = 0, d1 = 0, d2 = 0;
      for (int g = 0; g < npw; g++) {
        double complex t = conj(pr[g]) * x[g];
        s += t;
        d0 += gc[3 * g] * t, d1 += gc[3 * g + 1] * t, d2 += gc[3 * g + 2] * t;
      }
      c[4 * i] = s, c[4 * i + 1] = I * d0, c[4 * i + 2] = I * d1, c[4 * i + 3] = I * d2;
    }
    for (int gi = 0; gi < nl->ngroup; gi++) {
      const nl_group *gr = nl->group + gi;
      for (int i = 0; i < gr->n; i++)
        for (int j = 0; j < gr->n; j++) {
          double dij = gr->d[i][j];
          if (dij == 0) continue;
          const double complex *ci = c + 4 * (gr->first + i), *cj = c + 4 * (gr->first + j);
          for (int xx = 0; xx < 3; xx++)
            forces[3 * gr->atom + xx] -= weight[v] * 2 * dij * creal(conj(ci[0]) * cj[1 + xx]);
        }
    }
  }
  free(c);
  free(gc);
  return MB_OK;
}
