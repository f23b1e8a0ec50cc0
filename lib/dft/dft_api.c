/* The public mb_dft handle (migbar.h section 10): settings with their defaults and
 * checks, pseudopotentials read once per element, the conversion between the API's
 * Angstrom and eV and the engine's Hartree atomic units, and the persistent ground
 * state of scf.h that warm-starts every new geometry.
 *
 * Pseudopotentials are read-only once parsed (their form factors are computed from
 * const data), so copies of a handle share them through a reference count; the
 * engine borrows the same pointers. Everything else belongs to one handle. */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hubbard.h"
#include "../functional/functional.h"
#include "../core/options.h"
#include "../structure/structure.h"

/* A pseudopotential shared by the copies of a handle. */
typedef struct psp_ref {
  atomic_int refs;
  mb__psp *psp;
} psp_ref;

/* The pseudopotentials of all types. The engine keeps a pointer to the array ptr, and
 * so do the engines copied from it: the set is shared by reference count and copied
 * before a change when another handle holds it (copy on write). */
typedef struct psp_set {
  atomic_int refs;
  int ntypes;
  psp_ref **ref;  /* ntypes, NULL until read */
  mb__psp **ptr;  /* ntypes, ref[t]->psp */
  int *named;     /* ntypes: 1 = given by mb_dft_set_pseudo */
} psp_set;

struct mb_dft {
  mb_structure *s;   /* the current geometry (Angstrom) */
  int ntypes;
  int *type_z;       /* ntypes atomic numbers, in order of first appearance */
  int *types;        /* natoms indices into type_z */
  psp_set *set;      /* the pseudopotentials */
  char *pseudo_dir;  /* NULL: the abinit-data directory */
  /* settings (API units) */
  double ecut, scf_tol, mixing, width;
  int max_scf, threads, extra_bands, symmetry; /* extra_bands < 0: automatic */
  int grid[3];
  double shift[3];
  mb_smearing smearing;
  mb_xc xc;
  double charge;       /* MB_DFT_CHARGE */
  int spin, fix_moment;/* MB_DFT_SPIN, MB_DFT_FIX_MOMENT */
  double moment;       /* MB_DFT_MOMENT */
  double ecut_rho;     /* MB_DFT_ECUT_RHO, eV; 0 = 4 x ecut */
  double *spinat;      /* natoms starting moments (mu_B), or NULL */
  int xc_ixc;          /* nonzero: a functional handle's libxc ids as ABINIT's ixc */
  int xc_lda;          /* ... and whether it is an LDA (pseudopotentials found by it) */
  char xc_name[64];
  /* DFT+U: the functional's Hubbard U_eff (eV) per element and l (U > 0 only) */
  int nhub, hub_z[MB__XC_MAX_HUBBARD], hub_l[MB__XC_MAX_HUBBARD];
  double hub_u[MB__XC_MAX_HUBBARD];
  mb_logger log;
  /* the engine and the last result */
  mb__scf *scf;
  int solved;        /* an SCF has run (converged or not) */
  mb__scf_result res;
  int converged;
};

#define HA MB_HARTREE_EV
#define BOHR MB_BOHR_ANGSTROM

static void psp_release(psp_ref *r) {
  if (r && atomic_fetch_sub(&r->refs, 1) == 1) {
    mb__psp_free(r->psp);
    free(r);
  }
}

static psp_ref *psp_retain(psp_ref *r) {
  if (r) atomic_fetch_add(&r->refs, 1);
  return r;
}

static void set_release(psp_set *set) {
  if (!set || atomic_fetch_sub(&set->refs, 1) != 1) return;
  for (int t = 0; t < set->ntypes && set->ref; t++) psp_release(set->ref[t]);
  free(set->ref);
  free(set->ptr);
  free(set->named);
  free(set);
}

/* A new set with the entries of src (retained), or empty when src is NULL. */
static psp_set *set_new(int ntypes, const psp_set *src) {
  psp_set *set = mb__calloc(1, sizeof *set);
  if (!set) return NULL;
  atomic_init(&set->refs, 1);
  set->ntypes = ntypes;
  set->ref = mb__calloc((size_t)ntypes, sizeof *set->ref);
  set->ptr = mb__calloc((size_t)ntypes, sizeof *set->ptr);
  set->named = mb__calloc((size_t)ntypes, sizeof *set->named);
  if (!set->ref || !set->ptr || !set->named) {
    set_release(set);
    return NULL;
  }
  for (int t = 0; src && t < ntypes; t++) {
    set->ref[t] = psp_retain(src->ref[t]);
    set->ptr[t] = src->ptr[t];
    set->named[t] = src->named[t];
  }
  return set;
}

/* Make d's set its own before changing it. */
static mb_status set_writable(mb_dft *d) {
  if (atomic_load(&d->set->refs) == 1) return MB_OK;
  psp_set *own = set_new(d->ntypes, d->set);
  if (!own) return MB_ERR_NOMEM;
  set_release(d->set);
  d->set = own;
  return MB_OK;
}

/* Put r (owned) as the pseudopotential of type t. */
static void set_put(psp_set *set, int t, psp_ref *r, int named) {
  psp_release(set->ref[t]);
  set->ref[t] = r;
  set->ptr[t] = r ? r->psp : NULL;
  set->named[t] = r ? named : 0;
}

/* Forget the engine: the next compute starts from scratch (settings changed). */
static void drop_engine(mb_dft *d) {
  mb__scf_free(d->scf);
  d->scf = NULL;
}

#define CHECK_DFT(d, fn) \
  if (!(d)) return mb__error(MB_ERR_INVALID_ARG, fn ": NULL dft handle")

MB_API void mb_dft_free(mb_dft *d) {
  if (!d) return;
  mb__scf_free(d->scf);
  set_release(d->set);
  free(d->type_z);
  free(d->types);
  free(d->pseudo_dir);
  free(d->spinat);
  mb_structure_free(d->s);
  free(d);
}

/* An option's value (checked by the caller) into the handle. */
static void store_option(mb_dft *d, mb_dft_option key, double v) {
  switch (key) {
  case MB_DFT_ECUT: d->ecut = v; break;
  case MB_DFT_SCF_TOL: d->scf_tol = v; break;
  case MB_DFT_MAX_SCF: d->max_scf = (int)v; break;
  case MB_DFT_THREADS: d->threads = (int)v; break;
  case MB_DFT_EXTRA_BANDS: d->extra_bands = (int)v; break;
  case MB_DFT_MIXING: d->mixing = v; break;
  case MB_DFT_SYMMETRY: d->symmetry = (int)v; break;
  case MB_DFT_CHARGE: d->charge = v; break;
  case MB_DFT_SPIN: d->spin = (int)v; break;
  case MB_DFT_FIX_MOMENT: d->fix_moment = (int)v; break;
  case MB_DFT_MOMENT: d->moment = v; break;
  case MB_DFT_ECUT_RHO: d->ecut_rho = v; break;
  }
}

MB_API mb_status mb_dft_create(const mb_structure *s, mb_dft **out) {
  if (!out) return mb__error(MB_ERR_INVALID_ARG, "mb_dft_create: out is NULL");
  if (!s) return mb__error(MB_ERR_INVALID_ARG, "mb_dft_create: NULL structure");
  mb_status st = MB_OK;
  mb_dft *d = mb__calloc(1, sizeof *d);
  if (!d) return MB_ERR_NOMEM;
  int n = s->natoms;
  d->type_z = mb__calloc((size_t)n, sizeof(int));
  d->types = mb__calloc((size_t)n, sizeof(int));
  if (!d->type_z || !d->types) {
    st = MB_ERR_NOMEM;
    goto fail;
  }
  if ((st = mb_structure_copy(s, &d->s))) goto fail;
  for (int a = 0; a < n; a++) {
    int t = 0;
    while (t < d->ntypes && d->type_z[t] != s->numbers[a]) t++;
    if (t == d->ntypes) d->type_z[d->ntypes++] = s->numbers[a];
    d->types[a] = t;
  }
  if (!(d->set = set_new(d->ntypes, NULL))) {
    st = MB_ERR_NOMEM;
    goto fail;
  }
  /* defaults: the option table's (dft_options.c; extra_bands -1 = by the smearing) */
  for (int k = 0; k < mb__dft_noptions; k++)
    store_option(d, (mb_dft_option)mb__dft_options[k].key, mb__dft_options[k].def);
  d->width = 0.1;
  d->grid[0] = d->grid[1] = d->grid[2] = 1;
  d->smearing = MB_SMEARING_NONE;
  d->xc = MB_XC_AUTO;
  d->log.level = MB_LOG_INFO;
  *out = d;
  return MB_OK;
fail:
  mb_dft_free(d);
  return st;
}

MB_API mb_status mb_dft_copy(const mb_dft *d, mb_dft **out) {
  if (!out) return mb__error(MB_ERR_INVALID_ARG, "mb_dft_copy: out is NULL");
  CHECK_DFT(d, "mb_dft_copy");
  mb_dft *c = NULL;
  mb_status st = mb_dft_create(d->s, &c);
  if (st) return st;
  set_release(c->set);
  c->set = d->set;
  atomic_fetch_add(&c->set->refs, 1);
  if (d->pseudo_dir && !(c->pseudo_dir = mb__strdup(d->pseudo_dir))) {
    st = MB_ERR_NOMEM;
    goto fail;
  }
  c->ecut = d->ecut, c->scf_tol = d->scf_tol, c->mixing = d->mixing, c->width = d->width;
  c->max_scf = d->max_scf, c->threads = d->threads, c->extra_bands = d->extra_bands;
  c->symmetry = d->symmetry, c->smearing = d->smearing, c->xc = d->xc, c->log = d->log;
  c->xc_ixc = d->xc_ixc, c->xc_lda = d->xc_lda, c->charge = d->charge;
  c->spin = d->spin, c->fix_moment = d->fix_moment, c->moment = d->moment;
  c->ecut_rho = d->ecut_rho;
  if (d->spinat) {
    if (!(c->spinat = mb__malloc(d->s->natoms, sizeof(double)))) {
      st = MB_ERR_NOMEM;
      goto fail;
    }
    memcpy(c->spinat, d->spinat, (size_t)d->s->natoms * sizeof(double));
  }
  memcpy(c->xc_name, d->xc_name, sizeof c->xc_name);
  c->nhub = d->nhub; /* DFT+U */
  memcpy(c->hub_z, d->hub_z, sizeof c->hub_z);
  memcpy(c->hub_l, d->hub_l, sizeof c->hub_l);
  memcpy(c->hub_u, d->hub_u, sizeof c->hub_u);
  memcpy(c->grid, d->grid, sizeof c->grid);
  memcpy(c->shift, d->shift, sizeof c->shift);
  if (d->scf) {
    if ((st = mb__scf_copy(d->scf, &c->scf))) goto fail;
    mb__scf_set_logger(c->scf, c->log.fn ? &c->log : NULL);
  }
  c->solved = d->solved, c->res = d->res, c->converged = d->converged;
  *out = c;
  return MB_OK;
fail:
  mb_dft_free(c);
  return st;
}

/* ---- settings ------------------------------------------------------------- */

MB_API mb_status mb_dft_set_option(mb_dft *d, mb_dft_option key, double v) {
  CHECK_DFT(d, "mb_dft_set_option");
  /* bounds from the option table (dft_options.c) */
  mb_status st = mb__option_check(MB_OPTIONS_DFT, (int)key, v, "mb_dft_set_option");
  if (st) return st;
  store_option(d, key, v);
  drop_engine(d);
  return MB_OK;
}

/* Valence electrons (psps read) and the band count: occupied bands plus the extra. */
static int occupied_bands(double nelect) { return (int)ceil(nelect / 2 - 1e-9); }

static int extra_bands(const mb_dft *d, double nelect) {
  if (d->extra_bands >= 0) return d->extra_bands;
  if (d->smearing == MB_SMEARING_NONE) return 0;
  int e = (int)ceil(0.2 * occupied_bands(nelect));
  return e < 4 ? 4 : e;
}

/* The electrons: the pseudo-ions' valence less the net charge. */
static double valence(const mb_dft *d) {
  double z = 0;
  for (int a = 0; a < d->s->natoms; a++) z += d->set->ptr[d->types[a]]->zion;
  return z - d->charge;
}

static int have_all_psp(const mb_dft *d) {
  for (int t = 0; t < d->ntypes; t++)
    if (!d->set->ptr[t]) return 0;
  return 1;
}

MB_API mb_status mb_dft_get_option(const mb_dft *d, mb_dft_option key, double *value) {
  CHECK_DFT(d, "mb_dft_get_option");
  if (!value) return mb__error(MB_ERR_INVALID_ARG, "mb_dft_get_option: value is NULL");
  switch (key) {
  case MB_DFT_ECUT: *value = d->ecut; return MB_OK;
  case MB_DFT_SCF_TOL: *value = d->scf_tol; return MB_OK;
  case MB_DFT_MAX_SCF: *value = d->max_scf; return MB_OK;
  case MB_DFT_THREADS: *value = d->threads; return MB_OK;
  case MB_DFT_EXTRA_BANDS:
    /* automatic: known once the pseudopotentials (the electron count) are */
    if (d->extra_bands >= 0) *value = d->extra_bands;
    else if (d->smearing == MB_SMEARING_NONE) *value = 0;
    else *value = have_all_psp(d) ? extra_bands(d, valence(d)) : -1;
    return MB_OK;
  case MB_DFT_MIXING: *value = d->mixing; return MB_OK;
  case MB_DFT_SYMMETRY: *value = d->symmetry; return MB_OK;
  case MB_DFT_CHARGE: *value = d->charge; return MB_OK;
  case MB_DFT_SPIN: *value = d->spin; return MB_OK;
  case MB_DFT_FIX_MOMENT: *value = d->fix_moment; return MB_OK;
  case MB_DFT_MOMENT: *value = d->moment; return MB_OK;
  case MB_DFT_ECUT_RHO: *value = d->ecut_rho; return MB_OK;
  }
  return mb__error(MB_ERR_INVALID_ARG, "mb_dft_get_option: unknown option %d (0..%d)",
                   (int)key, MB_DFT_CHARGE);
}

MB_API mb_status mb_dft_set_kpoints(mb_dft *d, const int grid[3], const double shift[3]) {
  CHECK_DFT(d, "mb_dft_set_kpoints");
  if (!grid) return mb__error(MB_ERR_INVALID_ARG, "mb_dft_set_kpoints: grid is NULL");
  for (int j = 0; j < 3; j++) {
    if (grid[j] < 1 || grid[j] > 100)
      return mb__error(MB_ERR_INVALID_ARG, "mb_dft_set_kpoints: grid[%d] = %d is not in "
                       "1..100", j, grid[j]);
    if (shift && shift[j] != 0 && shift[j] != 0.5)
      return mb__error(MB_ERR_INVALID_ARG, "mb_dft_set_kpoints: shift[%d] = %g is not 0 or "
                       "0.5", j, shift[j]);
  }
  for (int j = 0; j < 3; j++) d->grid[j] = grid[j], d->shift[j] = shift ? shift[j] : 0;
  drop_engine(d);
  return MB_OK;
}

MB_API mb_status mb_dft_set_smearing(mb_dft *d, mb_smearing kind, double width_eV) {
  CHECK_DFT(d, "mb_dft_set_smearing");
  if ((int)kind < MB_SMEARING_NONE || (int)kind > MB_SMEARING_COLD)
    return mb__error(MB_ERR_INVALID_ARG, "mb_dft_set_smearing: unknown kind %d (0..3)",
                     (int)kind);
  if (kind != MB_SMEARING_NONE && !(width_eV > 0 && width_eV <= 10))
    return mb__error(MB_ERR_INVALID_ARG, "mb_dft_set_smearing: the width must be in (0, 10] "
                     "eV, not %g", width_eV);
  d->smearing = kind;
  if (kind != MB_SMEARING_NONE) d->width = width_eV;
  drop_engine(d);
  return MB_OK;
}

MB_API mb_status mb_dft_set_functional(mb_dft *d, mb_xc xc) {
  CHECK_DFT(d, "mb_dft_set_functional");
  if ((int)xc < MB_XC_AUTO || (int)xc > MB_XC_PBE)
    return mb__error(MB_ERR_INVALID_ARG, "mb_dft_set_functional: unknown functional %d "
                     "(0 auto, 1 LDA, 2 PBE)", (int)xc);
  if (xc != d->xc) {
    /* pseudopotentials found automatically depend on the functional (psp8 PBE, HGH
     * LDA): look again */
    drop_engine(d);
    mb_status st = set_writable(d);
    if (st) return st;
    for (int t = 0; t < d->ntypes; t++)
      if (!d->set->named[t]) set_put(d->set, t, NULL, 0);
  }
  d->xc = xc;
  d->xc_ixc = 0;
  d->nhub = 0; /* a functional without Hubbard values */
  drop_engine(d);
  return MB_OK;
}

/* Forget the pseudopotentials found automatically (they depend on the functional's
 * family: psp8 PBE, HGH LDA). */
static mb_status forget_found_psps(mb_dft *d) {
  drop_engine(d);
  mb_status st = set_writable(d);
  if (st) return st;
  for (int t = 0; t < d->ntypes; t++)
    if (!d->set->named[t]) set_put(d->set, t, NULL, 0);
  return MB_OK;
}

MB_API mb_status mb_dft_set_xc_functional(mb_dft *d, const mb_functional *f) {
  static const char fn[] = "mb_dft_set_xc_functional";
  CHECK_DFT(d, "mb_dft_set_xc_functional");
  if (!f) return mb__error(MB_ERR_INVALID_ARG, "%s: NULL functional", fn);
  const char *name;
  mb_xc_family fam;
  int n, id[2] = {0, 0};
  mb_status st;
  if ((st = mb_functional_name(f, &name)) || (st = mb_functional_family(f, &fam)) ||
      (st = mb_functional_components(f, &n)))
    return st;
  if (n > 2)
    return mb__error(MB_ERR_UNSUPPORTED, "%s: %s has %d components; the engine takes one or "
                     "two (exchange and correlation)", fn, name, n);
  for (int i = 0; i < n; i++)
    if ((st = mb_functional_component(f, i, &id[i], NULL, NULL))) return st;
  if (id[0] >= 1000 || id[1] >= 1000)
    return mb__error(MB_ERR_UNSUPPORTED, "%s: libxc ids %d and %d do not fit ABINIT's ixc "
                     "encoding (below 1000 each)", fn, id[0], id[1]);
  int lda = fam == MB_XC_FAMILY_LDA;
  if (lda != (d->xc_ixc ? d->xc_lda : d->xc == MB_XC_LDA) && (st = forget_found_psps(d)))
    return st;
  d->xc = lda ? MB_XC_LDA : MB_XC_PBE; /* the family, for the pseudopotential search */
  d->xc_ixc = n == 2 ? -(id[0] * 1000 + id[1]) : -id[0];
  d->xc_lda = lda;
  snprintf(d->xc_name, sizeof d->xc_name, "%s", name);
  d->nhub = 0; /* DFT+U: the functional's U_eff > 0, checked against the pseudopotentials'
                * orbitals when the engine is made */
  for (int k = 0; k < f->nhub; k++)
    if (f->hub_u[k] > 0) {
      d->hub_z[d->nhub] = f->hub_z[k], d->hub_l[d->nhub] = f->hub_l[k];
      d->hub_u[d->nhub++] = f->hub_u[k];
    }
  drop_engine(d);
  return MB_OK;
}

MB_API mb_status mb_dft_set_pseudo(mb_dft *d, const char *element, const char *path) {
  CHECK_DFT(d, "mb_dft_set_pseudo");
  if (!element || !path)
    return mb__error(MB_ERR_INVALID_ARG, "mb_dft_set_pseudo: NULL %s",
                     element ? "path" : "element");
  int z = 0, t = 0;
  if (mb_element_number(element, &z) != MB_OK)
    return mb__error(MB_ERR_INVALID_ARG, "mb_dft_set_pseudo: '%s' is not a chemical symbol",
                     element);
  while (t < d->ntypes && d->type_z[t] != z) t++;
  if (t == d->ntypes)
    return mb__error(MB_ERR_INVALID_ARG, "mb_dft_set_pseudo: the structure has no %s atom",
                     element);
  mb__psp *p = NULL;
  mb_status st = mb__psp_read(path, &p);
  if (st) {
    mb__error_prefix("mb_dft_set_pseudo(%s)", element);
    return st;
  }
  if (fabs(p->zatom - z) > 1e-6) {
    st = mb__error(MB_ERR_INVALID_ARG, "mb_dft_set_pseudo: %s is a pseudopotential for Z = "
                   "%g, not %s (Z = %d)", path, p->zatom, element, z);
    mb__psp_free(p);
    return st;
  }
  psp_ref *r = mb__calloc(1, sizeof *r);
  if (!r) {
    mb__psp_free(p);
    return MB_ERR_NOMEM;
  }
  atomic_init(&r->refs, 1);
  r->psp = p;
  drop_engine(d);
  if ((st = set_writable(d))) {
    psp_release(r);
    return st;
  }
  set_put(d->set, t, r, 1);
  return MB_OK;
}

MB_API mb_status mb_dft_set_pseudo_dir(mb_dft *d, const char *dir) {
  CHECK_DFT(d, "mb_dft_set_pseudo_dir");
  if (!dir) return mb__error(MB_ERR_INVALID_ARG, "mb_dft_set_pseudo_dir: NULL directory");
  if (access(dir, R_OK | X_OK) != 0)
    return mb__error(MB_ERR_IO, "mb_dft_set_pseudo_dir: %s is not a readable directory",
                     dir);
  char *copy = mb__strdup(dir);
  if (!copy) return MB_ERR_NOMEM;
  drop_engine(d);
  mb_status st = set_writable(d);
  if (st) {
    free(copy);
    return st;
  }
  free(d->pseudo_dir);
  d->pseudo_dir = copy;
  for (int t = 0; t < d->ntypes; t++)
    if (!d->set->named[t]) set_put(d->set, t, NULL, 0);
  return MB_OK;
}

MB_API mb_status mb_dft_set_log(mb_dft *d, mb_log_fn fn, void *user) {
  CHECK_DFT(d, "mb_dft_set_log");
  d->log.fn = fn;
  d->log.user = user;
  d->log.level = MB_LOG_INFO;
  if (d->scf) mb__scf_set_logger(d->scf, fn ? &d->log : NULL);
  return MB_OK;
}

MB_API mb_status mb_dft_set_structure(mb_dft *d, const mb_structure *s) {
  CHECK_DFT(d, "mb_dft_set_structure");
  if (!s) return mb__error(MB_ERR_INVALID_ARG, "mb_dft_set_structure: NULL structure");
  mb_status same = mb__same_system(d->s, "the calculation's", s, "the new structure",
                                   "mb_dft_set_structure",
                                   "create a new mb_dft for another system or cell");
  if (same) return same;
  mb_status st = mb_structure_set_positions(d->s, s->frac, MB_COORDS_FRACTIONAL);
  if (!st && d->scf) st = mb__scf_set_positions(d->scf, d->s->frac);
  if (st) drop_engine(d); /* start from scratch rather than from a stale state */
  return st;
}

/* ---- compute -------------------------------------------------------------- */

/* Read the pseudopotentials not read yet (found by element when none was named). */
static mb_status load_psps(mb_dft *d) {
  if (have_all_psp(d)) return MB_OK;
  mb_status st0 = set_writable(d);
  if (st0) return st0;
  for (int t = 0; t < d->ntypes; t++) {
    if (d->set->ptr[t]) continue;
    char *path = NULL;
    mb__psp *p = NULL;
    mb_status st = mb__psp_find(d->type_z[t], d->pseudo_dir, d->xc == MB_XC_LDA, &path);
    if (!st) st = mb__psp_read(path, &p);
    free(path);
    if (st) return st;
    psp_ref *r = mb__calloc(1, sizeof *r);
    if (!r) {
      mb__psp_free(p);
      return MB_ERR_NOMEM;
    }
    atomic_init(&r->refs, 1);
    r->psp = p;
    set_put(d->set, t, r, 0);
  }
  return MB_OK;
}

static mb_status make_engine(mb_dft *d) {
  static const int occopt[] = {[MB_SMEARING_NONE] = 1,
                               [MB_SMEARING_FERMI_DIRAC] = MB__SMEAR_FERMI_DIRAC,
                               [MB_SMEARING_GAUSSIAN] = MB__SMEAR_GAUSSIAN,
                               [MB_SMEARING_COLD] = MB__SMEAR_COLD};
  /* ixc: the psps' own, libxc PW92 LDA (-001012) or libxc PBE (-101130) */
  static const int ixc[] = {[MB_XC_AUTO] = 0, [MB_XC_LDA] = -1012, [MB_XC_PBE] = -101130};
  mb_status st = MB_OK;
  double nelect = valence(d);
  mb__scf_input in;
  memset(&in, 0, sizeof in);
  for (int k = 0; k < 9; k++) in.lattice[k] = d->s->lattice[k] / BOHR;
  in.natoms = d->s->natoms;
  in.frac = d->s->frac;
  in.types = d->types;
  in.ntypes = d->ntypes;
  in.psp = d->set->ptr; /* the engine copies the array; the psps themselves are shared */
  in.ecut = d->ecut / HA;
  if (d->ecut_rho > 0) {
    if (d->ecut_rho < 4 * d->ecut * (1 - 1e-12))
      return mb__error(MB_ERR_INVALID_ARG, "mb_dft_compute: ecut_rho %g eV is below 4 x ecut "
                       "= %g eV: the density grid would alias (0 = 4 x ecut)", d->ecut_rho,
                       4 * d->ecut);
    in.boxcutmin = sqrt(d->ecut_rho / d->ecut);
  }
  for (int j = 0; j < 3; j++) in.ngkpt[j] = d->grid[j], in.shiftk[j] = d->shift[j];
  in.nband = occupied_bands(nelect) + extra_bands(d, nelect);
  in.occopt = occopt[d->smearing];
  in.tsmear = d->smearing == MB_SMEARING_NONE ? 0 : d->width / HA;
  in.ixc = d->xc_ixc ? d->xc_ixc : ixc[d->xc];
  in.charge = d->charge;
  if (d->spin) {
    in.nspin = 2;
    in.spinat = d->spinat;
    in.fix_moment = d->fix_moment;
    in.moment = d->moment;
    /* per spin the unpolarised count (ABINIT's too); a fixed moment needs the
     * majority channel's electrons, plus the extra bands */
    if (d->fix_moment) {
      int need = occupied_bands(nelect + fabs(d->moment)) + extra_bands(d, nelect);
      if (in.nband < need) in.nband = need;
    }
  }
  if (!(nelect > 0))
    return mb__error(MB_ERR_INVALID_ARG, "mb_dft_compute: a net charge of %g e leaves %g "
                     "electrons", d->charge, nelect);
  in.maxstep = d->max_scf;
  in.toldfe = d->scf_tol / HA;
  /* The density residual ||rho_out - rho_in|| (e Bohr^-3/2) bounds the energy error
   * to second order and the force error to first: its square root keeps both in step
   * with the energy tolerance. */
  in.tolrho = sqrt(in.toldfe);
  in.mixing = d->mixing;
  in.use_symmetry = d->symmetry != 0;
  long nthreads = d->threads;
  if (nthreads == 0) nthreads = sysconf(_SC_NPROCESSORS_ONLN);
  if (nthreads < 1) nthreads = 1;
  /* DFT+U: U_eff per type and l in Hartree (elements absent from the structure ignored) */
  double *hub = d->nhub ? mb__calloc((size_t)d->ntypes * (MB_PSP_LMAX + 1), sizeof *hub) : NULL;
  if (d->nhub && !hub) return MB_ERR_NOMEM;
  for (int k = 0; k < d->nhub; k++)
    for (int t = 0; t < d->ntypes; t++)
      if (d->type_z[t] == d->hub_z[k]) hub[t * (MB_PSP_LMAX + 1) + d->hub_l[k]] = d->hub_u[k] / HA;
  in.hubbard_u = hub;
  st = mb__scf_preflight(&in, (int)nthreads, d->log.fn ? &d->log : NULL);
  if (!st) st = mb__scf_create(&in, (int)nthreads, &d->scf);
  free(hub);
  if (!st) mb__scf_set_logger(d->scf, d->log.fn ? &d->log : NULL);
  return st;
}

MB_API mb_status mb_dft_compute(mb_dft *d, double *energy, double *free_energy,
                                double *forces) {
  CHECK_DFT(d, "mb_dft_compute");
  mb_status st;
  if ((st = load_psps(d))) {
    mb__error_prefix("mb_dft_compute");
    return st;
  }
  if (!d->scf && (st = make_engine(d))) {
    mb__error_prefix("mb_dft_compute");
    return st;
  }
  mb__scf_result res;
  memset(&res, 0, sizeof res);
  st = mb__scf_solve(d->scf, &res);
  if (st == MB_OK || st == MB_ERR_NOT_CONVERGED) {
    d->solved = 1;
    d->res = res;
    d->converged = st == MB_OK;
  }
  if (st == MB_ERR_NOT_CONVERGED) {
    char engine[512]; /* the engine's own message (energy change in Ha) */
    snprintf(engine, sizeof engine, "%s", mb_last_error());
    return mb__error(st, "mb_dft_compute: the SCF did not converge in %d steps "
                     "(MB_DFT_MAX_SCF %d, MB_DFT_SCF_TOL %g eV): density residual %.3e, "
                     "free energy %.8f eV at the last step%s%s%s", res.steps, d->max_scf,
                     d->scf_tol, res.resnorm, res.free * HA, *engine ? " (" : "", engine,
                     *engine ? ")" : "");
  }
  if (st) {
    mb__error_prefix("mb_dft_compute");
    return st;
  }
  if (forces) {
    int n = 3 * d->s->natoms;
    double *f = mb__malloc((size_t)n, sizeof *f);
    if (!f) return MB_ERR_NOMEM;
    if ((st = mb__scf_forces(d->scf, f))) {
      free(f);
      mb__error_prefix("mb_dft_compute: forces");
      return st;
    }
    for (int c = 0; c < n; c++) forces[c] = f[c] * HA / BOHR;
    free(f);
  }
  if (energy) *energy = res.internal * HA;
  if (free_energy) *free_energy = res.free * HA;
  return MB_OK;
}

MB_API mb_status mb_dft_scf_report(const mb_dft *d, int *steps, double *residual,
                                   double *fermi, int *converged) {
  CHECK_DFT(d, "mb_dft_scf_report");
  if (!d->solved)
    return mb__error(MB_ERR_INVALID_ARG, "mb_dft_scf_report: nothing computed yet (call "
                     "mb_dft_compute first)");
  if (steps) *steps = d->res.steps;
  if (residual) *residual = d->res.resnorm;
  if (fermi) *fermi = d->res.fermi * HA;
  if (converged) *converged = d->converged;
  return MB_OK;
}

/* The eigenvalues of spin channel spin (-1: the only one of an unpolarised run) for
 * mb_dft_eigenvalues and mb_dft_eigenvalues_spin (fn names the caller). */
static mb_status spin_eigenvalues(const mb_dft *d, const char *fn, int spin, int *nkpoints,
                                  int *nbands, double *eigenvalues, double *kpoints,
                                  double *weights) {
  if (!nkpoints || !nbands)
    return mb__error(MB_ERR_INVALID_ARG, "%s: nkpoints and nbands may not be NULL", fn);
  if (!d->solved || !d->scf)
    return mb__error(MB_ERR_INVALID_ARG, "%s: nothing computed yet (call mb_dft_compute "
                     "first)", fn);
  int nk = 0, nb = 0, ns = 1;
  const double *eig = NULL, *kpt = NULL, *wtk = NULL;
  mb_status st = mb__scf_eigenvalues(d->scf, &ns, &nk, &nb, &eig, &kpt, &wtk);
  if (st) return st;
  if (spin < 0 && ns != 1)
    return mb__error(MB_ERR_INVALID_ARG, "%s: a spin-polarised run has two sets of "
                     "eigenvalues: use mb_dft_eigenvalues_spin", fn);
  if (spin >= ns)
    return mb__error(MB_ERR_INVALID_ARG, "%s: spin %d of a run with %d channel%s", fn, spin,
                     ns, ns == 1 ? "" : "s");
  if (spin < 0) spin = 0;
  *nkpoints = nk;
  *nbands = nb;
  if (eigenvalues)
    for (size_t i = 0; i < (size_t)nk * nb; i++)
      eigenvalues[i] = eig[(size_t)spin * nk * nb + i] * HA;
  if (kpoints) memcpy(kpoints, kpt, 3 * (size_t)nk * sizeof(double));
  if (weights) memcpy(weights, wtk, (size_t)nk * sizeof(double));
  return MB_OK;
}

MB_API mb_status mb_dft_eigenvalues(const mb_dft *d, int *nkpoints, int *nbands,
                                    double *eigenvalues, double *kpoints, double *weights) {
  CHECK_DFT(d, "mb_dft_eigenvalues");
  return spin_eigenvalues(d, "mb_dft_eigenvalues", -1, nkpoints, nbands, eigenvalues, kpoints,
                     weights);
}

/* ---- spin --------------------------------------------------------------------- */

MB_API mb_status mb_dft_set_magnetic_moments(mb_dft *d, const double *moments) {
  CHECK_DFT(d, "mb_dft_set_magnetic_moments");
  int n = d->s->natoms;
  if (moments)
    for (int a = 0; a < n; a++)
      if (!isfinite(moments[a]) || fabs(moments[a]) > 100)
        return mb__error(MB_ERR_INVALID_ARG, "mb_dft_set_magnetic_moments: moment %g of atom "
                         "%d is not finite or beyond +-100 mu_B", moments[a], a);
  double *m = NULL;
  if (moments) {
    if (!(m = mb__malloc(n, sizeof(double)))) return MB_ERR_NOMEM;
    memcpy(m, moments, (size_t)n * sizeof(double));
  }
  free(d->spinat);
  d->spinat = m;
  drop_engine(d);
  return MB_OK;
}

MB_API mb_status mb_dft_magnetization(const mb_dft *d, double *total, double *absolute) {
  CHECK_DFT(d, "mb_dft_magnetization");
  if (!d->solved)
    return mb__error(MB_ERR_INVALID_ARG, "mb_dft_magnetization: nothing computed yet (call "
                     "mb_dft_compute first)");
  if (total) *total = d->res.magnetization;
  if (absolute) *absolute = d->res.abs_magnetization;
  return MB_OK;
}

MB_API mb_status mb_dft_eigenvalues_spin(const mb_dft *d, int spin, int *nkpoints,
                                         int *nbands, double *eigenvalues, double *kpoints,
                                         double *weights) {
  CHECK_DFT(d, "mb_dft_eigenvalues_spin");
  if (spin < 0)
    return mb__error(MB_ERR_INVALID_ARG, "mb_dft_eigenvalues_spin: spin %d (0 up, 1 down)",
                     spin);
  return spin_eigenvalues(d, "mb_dft_eigenvalues_spin", spin, nkpoints, nbands, eigenvalues,
                     kpoints, weights);
}

MB_API mb_status mb_dft_atomic_spheres(const mb_dft *d, double radius, double *charge,
                                       double *moment) {
  CHECK_DFT(d, "mb_dft_atomic_spheres");
  if (!d->solved || !d->scf)
    return mb__error(MB_ERR_INVALID_ARG, "mb_dft_atomic_spheres: nothing computed yet (call "
                     "mb_dft_compute first)");
  if (!(radius > 0 && radius <= 10))
    return mb__error(MB_ERR_INVALID_ARG, "mb_dft_atomic_spheres: radius %g A not in (0, 10]",
                     radius);
  mb_status st = mb__scf_spheres(d->scf, radius / BOHR, charge, moment);
  if (st) mb__error_prefix("mb_dft_atomic_spheres");
  return st;
}

/* ---- DFT+U results -------------------------------------------------------- */

MB_API mb_status mb_dft_hubbard_energy(const mb_dft *d, double *energy) {
  CHECK_DFT(d, "mb_dft_hubbard_energy");
  if (!energy) return mb__error(MB_ERR_INVALID_ARG, "mb_dft_hubbard_energy: energy is NULL");
  if (!d->solved || !d->scf)
    return mb__error(MB_ERR_INVALID_ARG, "mb_dft_hubbard_energy: nothing computed yet (call "
                     "mb_dft_compute first)");
  *energy = d->res.hubbard * HA;
  return MB_OK;
}

MB_API mb_status mb_dft_hubbard_occupation(const mb_dft *d, int atom, int l, int *nspin,
                                           double *matrix) {
  static const char fn[] = "mb_dft_hubbard_occupation";
  CHECK_DFT(d, "mb_dft_hubbard_occupation");
  if (!nspin) return mb__error(MB_ERR_INVALID_ARG, "%s: nspin is NULL", fn);
  if (atom < 0 || atom >= d->s->natoms || l < 0 || l > MB_PSP_LMAX)
    return mb__error(MB_ERR_RANGE, "%s: atom %d (0..%d) or l %d (0..%d) out of range", fn,
                     atom, d->s->natoms - 1, l, MB_PSP_LMAX);
  if (!d->solved || !d->scf)
    return mb__error(MB_ERR_INVALID_ARG, "%s: nothing computed yet (call mb_dft_compute "
                     "first)", fn);
  const mb__hubbard *h = d->scf->hub;
  *nspin = 0;
  for (int i = 0; i < mb__hubbard_nsite(h); i++) {
    int a, li;
    mb__hubbard_site(h, i, &a, &li, NULL);
    if (a != atom || li != l) continue;
    *nspin = mb__hubbard_nspin(h);
    size_t dim2 = (size_t)(2 * l + 1) * (2 * l + 1);
    for (int sp = 0; matrix && sp < *nspin; sp++)
      memcpy(matrix + sp * dim2, mb__hubbard_occupation(h, i, sp), dim2 * sizeof(double));
  }
  return MB_OK;
}
