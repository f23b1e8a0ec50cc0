/* mb_functional (migbar.h section 12): an exchange-correlation functional as libxc
 * components, what it is (family, names, references from libxc's own metadata), Hubbard
 * U values, and its evaluation on a density in Angstrom and eV. A handle is read-only
 * once made (Hubbard U aside): libxc's evaluation does not change its xc_func_type, so
 * threads may share one. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "functional.h"
#include "../dft/dft.h"

static void release(mb_functional *f) {
  for (int s = 0; s < 2; s++)
    for (int i = 0; i < f->ncomp; i++)
      if (f->func[s][i]) {
        xc_func_end(f->func[s][i]);
        free(f->func[s][i]);
      }
  for (int i = 0; i < MB__XC_MAX_COMPONENTS; i++) free(f->short_name[i]);
  free(f->name);
  free(f);
}

MB_API void mb_functional_free(mb_functional *f) {
  if (f) release(f);
}

/* Exact exchange: hybrid families in libxc 5, the hybrid type in libxc 6. */
static int is_hybrid(const xc_func_type *x) {
#if defined(XC_FAMILY_HYB_GGA)
  int fam = x->info->family;
  return fam == XC_FAMILY_HYB_GGA || fam == XC_FAMILY_HYB_MGGA
#if defined(XC_FAMILY_HYB_LDA)
         || fam == XC_FAMILY_HYB_LDA
#endif
      ;
#else
  return xc_hyb_type(x) != XC_HYB_SEMILOCAL;
#endif
}

static mb_xc_family family_of(const xc_func_info_type *info) {
  switch (info->family) {
  case XC_FAMILY_LDA: return MB_XC_FAMILY_LDA;
  case XC_FAMILY_GGA: return MB_XC_FAMILY_GGA;
  default: return MB_XC_FAMILY_MGGA;
  }
}

/* Make the components of ids (checked: exchange and/or correlation, no hybrids, no
 * Laplacian, with a potential). */
static mb_status build(const char *name, const int *ids, int n, mb_functional **out) {
  mb_functional *f = mb__calloc(1, sizeof *f);
  if (!f || !(f->name = mb__strdup(name))) {
    free(f);
    return MB_ERR_NOMEM;
  }
  mb_status st = MB_OK;
  f->family = MB_XC_FAMILY_LDA;
  for (int i = 0; i < n && !st; i++) {
    f->id[i] = ids[i];
    f->short_name[i] = xc_functional_get_name(ids[i]); /* NULL for an unknown id */
    for (int s = 0; s < 2 && !st; s++) {
      xc_func_type *x = mb__calloc(1, sizeof *x);
      if (!x) {
        st = MB_ERR_NOMEM;
        break;
      }
      if (xc_func_init(x, ids[i], s ? XC_POLARIZED : XC_UNPOLARIZED) != 0) {
        free(x);
        st = mb__error(MB_ERR_INVALID_ARG, "functional '%.60s': libxc %s has no functional %d",
                       name, xc_version_string(), ids[i]);
        break;
      }
      f->func[s][i] = x;
      f->ncomp = i + 1;
      const xc_func_info_type *info = x->info;
      const char *why = NULL;
      if (info->kind == XC_KINETIC) why = "a kinetic-energy functional";
      else if (is_hybrid(x)) why = "a hybrid (exact exchange is not supported)";
      else if (info->family != XC_FAMILY_LDA && info->family != XC_FAMILY_GGA &&
               info->family != XC_FAMILY_MGGA)
        why = "not an LDA, GGA or meta-GGA";
      else if (info->flags & XC_FLAGS_NEEDS_LAPLACIAN)
        why = "a meta-GGA that needs the Laplacian of the density (not supported)";
      else if (!(info->flags & XC_FLAGS_HAVE_VXC))
        why = "without a potential in libxc";
      if (why)
        st = mb__error(MB_ERR_UNSUPPORTED, "functional '%.60s': libxc %d (%s) is %s", name,
                       ids[i], info->name, why);
      else if (family_of(info) > f->family)
        f->family = family_of(info);
    }
  }
  if (st) {
    release(f);
    return st;
  }
  *out = f;
  return MB_OK;
}

MB_API mb_status mb_functional_create(const char *name, mb_functional **out) {
  if (!name || !out) return mb__error(MB_ERR_INVALID_ARG, "mb_functional_create: NULL argument");
  int ids[MB__XC_MAX_COMPONENTS], n = 0;
  const char *canonical = NULL;
  mb_status st = mb__functional_ids(name, ids, &n, &canonical);
  if (st) return st;
  return build(canonical ? canonical : name, ids, n, out);
}

MB_API mb_status mb_functional_copy(const mb_functional *f, mb_functional **out) {
  if (!f || !out) return mb__error(MB_ERR_INVALID_ARG, "mb_functional_copy: NULL argument");
  mb_functional *c = NULL;
  mb_status st = build(f->name, f->id, f->ncomp, &c);
  if (st) return st;
  c->nhub = f->nhub;
  memcpy(c->hub_z, f->hub_z, sizeof c->hub_z);
  memcpy(c->hub_l, f->hub_l, sizeof c->hub_l);
  memcpy(c->hub_u, f->hub_u, sizeof c->hub_u);
  *out = c;
  return MB_OK;
}

/* ---- what it is -------------------------------------------------------------------- */

MB_API mb_status mb_functional_name(const mb_functional *f, const char **name) {
  if (!f || !name) return mb__error(MB_ERR_INVALID_ARG, "mb_functional_name: NULL argument");
  *name = f->name;
  return MB_OK;
}

MB_API mb_status mb_functional_family(const mb_functional *f, mb_xc_family *family) {
  if (!f || !family) return mb__error(MB_ERR_INVALID_ARG, "mb_functional_family: NULL argument");
  *family = f->family;
  return MB_OK;
}

MB_API mb_status mb_functional_components(const mb_functional *f, int *n) {
  if (!f || !n) return mb__error(MB_ERR_INVALID_ARG, "mb_functional_components: NULL argument");
  *n = f->ncomp;
  return MB_OK;
}

MB_API mb_status mb_functional_component(const mb_functional *f, int i, int *libxc_id,
                                         const char **libxc_name, const char **description) {
  if (!f) return mb__error(MB_ERR_INVALID_ARG, "mb_functional_component: NULL functional");
  if (i < 0 || i >= f->ncomp)
    return mb__error(MB_ERR_RANGE, "mb_functional_component: component %d outside 0..%d", i,
                     f->ncomp - 1);
  if (libxc_id) *libxc_id = f->id[i];
  if (libxc_name) *libxc_name = f->short_name[i] ? f->short_name[i] : "?";
  if (description) *description = f->func[0][i]->info->name;
  return MB_OK;
}

MB_API mb_status mb_functional_references(const mb_functional *f, char **text) {
  if (!f || !text) return mb__error(MB_ERR_INVALID_ARG, "mb_functional_references: NULL argument");
  mb_strbuf sb = {0};
  for (int i = 0; i < f->ncomp; i++) {
    const xc_func_info_type *info = f->func[0][i]->info;
    mb__sb_printf(&sb, "%s (libxc %d):\n", info->name, f->id[i]);
    for (int r = 0; r < XC_MAX_REFERENCES && info->refs[r]; r++)
      mb__sb_printf(&sb, "  %s%s%s\n", info->refs[r]->ref,
                    info->refs[r]->doi && info->refs[r]->doi[0] ? " doi:" : "",
                    info->refs[r]->doi ? info->refs[r]->doi : "");
  }
  size_t size;
  return mb__sb_finish(&sb, text, &size);
}

/* ---- Hubbard U ----------------------------------------------------------------------- */

static mb_status hub_key(const char *element, int l, const char *fn, int *z) {
  if (!element) return mb__error(MB_ERR_INVALID_ARG, "%s: NULL element", fn);
  mb_status st = mb_element_number(element, z);
  if (st) return st;
  if (l < 0 || l > 3)
    return mb__error(MB_ERR_INVALID_ARG, "%s: l = %d; the channel is 0 (s), 1 (p), 2 (d) or "
                     "3 (f)", fn, l);
  return MB_OK;
}

MB_API mb_status mb_functional_set_hubbard(mb_functional *f, const char *element, int l,
                                           double u_eV) {
  static const char fn[] = "mb_functional_set_hubbard";
  if (!f) return mb__error(MB_ERR_INVALID_ARG, "%s: NULL functional", fn);
  int z;
  mb_status st = hub_key(element, l, fn, &z);
  if (st) return st;
  if (!isfinite(u_eV) || u_eV < 0 || u_eV > 20)
    return mb__error(MB_ERR_INVALID_ARG, "%s: U_eff = %g eV for %s %c; it must be in [0, 20] eV",
                     fn, u_eV, element, "spdf"[l]);
  for (int k = 0; k < f->nhub; k++)
    if (f->hub_z[k] == z && f->hub_l[k] == l) {
      f->hub_u[k] = u_eV;
      return MB_OK;
    }
  if (f->nhub == MB__XC_MAX_HUBBARD)
    return mb__error(MB_ERR_RANGE, "%s: more than %d Hubbard channels", fn, MB__XC_MAX_HUBBARD);
  f->hub_z[f->nhub] = z, f->hub_l[f->nhub] = l, f->hub_u[f->nhub++] = u_eV;
  return MB_OK;
}

MB_API mb_status mb_functional_hubbard(const mb_functional *f, const char *element, int l,
                                       double *u_eV) {
  static const char fn[] = "mb_functional_hubbard";
  if (!f || !u_eV) return mb__error(MB_ERR_INVALID_ARG, "%s: NULL argument", fn);
  int z;
  mb_status st = hub_key(element, l, fn, &z);
  if (st) return st;
  *u_eV = 0;
  for (int k = 0; k < f->nhub; k++)
    if (f->hub_z[k] == z && f->hub_l[k] == l) *u_eV = f->hub_u[k];
  return MB_OK;
}

/* ---- evaluation ---------------------------------------------------------------------- */

/* Angstrom and eV at the API, Hartree atomic units for libxc (factors to atomic units) */
#define A3 (MB_BOHR_ANGSTROM * MB_BOHR_ANGSTROM * MB_BOHR_ANGSTROM)

MB_API mb_status mb_functional_evaluate(const mb_functional *f, int nspin, size_t n,
                                        const double *rho, const double *sigma,
                                        const double *tau, double *eps, double *vrho,
                                        double *vsigma, double *vtau) {
  static const char fn[] = "mb_functional_evaluate";
  if (!f || !rho || !eps) return mb__error(MB_ERR_INVALID_ARG, "%s: NULL argument", fn);
  if (nspin != 1 && nspin != 2)
    return mb__error(MB_ERR_INVALID_ARG, "%s: nspin is %d, not 1 or 2", fn, nspin);
  int gga = f->family >= MB_XC_FAMILY_GGA, mgga = f->family == MB_XC_FAMILY_MGGA;
  if ((gga && !sigma) || (mgga && !tau))
    return mb__error(MB_ERR_INVALID_ARG, "%s: %s needs %s", fn, f->name,
                     mgga ? "sigma and tau (a meta-GGA)" : "sigma (a GGA)");
  if (n > (size_t)1 << 40) return mb__error(MB_ERR_RANGE, "%s: %zu points", fn, n);
  size_t ns = (size_t)nspin, nsig = nspin == 1 ? 1 : 3;
  for (size_t k = 0; k < n * ns; k++)
    if (!(rho[k] >= 0) || !isfinite(rho[k]) || (mgga && !(tau[k] >= 0 && isfinite(tau[k]))))
      return mb__error(MB_ERR_INVALID_ARG, "%s: point %zu: the density%s must be finite and "
                       ">= 0", fn, k / ns, mgga ? " and tau" : "");
  for (size_t k = 0; gga && k < n * nsig; k++)
    if (!isfinite(sigma[k]))
      return mb__error(MB_ERR_INVALID_ARG, "%s: point %zu: sigma is not finite", fn, k / nsig);
  /* to atomic units: rho A^-3 -> bohr^-3, sigma A^-8 -> bohr^-8, tau eV A^-3 -> Ha bohr^-3 */
  double *r = mb__malloc(n * ns, sizeof *r), *s = gga ? mb__malloc(n * nsig, sizeof *s) : NULL;
  double *t = mgga ? mb__malloc(n * ns, sizeof *t) : NULL;
  double *e1 = mb__malloc(n, sizeof *e1), *vr1 = mb__malloc(n * ns, sizeof *vr1);
  double *vs1 = gga ? mb__malloc(n * nsig, sizeof *vs1) : NULL;
  double *vt1 = mgga ? mb__malloc(n * ns, sizeof *vt1) : NULL;
  double *vl1 = mgga ? mb__malloc(n * ns, sizeof *vl1) : NULL;
  double *lapl = mgga ? mb__calloc(n * ns, sizeof *lapl) : NULL;
  mb_status st = MB_OK;
  if (!r || (gga && (!s || !vs1)) || (mgga && (!t || !vt1 || !vl1 || !lapl)) || !e1 || !vr1) {
    st = MB_ERR_NOMEM;
    goto done;
  }
  const double a8 = A3 * A3 * MB_BOHR_ANGSTROM * MB_BOHR_ANGSTROM;
  for (size_t k = 0; k < n * ns; k++) r[k] = rho[k] * A3;
  for (size_t k = 0; gga && k < n * nsig; k++) s[k] = sigma[k] * a8;
  for (size_t k = 0; mgga && k < n * ns; k++) t[k] = tau[k] * A3 / MB_HARTREE_EV;
  memset(eps, 0, n * sizeof *eps);
  if (vrho) memset(vrho, 0, n * ns * sizeof *vrho);
  if (vsigma && gga) memset(vsigma, 0, n * nsig * sizeof *vsigma);
  if (vtau && mgga) memset(vtau, 0, n * ns * sizeof *vtau);
  for (int i = 0; i < f->ncomp; i++) {
    const xc_func_type *x = f->func[nspin - 1][i];
    switch (x->info->family) {
    case XC_FAMILY_LDA: xc_lda_exc_vxc(x, n, r, e1, vr1); break;
    case XC_FAMILY_GGA: xc_gga_exc_vxc(x, n, r, s, e1, vr1, vs1); break;
    default: xc_mgga_exc_vxc(x, n, r, s, lapl, t, e1, vr1, vs1, vl1, vt1); break;
    }
    int fam = x->info->family;
    /* back: eps and vrho Ha -> eV; vsigma Ha bohr^5 -> eV A^5; vtau is dimensionless */
    for (size_t k = 0; k < n; k++) eps[k] += e1[k] * MB_HARTREE_EV;
    for (size_t k = 0; vrho && k < n * ns; k++) vrho[k] += vr1[k] * MB_HARTREE_EV;
    if (fam != XC_FAMILY_LDA)
      for (size_t k = 0; vsigma && k < n * nsig; k++)
        vsigma[k] += vs1[k] * MB_HARTREE_EV * (a8 / A3);
    if (fam == XC_FAMILY_MGGA)
      for (size_t k = 0; vtau && k < n * ns; k++) vtau[k] += vt1[k];
  }
done:
  free(r), free(s), free(t), free(e1), free(vr1), free(vs1), free(vt1), free(vl1), free(lapl);
  return st;
}
