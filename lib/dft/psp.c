/* Pseudopotentials: reading (dispatch on the pspcod line as ABINIT's pspatm does),
 * the text helpers shared by the psp8 and HGH readers, and the form factors of dft.h.
 *
 * The format modules keep their own data behind mb__psp.impl: psp_psp8.c tabulates the
 * radial transforms on a q grid, psp_hgh.c evaluates closed forms. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "psp_impl.h"

/* ---- text helpers ------------------------------------------------------------- */

/* The next non-blank line at or after *pos (Fortran list-directed reads skip blank
 * records). Returns 0 at the end of the data. *lineno counts every line. */
int mb__psp_line(const char *data, size_t size, size_t *pos, long *lineno,
                 const char **line, size_t *len) {
  while (*pos < size) {
    size_t start = *pos, end = start;
    while (end < size && data[end] != '\n') end++;
    *pos = end < size ? end + 1 : end;
    (*lineno)++;
    size_t e = end;
    while (e > start && isspace((unsigned char)data[e - 1])) e--;
    size_t b = start;
    while (b < e && isspace((unsigned char)data[b])) b++;
    if (b < e) {
      *line = data + start;
      *len = e - start;
      return 1;
    }
  }
  return 0;
}

/* The leading numbers of a line (at most max), as Fortran writes them: "1.0D+00" and
 * "1.0E+00" alike. Stops at the first token that is not a finite number (the
 * descriptive text at the end of header lines). Returns how many were read. */
int mb__psp_numbers(const char *line, size_t len, double *out, int max) {
  size_t i = 0;
  int n = 0;
  while (n < max) {
    while (i < len && (isspace((unsigned char)line[i]) || line[i] == ',')) i++;
    if (i >= len) break;
    char tok[64];
    size_t k = 0;
    while (i < len && !isspace((unsigned char)line[i]) && line[i] != ',') {
      if (k + 1 >= sizeof tok) return n; /* no number is this long */
      char c = line[i++];
      tok[k++] = (c == 'D' || c == 'd') ? 'E' : c;
    }
    tok[k] = '\0';
    char *end;
    double v = strtod(tok, &end);
    if (end == tok || *end != '\0' || !isfinite(v)) break;
    out[n++] = v;
  }
  return n;
}

/* ---- reading ------------------------------------------------------------------ */

void mb__psp_free(mb__psp *p) {
  if (!p) return;
  mb__psp_orbitals_free(p);
  if (p->format == MB__PSP_PSP8)
    mb__psp8_free(p->impl);
  else
    free(p->impl);
  free(p);
}

mb_status mb__psp_read_buffer(const char *data, size_t size, const char *name,
                              mb__psp **out) {
  if (!out) return mb__error(MB_ERR_INVALID_ARG, "mb__psp_read_buffer: out is NULL");
  *out = NULL;
  if (!data && size) return mb__error(MB_ERR_INVALID_ARG, "mb__psp_read_buffer: data is NULL");
  if (!name) name = "<buffer>";

  size_t pos = 0, len = 0;
  long lineno = 0;
  const char *line = NULL;
  if (!mb__psp_line(data, size, &pos, &lineno, &line, &len))
    return mb__parse_error(name, 1, "empty pseudopotential file");
  size_t b = 0;
  while (b < len && isspace((unsigned char)line[b])) b++;
  if (line[b] == '<') { /* UPF 2 through its psp8 translation; other XML (PAW) is not ours */
    size_t head = size < 4096 ? size : 4096;
    int upf = 0;
    for (size_t k = 0; k + 4 <= head && !upf; k++) upf = !strncmp(data + k, "<UPF", 4);
    if (!upf)
      return mb__error(MB_ERR_UNSUPPORTED, "%s: an XML file that is not UPF (psp8, HGH and "
                       "UPF 2 norm-conserving files are read)", name);
    char *text = NULL;
    size_t tlen = 0;
    mb_status st = mb__upf_to_psp8(data, size, name, &text, &tlen);
    if (st) return st;
    st = mb__psp_read_buffer(text, tlen, name, out);
    free(text);
    if (!st) (*out)->from_upf = 1;
    /* the pseudo-atomic orbitals (DFT+U projectors), which psp8 has no place for */
    if (!st && (st = mb__upf_orbitals(data, size, name, *out)) != MB_OK) {
      mb__psp_free(*out);
      *out = NULL;
    }
    return st;
  }
  /* Line 1 is the title; line 2 zatom, zion, pspdat; line 3 pspcod, pspxc, ... */
  double v[6];
  if (!mb__psp_line(data, size, &pos, &lineno, &line, &len))
    return mb__parse_error(name, lineno + 1, "truncated file: expected zatom, zion, pspdat");
  if (mb__psp_numbers(line, len, v, 3) < 2)
    return mb__parse_error(name, lineno, "expected zatom, zion, pspdat");
  double zatom = v[0], zion = v[1];
  if (!(zatom >= 1 && zatom <= 118) || !(zion > 0 && zion <= zatom))
    return mb__parse_error(name, lineno, "zatom %g, zion %g out of range", zatom, zion);
  if (!mb__psp_line(data, size, &pos, &lineno, &line, &len))
    return mb__parse_error(name, lineno + 1, "truncated file: expected the pspcod line");
  if (mb__psp_numbers(line, len, v, 1) < 1)
    return mb__parse_error(name, lineno, "expected pspcod, pspxc, lmax, lloc, mmax, r2well");
  int pspcod = (int)v[0];
  if (v[0] != pspcod || (pspcod != 8 && pspcod != 3))
    return mb__error(MB_ERR_UNSUPPORTED,
                     "%s:%ld: pspcod %g is not supported (8: ONCVPSP psp8, 3: HGH)", name,
                     lineno, v[0]);

  mb__psp *p = mb__calloc(1, sizeof *p);
  if (!p) return MB_ERR_NOMEM;
  p->format = pspcod == 8 ? MB__PSP_PSP8 : MB__PSP_HGH;
  size_t n = strlen(name);
  if (n >= sizeof p->path) n = sizeof p->path - 1;
  memcpy(p->path, name, n);
  p->zatom = zatom;
  p->zion = zion;
  /* The readers start again from the top (they report their own line numbers). */
  mb_status st = pspcod == 8 ? mb__psp8_parse(data, size, p) : mb__hgh_parse(data, size, p);
  if (st != MB_OK) {
    mb__psp_free(p);
    return st;
  }
  *out = p;
  return MB_OK;
}

mb_status mb__psp_read(const char *path, mb__psp **out) {
  if (!out) return mb__error(MB_ERR_INVALID_ARG, "mb__psp_read: out is NULL");
  *out = NULL;
  if (!path) return mb__error(MB_ERR_INVALID_ARG, "mb__psp_read: path is NULL");
  char *data = NULL;
  size_t size = 0;
  mb_status st = mb__read_file(path, &data, &size);
  if (st != MB_OK) return st;
  st = mb__psp_read_buffer(data, size, path, out);
  free(data);
  return st;
}

/* ---- form factors --------------------------------------------------------------- */

/* what: 0 local (vloc_short), 1 projector (l, i), 2 model core charge, 3 valence. */
static double eval(const mb__psp *p, int what, int l, int i, double q) {
  if (!p || !p->impl || !(q >= 0)) return NAN;
  return p->format == MB__PSP_PSP8 ? mb__psp8_eval(p, what, l, i, q)
                                   : mb__hgh_eval(p, what, l, i, q);
}

double mb__psp_vloc_short(const mb__psp *p, double q) { return eval(p, 0, 0, 0, q); }

double mb__psp_projector(const mb__psp *p, int l, int i, double q) {
  if (!p || l < 0 || l > MB_PSP_LMAX || i < 0 || i >= p->nproj[l]) return 0.0;
  return eval(p, 1, l, i, q);
}

double mb__psp_core(const mb__psp *p, double q) {
  if (!p || !p->has_core) return 0.0;
  return eval(p, 2, 0, 0, q);
}

double mb__psp_valence(const mb__psp *p, double q) {
  if (!p) return 0.0;
  return eval(p, 3, 0, 0, q);
}

double mb__psp_qmax(const mb__psp *p) {
  if (!p) return 0.0;
  /* HGH form factors are closed forms: exact at every q. */
  return p->format == MB__PSP_PSP8 ? mb__psp8_qmax(p) : INFINITY;
}
