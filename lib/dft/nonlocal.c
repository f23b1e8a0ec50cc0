/* Kleinman-Bylander non-local pseudopotential at one k-point (Kleinman & Bylander,
 * PRL 48, 1425 (1982)):  V_nl = sum_a sum_lm sum_ij |beta_a,lmi> D_l,ij <beta_a,lmj|,
 * with, in the plane-wave basis of dft.h's conventions,
 *   <k+G|beta_a,lmi> = e^{-iG.R_a} f_li(|k+G|) Y_lm(k+G^) (-i)^l / sqrt(omega)
 * (real spherical harmonics; f_li from mb__psp_projector). The phase e^{-ik.R_a} that
 * a centred projector also carries is the same for all G and cancels in |.><.|. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>

#include <cblas.h>

#include "scf.h"

typedef struct nl_group { /* one (atom, l, m): its projectors i = 0..n-1 */
  int first, n, atom;
  const double (*d)[MB_PSP_MAXPROJ]; /* D_l,ij (real symmetric) */
} nl_group;

/* Vectors are treated NL_BLOCK at a time (enough for zgemm to run at full speed, and a
 * fixed scratch size). */
#define NL_BLOCK 64

/* Matrix layout. proj is P, the npw x nproj matrix of all projectors of all atoms at this
 * k-point, column-major with leading dimension npw: column j = projector j, contiguous,
 * proj[j * npw + g] = <k+G|beta_j> with the structure factor e^{-iG.R_a} and 1/sqrt(omega)
 * folded in (the object is rebuilt when positions change). Columns go atom by atom, l by
 * l, m by m and, innermost, i; the D_l,ij then form a block-diagonal nproj x nproj matrix
 * D with one n x n block per group (atom, l, m). For a block of vectors Psi (npw x nv,
 * column-major, as the bands are stored):
 *   C = P^H Psi (nproj x nv, zgemm),  W = D C (per group),  V_nl Psi = P W (zgemm).
 * c and w hold C and W (nproj x NL_BLOCK, column-major); they are scratch, so an object is
 * used by one thread at a time (the SCF gives each k-point to one thread). */
struct mb__nonlocal {
  int npw, nproj, ngroup;
  int real;             /* real wavefunctions (mb__basis.real): C and W are real (double) */
  double complex *proj; /* P, npw x nproj */
  nl_group *group;
  double complex *c, *w; /* scratch: C = P^H Psi, W = D C */
};

void mb__real_ylm(int l, const double u[3], double *y) {
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
  free(nl->c);
  free(nl->w);
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
  nl->npw = npw, nl->nproj = nproj, nl->ngroup = ngroup, nl->real = basis->real;
  nl->proj = mb__calloc((size_t)(nproj ? nproj : 1) * (size_t)npw, sizeof(double complex));
  nl->group = mb__calloc(ngroup ? ngroup : 1, sizeof(nl_group));
  size_t nscratch = (size_t)(nproj ? nproj : 1) * NL_BLOCK;
  nl->c = mb__calloc(nscratch, sizeof(double complex));
  nl->w = mb__calloc(nscratch, sizeof(double complex));
  double *f = mb__malloc(npw, sizeof(double));
  double *ylm = mb__malloc((size_t)npw * 7, sizeof(double));
  double complex *sf = mb__malloc(npw, sizeof(double complex));
  if (!nl->proj || !nl->group || !nl->c || !nl->w || !f || !ylm || !sf) {
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
      if (basis->real == 2) /* a real projector needs its e^{-ik.R} (a constant phase) */
        ph += 2 * M_PI * mb__dot3(basis->k, frac + 3 * a);
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
        mb__real_ylm(l, u, ylm + 7 * g);
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
          /* real wavefunctions: the projector is real in real space (its coefficient at
           * -(k+G) is the conjugate of that at k+G), stored in mb__basis.real's scaling */
          for (int g = basis->real == 1 ? 1 : 0; basis->real && g < npw; g++)
            pr[g] *= M_SQRT2;
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

/* W = D C for nv vectors (cs, ws: nproj x nv; double when nl->real). */
static void apply_d(const mb__nonlocal *nl, const void *cs, void *ws, int nv) {
  int np = nl->nproj;
  for (int v = 0; v < nv; v++)
    for (int gi = 0; gi < nl->ngroup; gi++) {
      const nl_group *gr = nl->group + gi;
      for (int i = 0; i < gr->n; i++) {
        size_t at = (size_t)v * np + gr->first;
        if (nl->real) {
          const double *c = (const double *)cs + at;
          double s = 0;
          for (int j = 0; j < gr->n; j++) s += gr->d[i][j] * c[j];
          ((double *)ws)[at + i] = s;
        } else {
          const double complex *c = (const double complex *)cs + at;
          double complex s = 0;
          for (int j = 0; j < gr->n; j++) s += gr->d[i][j] * c[j];
          ((double complex *)ws)[at + i] = s;
        }
      }
    }
}

/* C = P^H X for nv vectors x (npw x nv) into cs (nproj x nv); on team (in slices of the
 * plane waves) when not NULL. Real wavefunctions: C = P^T X over 2 npw real rows, the
 * full sphere's sum (real, mb__basis.real). */
static mb_status product_cn(const mb__nonlocal *nl, mb__team *team, void *cs, int nv,
                            const double complex *x) {
  int np = nl->nproj, npw = nl->npw;
  if (nl->real) {
    if (team)
      return mb__team_dgemm_tn(team, np, nv, 2 * npw, (const double *)nl->proj, 2 * npw,
                               (const double *)x, 2 * npw, 0, cs, np);
    cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, np, nv, 2 * npw, 1.0,
                (const double *)nl->proj, 2 * npw, (const double *)x, 2 * npw, 0.0, cs, np);
    return MB_OK;
  }
  const double complex one = 1, zero = 0;
  if (team) return mb__team_zgemm_cn(team, np, nv, npw, nl->proj, npw, x, npw, 0, cs, np);
  cblas_zgemm(CblasColMajor, CblasConjTrans, CblasNoTrans, np, nv, npw, &one, nl->proj, npw, x,
              npw, &zero, cs, np);
  return MB_OK;
}

/* C = P^H Psi and W = D C for nv <= NL_BLOCK vectors psi (npw x nv) into cs, ws
 * (nproj x NL_BLOCK each); on team (in slices of the plane waves) when not NULL. */
static mb_status project_into(const mb__nonlocal *nl, mb__team *team, void *cs, void *ws,
                              int nv, const double complex *psi) {
  mb_status st = product_cn(nl, team, cs, nv, psi);
  if (st != MB_OK) return st;
  apply_d(nl, cs, ws, nv);
  return MB_OK;
}

/* H Psi += P W for nv vectors; on team when not NULL. */
static void add_pw(const mb__nonlocal *nl, mb__team *team, const void *ws, int nv,
                   double complex *hpsi) {
  int np = nl->nproj, npw = nl->npw;
  if (nl->real) {
    if (team)
      mb__team_dgemm_nn(team, 2 * npw, nv, np, 1, (const double *)nl->proj, 2 * npw, ws, np, 1,
                        (double *)hpsi, 2 * npw);
    else
      cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, 2 * npw, nv, np, 1.0,
                  (const double *)nl->proj, 2 * npw, ws, np, 1.0, (double *)hpsi, 2 * npw);
    return;
  }
  const double complex one = 1;
  if (team)
    mb__team_zgemm_nn(team, npw, nv, np, 1, nl->proj, npw, ws, np, 1, hpsi, npw);
  else
    cblas_zgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, npw, nv, np, &one, nl->proj, npw, ws,
                np, &one, hpsi, npw);
}

static mb_status apply_with(const mb__nonlocal *nl, void *cs, void *ws,
                            mb__team *team, const mb__basis *basis, int nvec,
                            const double complex *psi, double complex *hpsi) {
  if (!nl || !basis || basis->npw != nl->npw || nvec < 0 || (nvec && (!psi || !hpsi)))
    return mb__error(MB_ERR_INVALID_ARG, "mb__nonlocal_apply: basis or vectors do not match");
  int npw = nl->npw;
  if (nl->nproj == 0) return MB_OK;
  for (int v0 = 0; v0 < nvec; v0 += NL_BLOCK) {
    int nv = nvec - v0 < NL_BLOCK ? nvec - v0 : NL_BLOCK;
    mb_status st = project_into(nl, team, cs, ws, nv, psi + (size_t)v0 * npw);
    if (st != MB_OK) return st;
    add_pw(nl, team, ws, nv, hpsi + (size_t)v0 * npw);
  }
  return MB_OK;
}

mb_status mb__nonlocal_apply(void *data, const mb__basis *basis, int nvec,
                             const double complex *psi, double complex *hpsi) {
  mb__nonlocal *nl = data;
  return apply_with(nl, nl ? nl->c : NULL, nl ? nl->w : NULL, NULL, basis, nvec, psi,
                    hpsi);
}

mb_status mb__nonlocal_work_init(mb__nonlocal_work *w, const mb__nonlocal *nl) {
  size_t n = (size_t)(nl->nproj > 0 ? nl->nproj : 1) * NL_BLOCK;
  w->nl = nl;
  w->team = NULL;
  w->c = mb__malloc(n, sizeof(double complex));
  w->w = mb__malloc(n, sizeof(double complex));
  if (!w->c || !w->w) {
    mb__nonlocal_work_free(w);
    return MB_ERR_NOMEM;
  }
  return MB_OK;
}

void mb__nonlocal_work_free(mb__nonlocal_work *w) {
  free(w->c), free(w->w);
  w->c = w->w = NULL;
}

mb_status mb__nonlocal_apply_work(void *data, const mb__basis *basis, int nvec,
                                  const double complex *psi, double complex *hpsi) {
  mb__nonlocal_work *w = data;
  return apply_with(w->nl, w->c, w->w, w->team, basis, nvec, psi, hpsi);
}

/* <psi|V_nl|psi> = sum_ij D_ij conj(c_i) c_j = Re sum_i conj(C_i) W_i. */
mb_status mb__nonlocal_energy(const mb__nonlocal *nl, mb__team *team, int nvec,
                              const double complex *psi, const double *weight, double *energy) {
  double e = 0;
  int np = nl->nproj;
  *energy = 0;
  if (np == 0) return MB_OK;
  for (int v0 = 0; v0 < nvec; v0 += NL_BLOCK) {
    int nv = nvec - v0 < NL_BLOCK ? nvec - v0 : NL_BLOCK;
    mb_status st = project_into(nl, team, nl->c, nl->w, nv, psi + (size_t)v0 * nl->npw);
    if (st != MB_OK) return st;
    for (int v = 0; v < nv; v++) {
      if (weight[v0 + v] == 0) continue;
      double ev = 0;
      if (nl->real) {
        const double *c = (const double *)nl->c + (size_t)v * np;
        const double *w = (const double *)nl->w + (size_t)v * np;
        for (int i = 0; i < np; i++) ev += c[i] * w[i];
      } else {
        const double complex *c = nl->c + (size_t)v * np, *w = nl->w + (size_t)v * np;
        for (int i = 0; i < np; i++) ev += creal(conj(c[i]) * w[i]);
      }
      e += weight[v0 + v] * ev;
    }
  }
  *energy = e;
  return MB_OK;
}

/* E = sum_n w_n sum_groups sum_ij D_ij conj(c_i) c_j with c_i = sum_G conj(beta_i(G)) psi(G)
 * and beta_i(G) proportional to e^{-iG.R_a}: dc_i/dR_a = sum_G i G conj(beta_i(G)) psi(G),
 * so dE/dR_a = 2 Re sum_ij D_ij conj(c_i) dc_j = 2 Re sum_j conj(W_j) dc_j (D real
 * symmetric, W = D C). The phase e^{-ik.R_a} left out of beta would add i k to the
 * derivative, whose contribution i k (real form) has no real part. The dc are P^H (G_x Psi)
 * for x = 0..2, one zgemm over the block of 3 nv columns G_x psi_v. */
mb_status mb__nonlocal_forces(const mb__nonlocal *nl, mb__team *team, const mb__basis *basis,
                              const double recip[9], int nvec, const double complex *psi,
                              const double *weight, double *forces) {
  int npw = nl->npw, np = nl->nproj;
  if (np == 0 || nvec <= 0) return MB_OK;
  int nb = nvec < NL_BLOCK ? nvec : NL_BLOCK;
  mb_status st = MB_OK;
  double *gc = mb__malloc((size_t)npw * 3, sizeof(double));
  double complex *xg = mb__malloc((size_t)npw * 3 * nb, sizeof(double complex));
  double complex *dc = mb__malloc((size_t)np * 3 * nb, sizeof(double complex));
  int *atom = mb__malloc(np, sizeof(int));
  if (!gc || !xg || !dc || !atom) {
    st = mb__error(MB_ERR_NOMEM, "mb__nonlocal_forces: out of memory");
    goto cleanup;
  }
  for (int gi = 0; gi < nl->ngroup; gi++)
    for (int i = 0; i < nl->group[gi].n; i++) atom[nl->group[gi].first + i] = nl->group[gi].atom;
  for (int g = 0; g < npw; g++) { /* G (real wavefunctions: k+G, whose phase is in P) */
    const int *m = basis->g + 3 * g;
    for (int x = 0; x < 3; x++)
      gc[3 * g + x] = nl->real ? basis->kg[3 * g + x]
                               : m[0] * recip[x] + m[1] * recip[3 + x] + m[2] * recip[6 + x];
  }
  for (int v0 = 0; v0 < nvec; v0 += NL_BLOCK) {
    int nv = nvec - v0 < NL_BLOCK ? nvec - v0 : NL_BLOCK;
    const double complex *x = psi + (size_t)v0 * npw;
    if ((st = project_into(nl, team, nl->c, nl->w, nv, x)) != MB_OK) goto cleanup;
    /* xg column x * nv + v = G_x psi_v (real wavefunctions: i G_x psi_v, the derivative
     * of a real function, so that its products with P are real) */
    const double complex gfac = nl->real ? I : 1;
    for (int xx = 0; xx < 3; xx++)
      for (int v = 0; v < nv; v++) {
        double complex *col = xg + (size_t)(xx * nv + v) * npw;
        const double complex *xv = x + (size_t)v * npw;
        for (int g = 0; g < npw; g++) col[g] = gfac * gc[3 * g + xx] * xv[g];
      }
    if ((st = product_cn(nl, team, dc, 3 * nv, xg)) != MB_OK) goto cleanup;
    for (int v = 0; v < nv; v++) {
      double wv = weight[v0 + v];
      if (wv == 0) continue;
      for (int xx = 0; xx < 3; xx++) {
        size_t at = (size_t)(xx * nv + v) * np;
        if (nl->real) { /* dc_j = d_j, real */
          const double *w = (const double *)nl->w + (size_t)v * np, *d = (const double *)dc + at;
          for (int j = 0; j < np; j++) forces[3 * atom[j] + xx] -= wv * 2 * w[j] * d[j];
        } else { /* dc_j = i d_j */
          const double complex *w = nl->w + (size_t)v * np, *d = dc + at;
          for (int j = 0; j < np; j++)
            forces[3 * atom[j] + xx] -= wv * 2 * creal(conj(w[j]) * I * d[j]);
        }
      }
    }
  }
cleanup:
  free(gc);
  free(xg);
  free(dc);
  free(atom);
  return st;
}
