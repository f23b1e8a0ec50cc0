/* Norm-conserving pseudopotentials in UPF 2 (Quantum ESPRESSO's XML format, as ONCVPSP
 * and the PseudoDojo write it), read by translating them into the psp8 text that
 * psp_psp8.c reads: one set of numerics for both formats, so that the same potential
 * in either file gives the same energies (tests/dft/test_upf.c).
 *
 * The translation, for an ONCVPSP-style file (a separate local potential, l_local -1,
 * diagonal D_ij, a uniform radial mesh from r = 0):
 *   PP_LOCAL (Ry)           -> the psp8 local block V_loc(r) in Ha (lloc 4);
 *   PP_BETA.i (r beta, the  -> the projector columns u(r) = r beta(r) of its l, with
 *   same functions) + PP_DIJ   ekb = D_ii / 2 (Ry to Ha);
 *   PP_NLCC (rho_core)      -> the core block F = 4 pi rho_core (fchrg 1);
 *   PP_RHOATOM (4pi r^2 rho)-> the valence block F = 4 pi rho_val = RHOATOM / r^2, F(0)
 *                              by quadratic extrapolation from the next three points;
 *   the mesh up to ONCVPSP's rlmax (its input echoed in PP_INFO), the points its psp8
 *   file has, when the file says it.
 * Refused with a message: ultrasoft and PAW files, spin-orbit, non-uniform meshes,
 * non-diagonal D_ij, a local part that is one of the channels.
 *
 * psp8 has no place for the pseudo-atomic orbitals (PP_PSWFC: PP_CHI.i = r chi(r)), the
 * projectors of DFT+U: mb__upf_orbitals reads them from the UPF text beside the
 * translation, on the file's whole mesh, into mb__psp.orb (psp_orbital.c). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psp_impl.h"

/* The text of the element <tag ...> (attributes) and its content up to </tag>. */
typedef struct upf_elem {
  const char *attr, *attr_end, *body, *body_end;
} upf_elem;

/* Find <tag followed by a blank, '>' or '/' from p; 0 when absent. */
static int find_elem(const char *data, const char *end, const char *tag, upf_elem *e) {
  size_t n = strlen(tag);
  for (const char *p = data; p + n + 1 < end; p++) {
    if (p[0] != '<' || strncmp(p + 1, tag, n)) continue;
    char c = p[1 + n];
    if (!(isspace((unsigned char)c) || c == '>' || c == '/')) continue;
    const char *a = p + 1 + n, *gt = memchr(a, '>', (size_t)(end - a));
    if (!gt) return 0;
    e->attr = a;
    e->attr_end = gt;
    if (gt > a && gt[-1] == '/') { /* <tag .../> */
      e->body = e->body_end = gt;
      return 1;
    }
    e->body = gt + 1;
    char close[64];
    snprintf(close, sizeof close, "</%s>", tag);
    const char *q = e->body;
    size_t cn = strlen(close);
    for (; q + cn <= end; q++)
      if (*q == '<' && !strncmp(q, close, cn)) break;
    if (q + cn > end) return 0;
    e->body_end = q;
    return 1;
  }
  return 0;
}

/* The value of attribute key of e (blanks trimmed) into out; 0 when absent. */
static int attr(const upf_elem *e, const char *key, char *out, size_t size) {
  size_t n = strlen(key);
  for (const char *p = e->attr; p + n + 2 < e->attr_end; p++) {
    if (strncmp(p, key, n) || (p > e->attr && !isspace((unsigned char)p[-1]))) continue;
    const char *q = p + n;
    while (q < e->attr_end && isspace((unsigned char)*q)) q++;
    if (q >= e->attr_end || *q != '=') continue;
    q++;
    while (q < e->attr_end && isspace((unsigned char)*q)) q++;
    if (q >= e->attr_end || (*q != '"' && *q != '\'')) continue;
    char quote = *q++;
    const char *v = q;
    while (q < e->attr_end && *q != quote) q++;
    while (v < q && isspace((unsigned char)*v)) v++;
    const char *w = q;
    while (w > v && isspace((unsigned char)w[-1])) w--;
    size_t len = (size_t)(w - v) < size - 1 ? (size_t)(w - v) : size - 1;
    memcpy(out, v, len);
    out[len] = '\0';
    return 1;
  }
  return 0;
}

/* Exactly n numbers of the body of e into v (allocated); 0 when they are not there. */
static int numbers(const upf_elem *e, int n, double **v) {
  double *out = mb__malloc(n > 0 ? (size_t)n : 1, sizeof *out);
  if (!out) return 0;
  const char *p = e->body;
  int k = 0;
  while (k < n) {
    while (p < e->body_end && isspace((unsigned char)*p)) p++;
    if (p >= e->body_end) break;
    char buf[64], *end;
    size_t len = 0;
    while (p + len < e->body_end && !isspace((unsigned char)p[len]) && len < sizeof buf - 1)
      len++;
    memcpy(buf, p, len);
    buf[len] = '\0';
    for (char *c = buf; *c; c++)
      if (*c == 'D' || *c == 'd') *c = 'e';
    out[k] = strtod(buf, &end);
    if (*end || !isfinite(out[k])) break;
    k++;
    p += len;
  }
  while (p < e->body_end && isspace((unsigned char)*p)) p++;
  if (k != n || p != e->body_end) {
    free(out);
    return 0;
  }
  *v = out;
  return 1;
}

/* The "rlmax" of ONCVPSP's input echoed in PP_INFO ("# rlmax, drl" then the numbers),
 * or 0. */
static double oncvpsp_rlmax(const char *data, const char *end) {
  upf_elem info;
  if (!find_elem(data, end, "PP_INFO", &info)) return 0;
  static const char key[] = "# rlmax, drl";
  for (const char *p = info.body; p + sizeof key < info.body_end; p++)
    if (!strncmp(p, key, sizeof key - 1)) {
      const char *q = memchr(p, '\n', (size_t)(info.body_end - p));
      return q ? strtod(q + 1, NULL) : 0;
    }
  return 0;
}

static long line_of(const char *data, const char *at) {
  long line = 1;
  for (const char *p = data; p < at; p++) line += *p == '\n';
  return line;
}

/* pspxc of a UPF functional string (ABINIT's codes as psp8 files carry them). */
static int pspxc_of(const char *f) {
  char u[64];
  size_t n = 0;
  for (const char *p = f; *p && n < sizeof u - 1; p++)
    if (!isspace((unsigned char)*p) && *p != '-') u[n++] = (char)toupper((unsigned char)*p);
  u[n] = '\0';
  if (!strcmp(u, "PBE") || !strcmp(u, "SLAPWPBXPBC")) return 11;
  if (!strcmp(u, "PBESOL") || !strcmp(u, "SLAPWPSXPSC")) return -116133;
  if (!strcmp(u, "PZ") || !strcmp(u, "SLAPZ") || !strcmp(u, "SLAPZNOGXNOGC")) return 2;
  if (!strcmp(u, "PW") || !strcmp(u, "SLAPW") || !strcmp(u, "SLAPWNOGXNOGC")) return -1012;
  return 0;
}

#define MAXBETA (MB_PSP_LMAX + 1) * MB_PSP_MAXPROJ

mb_status mb__upf_to_psp8(const char *data, size_t size, const char *name, char **text,
                          size_t *len) {
  const char *end = data + size;
  upf_elem hdr, mesh, r_el, loc, dij, rho, nlcc;
  char v[128];
  double *r = NULL, *vloc = NULL, *d = NULL, *rhoat = NULL, *core = NULL;
  double *beta[MAXBETA] = {NULL};
  int lbeta[MAXBETA];
  mb_strbuf sb = {0};
  mb_status st = MB_OK;
#define BAD(at, ...) (st = mb__parse_error(name, line_of(data, at), __VA_ARGS__))
  if (!find_elem(data, end, "PP_HEADER", &hdr)) {
    st = mb__parse_error(name, 1, "UPF: no PP_HEADER (only UPF version 2 is read)");
    goto done;
  }
  int zval_ok = attr(&hdr, "z_valence", v, sizeof v);
  double zion = zval_ok ? strtod(v, NULL) : 0;
  char element[8] = "", functional[64] = "", type[16] = "";
  attr(&hdr, "element", element, sizeof element);
  attr(&hdr, "functional", functional, sizeof functional);
  attr(&hdr, "pseudo_type", type, sizeof type);
  int zatom = 0;
  if (mb_element_number(element, &zatom)) {
    BAD(hdr.attr, "UPF: element '%s' is not a chemical symbol", element);
    goto done;
  }
  if (strcmp(type, "NC") && strcmp(type, "SL")) {
    BAD(hdr.attr, "UPF: pseudo_type '%s': only norm-conserving potentials (NC) are read "
        "(ultrasoft and PAW are not supported)", type);
    goto done;
  }
  if (attr(&hdr, "has_so", v, sizeof v) && (v[0] == 'T' || v[0] == 't')) {
    BAD(hdr.attr, "UPF: spin-orbit potentials (has_so) are not supported");
    goto done;
  }
  if (attr(&hdr, "l_local", v, sizeof v) && atoi(v) >= 0) {
    BAD(hdr.attr, "UPF: l_local %s: the local part must be separate (l_local -1, as "
        "ONCVPSP writes it)", v);
    goto done;
  }
  int pspxc = pspxc_of(functional);
  if (!pspxc) {
    BAD(hdr.attr, "UPF: functional '%s' is not one this reader knows (PBE, PBEsol, PZ, PW)",
        functional);
    goto done;
  }
  int mmax = attr(&hdr, "mesh_size", v, sizeof v) ? atoi(v) : 0;
  int nbeta = attr(&hdr, "number_of_proj", v, sizeof v) ? atoi(v) : -1;
  int has_core = attr(&hdr, "core_correction", v, sizeof v) && (v[0] == 'T' || v[0] == 't');
  if (!(zion > 0 && zion <= zatom) || mmax < 6 || mmax > 20000 || nbeta < 0 ||
      nbeta > MAXBETA) {
    BAD(hdr.attr, "UPF: z_valence %g, mesh_size %d or number_of_proj %d out of range", zion,
        mmax, nbeta);
    goto done;
  }
  /* the mesh: uniform from 0 */
  if (!find_elem(data, end, "PP_MESH", &mesh) ||
      !find_elem(mesh.body, mesh.body_end, "PP_R", &r_el) || !numbers(&r_el, mmax, &r)) {
    st = mb__parse_error(name, 1, "UPF: no PP_R of mesh_size %d numbers", mmax);
    goto done;
  }
  double h = r[1] - r[0];
  for (int i = 0; i < mmax; i++)
    if (!(fabs(r[i] - i * h) <= 1e-6 * h * (i + 1)) || !(h > 0)) {
      BAD(r_el.body, "UPF: the radial mesh is not uniform from r = 0 (point %d: r = %g, "
          "expected %g); only such meshes (ONCVPSP's) are read", i, r[i], i * h);
      goto done;
    }
  /* ONCVPSP writes the psp8 file on r < rlmax (its input's "rlmax, drl", echoed in
   * PP_INFO) and the UPF file on a longer mesh; the psp8 grid is what ABINIT reads, so
   * the translation keeps the same points (the local tail beyond moves energies by
   * ~1e-5 Ha) */
  int npsp8 = mmax;
  double rlmax = oncvpsp_rlmax(data, end);
  if (rlmax > 0)
    for (npsp8 = 0; npsp8 < mmax && r[npsp8] < rlmax - 0.5 * h; npsp8++) continue;
  if (npsp8 < 6) npsp8 = mmax;
  if (!find_elem(data, end, "PP_LOCAL", &loc) || !numbers(&loc, mmax, &vloc)) {
    st = mb__parse_error(name, 1, "UPF: no PP_LOCAL of mesh_size numbers");
    goto done;
  }
  /* projectors and their energies */
  int nproj[MB_PSP_LMAX + 1] = {0}, lmax = 0;
  for (int i = 0; i < nbeta; i++) {
    char tag[32];
    upf_elem be;
    snprintf(tag, sizeof tag, "PP_BETA.%d", i + 1);
    if (!find_elem(data, end, tag, &be) || !attr(&be, "angular_momentum", v, sizeof v)) {
      st = mb__parse_error(name, 1, "UPF: no %s with its angular_momentum", tag);
      goto done;
    }
    int l = atoi(v);
    if (l < 0 || l > MB_PSP_LMAX || nproj[l] == MB_PSP_MAXPROJ) {
      BAD(be.attr, "UPF: %s: l = %d or too many projectors of that l", tag, l);
      goto done;
    }
    if (!numbers(&be, mmax, &beta[i])) {
      BAD(be.body, "UPF: %s must hold mesh_size numbers", tag);
      goto done;
    }
    lbeta[i] = l;
    nproj[l]++;
    if (l > lmax) lmax = l;
  }
  if (nbeta > 0 && (!find_elem(data, end, "PP_DIJ", &dij) || !numbers(&dij, nbeta * nbeta, &d))) {
    st = mb__parse_error(name, 1, "UPF: no PP_DIJ of number_of_proj^2 numbers");
    goto done;
  }
  for (int i = 0; i < nbeta; i++)
    for (int j = 0; j < nbeta; j++)
      if (i != j && fabs(d[i * nbeta + j]) > 1e-12 * fabs(d[i * nbeta + i])) {
        BAD(dij.body, "UPF: PP_DIJ is not diagonal (entry %d,%d); only diagonal "
            "(Kleinman-Bylander) projectors are read", i + 1, j + 1);
        goto done;
      }
  if (has_core && (!find_elem(data, end, "PP_NLCC", &nlcc) || !numbers(&nlcc, mmax, &core))) {
    st = mb__parse_error(name, 1, "UPF: core_correction is set but no PP_NLCC of mesh_size "
                         "numbers");
    goto done;
  }
  int has_val = find_elem(data, end, "PP_RHOATOM", &rho);
  if (has_val && !numbers(&rho, mmax, &rhoat)) {
    BAD(rho.body, "UPF: PP_RHOATOM must hold mesh_size numbers");
    goto done;
  }

  /* the psp8 text (psp_psp8.c's layout) on the first npsp8 points */
  mmax = npsp8;
  mb__sb_printf(&sb, "%s UPF converted by libmigbar from %s\n", element, name);
  mb__sb_printf(&sb, "%d %.17g 0 zatom,zion,pspd\n", zatom, zion);
  mb__sb_printf(&sb, "8 %d %d 4 %d 0 pspcod,pspxc,lmax,lloc,mmax,r2well\n", pspxc, lmax, mmax);
  mb__sb_printf(&sb, "%.17g %d 0 rchrg fchrg qchrg\n", r[mmax - 1], has_core ? 1 : 0);
  for (int l = 0; l <= lmax; l++) mb__sb_printf(&sb, "%d ", nproj[l]);
  for (int l = lmax + 1; l < 5; l++) mb__sb_puts(&sb, "0 ");
  mb__sb_printf(&sb, "nproj\n%d extension_switch\n", has_val ? 1 : 0);
  for (int l = 0; l <= lmax; l++) {
    if (!nproj[l]) continue;
    mb__sb_printf(&sb, "%d", l);
    for (int i = 0; i < nbeta; i++)
      if (lbeta[i] == l) mb__sb_printf(&sb, " %.17g", d[i * nbeta + i] / 2); /* Ry -> Ha */
    mb__sb_puts(&sb, "\n");
    for (int k = 0; k < mmax; k++) {
      mb__sb_printf(&sb, "%d %.17g", k + 1, r[k]);
      for (int i = 0; i < nbeta; i++)
        if (lbeta[i] == l) mb__sb_printf(&sb, " %.17g", beta[i][k]);
      mb__sb_puts(&sb, "\n");
    }
  }
  mb__sb_puts(&sb, "4\n");
  for (int k = 0; k < mmax; k++) mb__sb_printf(&sb, "%d %.17g %.17g\n", k + 1, r[k], vloc[k] / 2);
  if (has_core)
    for (int k = 0; k < mmax; k++)
      mb__sb_printf(&sb, "%d %.17g %.17g 0 0 0 0\n", k + 1, r[k], 4 * M_PI * core[k]);
  if (has_val) {
    double f1 = rhoat[1] / (r[1] * r[1]), f2 = rhoat[2] / (r[2] * r[2]);
    double f3 = rhoat[3] / (r[3] * r[3]);
    for (int k = 0; k < mmax; k++)
      mb__sb_printf(&sb, "%d %.17g %.17g 0 0\n", k + 1, r[k],
                    k ? rhoat[k] / (r[k] * r[k]) : 3 * f1 - 3 * f2 + f3);
  }
  st = mb__sb_finish(&sb, text, len);
done:
#undef BAD
  if (st) mb__sb_free(&sb);
  free(r), free(vloc), free(d), free(rhoat), free(core);
  for (int i = 0; i < MAXBETA; i++) free(beta[i]);
  return st;
}

/* ---- pseudo-atomic orbitals (DFT+U) ---------------------------------------------- */

/* PP_PSWFC: PP_CHI.i (i = 1..number_of_wfc) with attributes l, label and occupation and
 * mesh_size values r chi(r) on the mesh of PP_R (uniform from 0, checked by the
 * translation above). */
mb_status mb__upf_orbitals(const char *data, size_t size, const char *name, mb__psp *p) {
  const char *end = data + size;
  upf_elem hdr, mesh, r_el, wfc;
  char v[128];
  double *r = NULL;
  mb_status st = MB_OK;
  if (!find_elem(data, end, "PP_HEADER", &hdr)) return MB_OK; /* checked before */
  int nwfc = attr(&hdr, "number_of_wfc", v, sizeof v) ? atoi(v) : 0;
  int mmax = attr(&hdr, "mesh_size", v, sizeof v) ? atoi(v) : 0;
  if (nwfc <= 0 || !find_elem(data, end, "PP_PSWFC", &wfc)) return MB_OK;
  if (nwfc > 32) return mb__parse_error(name, line_of(data, hdr.attr), "UPF: number_of_wfc "
                                        "%d out of range (at most 32)", nwfc);
  if (!find_elem(data, end, "PP_MESH", &mesh) ||
      !find_elem(mesh.body, mesh.body_end, "PP_R", &r_el) || !numbers(&r_el, mmax, &r))
    return mb__parse_error(name, 1, "UPF: no PP_R of mesh_size %d numbers", mmax);
  p->orb = mb__calloc((size_t)nwfc, sizeof *p->orb);
  if (!p->orb) {
    st = MB_ERR_NOMEM;
    goto done;
  }
  p->norb = nwfc; /* zeroed entries: freed whatever happens below */
  for (int i = 0; i < nwfc; i++) {
    char tag[32];
    upf_elem ch;
    mb__psp_orbital *o = p->orb + i;
    snprintf(tag, sizeof tag, "PP_CHI.%d", i + 1);
    if (!find_elem(wfc.body, wfc.body_end, tag, &ch)) {
      st = mb__parse_error(name, line_of(data, wfc.body), "UPF: number_of_wfc is %d but "
                           "PP_PSWFC has no %s", nwfc, tag);
      goto done;
    }
    if (!attr(&ch, "l", v, sizeof v) || (o->l = atoi(v)) < 0 || o->l > MB_PSP_LMAX) {
      st = mb__parse_error(name, line_of(data, ch.attr), "UPF: %s: no l in 0..%d", tag,
                           MB_PSP_LMAX);
      goto done;
    }
    if (!attr(&ch, "label", o->label, sizeof o->label))
      snprintf(o->label, sizeof o->label, "%c", "SPDF"[o->l]);
    o->occupation = attr(&ch, "occupation", v, sizeof v) ? strtod(v, NULL) : 0;
    if (!numbers(&ch, mmax, &o->u)) {
      st = mb__parse_error(name, line_of(data, ch.body), "UPF: %s must hold mesh_size (%d) "
                           "numbers", tag, mmax);
      goto done;
    }
    o->n = mmax;
    o->h = r[1] - r[0];
    if ((st = mb__psp_orbital_tabulate(o)) != MB_OK) goto done;
  }
done:
  if (st) mb__psp_orbitals_free(p);
  free(r);
  return st;
}
