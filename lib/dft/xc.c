/* Exchange-correlation energy and potential on the FFT box through libxc: LDA and
 * GGA (gradients and the divergence term by FFT), spin-polarised or not, with an
 * optional model core density (non-linear core correction, Louie, Froyen & Cohen,
 * PRB 26, 1738 (1982)). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <xc.h>

#include "kohnsham.h"

mb_status mb__xc_create(int nfunc, const int *ids, int nspin, mb__xc **out) {
  mb_status st = MB_OK;
  if (!ids || !out || nfunc < 1 || nfunc > 3 || (nspin != 1 && nspin != 2))
    return mb__error(MB_ERR_INVALID_ARG, "mb__xc_create: %d functionals, nspin %d", nfunc,
                     nspin);
  *out = NULL;
  mb__xc *xc = mb__calloc(1, sizeof *xc);
  if (!xc) return MB_ERR_NOMEM;
  xc->nspin = nspin;
  xc->denpos = 1e-14;
  xc->family = XC_FAMILY_LDA;
  for (int i = 0; i < nfunc; i++) {
    xc_func_type *f = mb__calloc(1, sizeof *f);
    if (!f) {
      st = MB_ERR_NOMEM;
      goto cleanup;
    }
    if (xc_func_init(f, ids[i], nspin == 1 ? XC_UNPOLARIZED : XC_POLARIZED) != 0) {
      free(f);
      st = mb__error(MB_ERR_UNSUPPORTED, "mb__xc_create: libxc %s has no functional %d",
                     xc_version_string(), ids[i]);
      goto cleanup;
    }
    xc->func[xc->nfunc] = f;
    xc->id[xc->nfunc++] = ids[i];
    int fam = f->info->family;
    if ((fam != XC_FAMILY_LDA && fam != XC_FAMILY_GGA && fam != XC_FAMILY_MGGA) ||
        f->info->kind == XC_KINETIC || !(f->info->flags & XC_FLAGS_HAVE_VXC) ||
        (f->info->flags & XC_FLAGS_NEEDS_LAPLACIAN)) {
      st = mb__error(MB_ERR_UNSUPPORTED, "mb__xc_create: libxc functional %d (%s) is not "
                     "an LDA, GGA or meta-GGA (without the Laplacian) exchange-correlation "
                     "functional with a potential (hybrids are not supported)", ids[i],
                     f->info->name);
      goto cleanup;
    }
    if (fam == XC_FAMILY_MGGA) xc->family = XC_FAMILY_MGGA;
    else if (fam == XC_FAMILY_GGA && xc->family != XC_FAMILY_MGGA) xc->family = XC_FAMILY_GGA;
  }
  *out = xc;
  xc = NULL;
cleanup:
  mb__xc_free(xc);
  return st;
}

mb_status mb__xc_from_ixc(int ixc, int nspin, mb__xc **out) {
  int ids[2], n;
  switch (ixc) {
  case 1: /* Teter's rational (Pade) fit to Ceperley-Alder, ABINIT's native ixc 1 */
    ids[0] = XC_LDA_XC_TETER93;
    n = 1;
    break;
  case 7: /* ABINIT's native PW92 (xcpbe) keeps the original digits (f''(0) = 1.709921),
             as libxc's LDA_C_PW does, not LDA_C_PW_MOD */
    ids[0] = XC_LDA_X;
    ids[1] = XC_LDA_C_PW;
    n = 2;
    break;
  case 11:
    ids[0] = XC_GGA_X_PBE;
    ids[1] = XC_GGA_C_PBE;
    n = 2;
    break;
  default:
    if (ixc < 0 && ixc > -1000000) {
      ids[0] = -ixc / 1000;
      ids[1] = -ixc % 1000;
      n = ids[0] && ids[1] ? 2 : 1;
      if (!ids[0]) ids[0] = ids[1];
      break;
    }
    return mb__error(MB_ERR_UNSUPPORTED, "mb__xc_from_ixc: ABINIT ixc %d is not supported "
                     "(1, 7, 11 or a libxc code -XXXCCC)", ixc);
  }
  return mb__xc_create(n, ids, nspin, out);
}

void mb__xc_free(mb__xc *xc) {
  if (!xc) return;
  for (int i = 0; i < xc->nfunc; i++) {
    xc_func_end(xc->func[i]);
    free(xc->func[i]);
  }
  free(xc);
}

/* grad[a*N + r] (a = x, y, z) of the real field f by FFT; the Nyquist planes are zeroed
 * so that the operator is real and antisymmetric. g, w: N complex work. */
static void gradient(const mb__fft *fft, const double *f, double complex *g, double complex *w,
                     double *grad) {
  size_t n = fft->ntot;
  mb__fft_r2g(fft, f, g);
  for (int a = 0; a < 3; a++) {
    for (size_t i = 0; i < n; i++) {
      double gv[3];
      int nyq;
      mb__fft_gvector(fft, i, gv, &nyq);
      w[i] = nyq ? 0 : I * gv[a] * g[i];
    }
    mb__fft_g2r(fft, w, w, grad + a * n);
  }
}

/* out[r] -= div h, h[a*N + r]: the adjoint of gradient() with the sign flipped. */
static void sub_divergence(const mb__fft *fft, const double *h, double complex *g,
                           double complex *w, double *out) {
  size_t n = fft->ntot;
  memset(w, 0, n * sizeof *w);
  for (int a = 0; a < 3; a++) {
    mb__fft_r2g(fft, h + a * n, g);
    for (size_t i = 0; i < n; i++) {
      double gv[3];
      int nyq;
      mb__fft_gvector(fft, i, gv, &nyq);
      if (!nyq) w[i] += I * gv[a] * g[i];
    }
  }
  mb__fft_backward(fft, w, w);
  for (size_t i = 0; i < n; i++) out[i] -= creal(w[i]);
}

/* tau_W = |grad rho_s|^2 / (8 rho_s) and tau_unif = 3/10 (6 pi^2)^(2/3) rho_s^(5/3) per spin
 * (unpolarised 3/10 (3 pi^2)^(2/3) rho^(5/3)) of one spin block rho (n values, clamped
 * at DENPOS; d, g, w work arrays). */
#define TAU_DENPOS 1e-14
static void tau_bounds(const mb__fft *fft, int nspin, const double *rho, double *d,
                       double complex *g, double complex *w, double *grad, double *tw,
                       double *tu) {
  const size_t n = fft->ntot;
  const double cf = 0.3 * pow(3.0 * nspin * M_PI * M_PI, 2.0 / 3);
  for (size_t i = 0; i < n; i++) d[i] = rho[i] > TAU_DENPOS ? rho[i] : TAU_DENPOS;
  gradient(fft, d, g, w, grad);
  for (size_t i = 0; i < n; i++) {
    double g2 = grad[i] * grad[i] + grad[n + i] * grad[n + i] + grad[2 * n + i] * grad[2 * n + i];
    tw[i] = g2 / (8 * d[i]);
    tu[i] = cf * pow(d[i], 5.0 / 3);
  }
}

/* alpha (out) of (rho, tau), or tau (out) of (rho, alpha): one routine, the direction by
 * which of alpha_out and tau_out is given. */
static mb_status alpha_tau(const mb__fft *fft, int nspin, const double *rho, const double *tau,
                           double *alpha_out, const double *alpha, double *tau_out) {
  const size_t n = fft->ntot;
  double complex *g = mb__fft_array(n), *w = mb__fft_array(n);
  double *grad = mb__malloc(3 * n, sizeof *grad), *d = mb__malloc(n, sizeof *d);
  double *tw = mb__malloc(n, sizeof *tw), *tu = mb__malloc(n, sizeof *tu);
  mb_status st = MB_OK;
  if (!g || !w || !grad || !d || !tw || !tu) {
    st = MB_ERR_NOMEM;
    goto cleanup;
  }
  for (int s = 0; s < nspin; s++) {
    tau_bounds(fft, nspin, rho + s * n, d, g, w, grad, tw, tu);
    const double *r = rho + s * n;
    if (alpha_out) /* 1 where there is no density */
      for (size_t i = 0; i < n; i++)
        alpha_out[s * n + i] = r[i] > TAU_DENPOS ? (tau[s * n + i] - tw[i]) / tu[i] : 1;
    else /* no kinetic energy where there is no density (the gradient of the clamped
          * field means nothing there) */
      for (size_t i = 0; i < n; i++)
        tau_out[s * n + i] = r[i] > TAU_DENPOS ? tw[i] + (alpha ? alpha[s * n + i] : 1) * tu[i] : 0;
  }
cleanup:
  mb__fft_array_free(g);
  mb__fft_array_free(w);
  free(grad), free(d), free(tw), free(tu);
  return st;
}

mb_status mb__xc_alpha(const mb__fft *fft, int nspin, const double *rho, const double *tau,
                       double *alpha) {
  return alpha_tau(fft, nspin, rho, tau, alpha, NULL, NULL);
}

mb_status mb__xc_tau_of_alpha(const mb__fft *fft, int nspin, const double *rho,
                              const double *alpha, double *tau) {
  return alpha_tau(fft, nspin, rho, NULL, NULL, alpha, tau);
}

mb_status mb__xc_tau_start(const mb__fft *fft, int nspin, const double *rho, double *tau) {
  return alpha_tau(fft, nspin, rho, NULL, NULL, NULL, tau);
}

mb_status mb__xc_eval(const mb__xc *xc, const mb__fft *fft, const double *rho,
                      const double *rho_core, const double *tau, double *exc, double *vxc,
                      double *vxc_rho, double *vtau) {
  if (!xc || !fft || !rho || !exc || !vxc)
    return mb__error(MB_ERR_INVALID_ARG, "mb__xc_eval: NULL argument");
  const int mgga = xc->family == XC_FAMILY_MGGA;
  if (mgga && (!tau || !vtau))
    return mb__error(MB_ERR_INVALID_ARG, "mb__xc_eval: a meta-GGA needs tau and vtau");
  const size_t n = fft->ntot;
  const int ns = xc->nspin, gga = xc->family == XC_FAMILY_GGA || mgga;
  const int nsig = ns == 1 ? 1 : 3;
  mb_status st = MB_OK;
  double *dens = mb__malloc(ns * n, sizeof *dens); /* libxc layout: spins interleaved */
  double *zk = mb__malloc(n, sizeof *zk), *vr = mb__malloc(ns * n, sizeof *vr);
  unsigned char *off = mb__calloc(n, 1); /* points of no density */
  double *grad = NULL, *sigma = NULL, *vs = NULL, *vsig = NULL, *h = NULL;
  double *tt = NULL, *lapl = NULL, *vl = NULL, *vt = NULL;
  double complex *g = NULL, *w = NULL;
  if (!dens || !zk || !vr || !off) {
    st = MB_ERR_NOMEM;
    goto cleanup;
  }
  /* Where a (mixed) density is not positive it is clamped to denpos, and the point gets
   * no xc energy and no potential: the FFT gradient of a clamped density is not small
   * there, and meta-GGAs (SCAN) return potentials of 1e10 Ha at such points, which a
   * Pulay step into negative density (a vacancy, a vacuum) then feeds to the bands. */
  /* off[i]: bit 1 the point (no density), bits 2, 4 a spin channel that a meta-GGA
   * leaves without potential (its density clamped: libxc's tau-dependent potential at a
   * clamped density and an unrelated tau is noise); one empty spin is fine for LDA/GGA
   * (full polarisation) */
  for (size_t i = 0; i < n; i++) {
    double tot = 0;
    for (int s = 0; s < ns; s++) {
      double d = rho[s * n + i] + (rho_core ? rho_core[i] / ns : 0);
      dens[i * ns + s] = d > xc->denpos ? d : xc->denpos;
      tot += d;
      if (mgga && ns == 2 && !(d > xc->denpos)) off[i] |= (unsigned char)(2 << s);
    }
    if (!(tot > xc->denpos)) off[i] |= 1;
  }
  if (gga) {
    grad = mb__malloc(3 * ns * n, sizeof *grad);
    sigma = mb__malloc(nsig * n, sizeof *sigma);
    vs = mb__calloc(nsig * n, sizeof *vs);
    vsig = mb__malloc(nsig * n, sizeof *vsig);
    h = mb__malloc(3 * n, sizeof *h);
    g = mb__fft_array(n);
    w = mb__fft_array(n);
    if (!grad || !sigma || !vs || !vsig || !h || !g || !w) {
      st = MB_ERR_NOMEM;
      goto cleanup;
    }
    for (int s = 0; s < ns; s++) { /* gradient of the (clamped) spin density */
      for (size_t i = 0; i < n; i++) h[i] = dens[i * ns + s];
      gradient(fft, h, g, w, grad + 3 * s * n);
    }
    for (size_t i = 0; i < n; i++) {
      const double *gu = grad, *gd = grad + 3 * n * (ns - 1);
      double uu = 0, ud = 0, dd = 0;
      for (int a = 0; a < 3; a++) {
        uu += gu[a * n + i] * gu[a * n + i];
        ud += gu[a * n + i] * gd[a * n + i];
        dd += gd[a * n + i] * gd[a * n + i];
      }
      if (ns == 1) {
        sigma[i] = uu;
      } else {
        sigma[3 * i] = uu;
        sigma[3 * i + 1] = ud;
        sigma[3 * i + 2] = dd;
      }
    }
  }
  if (mgga) { /* tau in libxc's layout (spins interleaved), the Laplacian unused (zero) */
    tt = mb__malloc(ns * n, sizeof *tt);
    lapl = mb__calloc(ns * n, sizeof *lapl);
    vl = mb__malloc(ns * n, sizeof *vl);
    vt = mb__malloc(ns * n, sizeof *vt);
    if (!tt || !lapl || !vl || !vt) {
      st = MB_ERR_NOMEM;
      goto cleanup;
    }
    for (int s = 0; s < ns; s++)
      for (size_t i = 0; i < n; i++) tt[i * ns + s] = tau[s * n + i] > 0 ? tau[s * n + i] : 0;
    memset(vtau, 0, ns * n * sizeof *vtau);
  }
  double e = 0;
  for (size_t i = 0; i < ns * n; i++) vxc[i] = 0;
  for (int f = 0; f < xc->nfunc; f++) {
    const xc_func_type *fn = xc->func[f];
    if (fn->info->family == XC_FAMILY_MGGA)
      xc_mgga_exc_vxc(fn, n, dens, sigma, lapl, tt, zk, vr, vsig, vl, vt);
    else if (fn->info->family == XC_FAMILY_GGA)
      xc_gga_exc_vxc(fn, n, dens, sigma, zk, vr, vsig);
    else
      xc_lda_exc_vxc(fn, n, dens, zk, vr);
    for (size_t i = 0; i < n; i++)
      if (off[i] & 1) {
        zk[i] = 0;
        for (int s = 0; s < ns; s++) vr[i * ns + s] = 0;
        if (fn->info->family != XC_FAMILY_LDA)
          for (int q = 0; q < nsig; q++) vsig[i * nsig + q] = 0;
        if (fn->info->family == XC_FAMILY_MGGA)
          for (int s = 0; s < ns; s++) vt[i * ns + s] = 0;
      } else if (off[i]) { /* one spin channel of a meta-GGA: sigma_ss' = 0, 1, 2 */
        for (int s = 0; s < 2; s++)
          if (off[i] & (2 << s)) {
            vr[i * 2 + s] = 0;
            if (fn->info->family != XC_FAMILY_LDA)
              vsig[i * 3 + 2 * s] = vsig[i * 3 + 1] = 0;
            if (fn->info->family == XC_FAMILY_MGGA) vt[i * 2 + s] = 0;
          }
      }
    if (fn->info->family == XC_FAMILY_MGGA)
      for (int s = 0; s < ns; s++)
        for (size_t i = 0; i < n; i++) vtau[s * n + i] += vt[i * ns + s];
    for (size_t i = 0; i < n; i++) {
      double dt = dens[i * ns] + (ns == 2 ? dens[i * ns + 1] : 0);
      e += zk[i] * dt;
      for (int s = 0; s < ns; s++) vxc[s * n + i] += vr[i * ns + s];
    }
    if (fn->info->family != XC_FAMILY_LDA)
      for (size_t i = 0; i < nsig * n; i++) vs[i] += vsig[i];
  }
  *exc = e * fft->omega / (double)n;
  if (gga) {
    /* V_s -= div(dE/d grad n_s): unpolarised 2 vsigma grad n; polarised
     * 2 vs_ss grad n_s + vs_ud grad n_s' (sigma_ud = grad n_u . grad n_d). */
    for (int s = 0; s < ns; s++) {
      const double *gs = grad + 3 * s * n, *go = grad + 3 * (ns - 1 - s) * n;
      for (int a = 0; a < 3; a++)
        for (size_t i = 0; i < n; i++) {
          if (ns == 1)
            h[a * n + i] = 2 * vs[i] * gs[a * n + i];
          else
            h[a * n + i] = 2 * vs[3 * i + 2 * s] * gs[a * n + i] + vs[3 * i + 1] * go[a * n + i];
        }
      sub_divergence(fft, h, g, w, vxc + s * n);
    }
  }
  if (vxc_rho) {
    double sum = 0;
    for (size_t i = 0; i < ns * n; i++) sum += vxc[i] * rho[i];
    *vxc_rho = sum * fft->omega / (double)n;
  }
cleanup:
  free(off);
  free(dens);
  free(zk);
  free(vr);
  free(grad);
  free(sigma);
  free(vs);
  free(vsig);
  free(h);
  free(tt), free(lapl), free(vl), free(vt);
  mb__fft_array_free(g);
  mb__fft_array_free(w);
  return st;
}
