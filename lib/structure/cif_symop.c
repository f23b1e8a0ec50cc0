/* Symmetry operations of CIF files: "x,y,z" text into rotation and translation, and
 * the expansion of atom sites by them with duplicate positions merged. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cif_symop.h"
#include "text.h"

static int op_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* One component of an operation, e.g. "-x+y+1/2": rot gets the coefficients of x, y,
 * z, *trans the constant. Returns NULL or a reason. */
static const char *parse_component(const char *s, size_t len, double rot[3], double *trans) {
  size_t i = 0;
  int terms = 0;
  rot[0] = rot[1] = rot[2] = *trans = 0.0;
  for (;;) {
    while (i < len && op_blank(s[i])) i++;
    if (i >= len) break;
    double sign = 1.0;
    if (s[i] == '+' || s[i] == '-') {
      sign = s[i] == '-' ? -1.0 : 1.0;
      i++;
      while (i < len && op_blank(s[i])) i++;
    } else if (terms > 0) {
      return "expected '+' or '-' between terms";
    }
    double num = 1.0;
    int have_num = 0;
    if (i < len && (isdigit((unsigned char)s[i]) || s[i] == '.')) {
      char buf[32];
      size_t n = 0;
      while (i < len && (isdigit((unsigned char)s[i]) || s[i] == '.') && n < sizeof buf - 1)
        buf[n++] = s[i++];
      buf[n] = '\0';
      if (!mb__parse_double(buf, &num)) return "bad number";
      if (i < len && s[i] == '/') {
        i++;
        n = 0;
        while (i < len && isdigit((unsigned char)s[i]) && n < sizeof buf - 1) buf[n++] = s[i++];
        buf[n] = '\0';
        double den;
        if (n == 0 || !mb__parse_double(buf, &den) || den == 0.0) return "bad fraction";
        num /= den;
      }
      have_num = 1;
      while (i < len && op_blank(s[i])) i++;
      if (i < len && s[i] == '*') {
        i++;
        while (i < len && op_blank(s[i])) i++;
        if (i >= len || !strchr("xyzXYZ", s[i])) return "'*' must be followed by x, y or z";
      }
    }
    if (i < len && s[i] && strchr("xyzXYZ", s[i])) {
      rot[tolower((unsigned char)s[i]) - 'x'] += sign * num;
      i++;
    } else if (have_num) {
      *trans += sign * num;
    } else {
      return "expected x, y, z or a number";
    }
    terms++;
  }
  return terms ? NULL : "empty component";
}

const char *mb__cif_symop_parse(const char *text, size_t len, int rot[9], double trans[3]) {
  const char *why = NULL;
  size_t start = 0;
  int k = 0;
  for (size_t i = 0; i <= len && !why; i++) {
    if (i < len && text[i] != ',') continue;
    if (k == 3) return "more than 3 components";
    double r[3];
    why = parse_component(text + start, i - start, r, &trans[k]);
    for (int j = 0; j < 3 && !why; j++) {
      if (fabs(r[j] - round(r[j])) > 1e-9 || fabs(r[j]) > 4)
        why = "coefficients of x, y, z must be small integers";
      rot[3 * k + j] = (int)round(r[j]);
    }
    trans[k] -= floor(trans[k]);
    if (trans[k] >= 1.0) trans[k] = 0.0;
    start = i + 1;
    k++;
  }
  if (why) return why;
  if (k != 3) return "needs 3 components separated by ','";
  long det = (long)rot[0] * (rot[4] * rot[8] - rot[5] * rot[7]) -
             (long)rot[1] * (rot[3] * rot[8] - rot[5] * rot[6]) +
             (long)rot[2] * (rot[3] * rot[7] - rot[4] * rot[6]);
  if (det != 1 && det != -1) return "not a symmetry operation (determinant is not +-1)";
  return NULL;
}

/* Atoms so far, binned on a CIF_GRID^3 grid of fractional space for the duplicate
 * search: bins are wider than MB_CIF_SYMPREC, so a duplicate lies in one of the 27 bins
 * around a position, and narrow enough that a bin holds a bounded number of atoms
 * (they are MB_CIF_SYMPREC apart), however the input crowds them. Non-empty bins sit in
 * an open-addressing hash table (key: bin number, value: first atom of the bin). */
#define CIF_GRID 500
typedef struct cif_atoms {
  double *frac;
  int *z, *site, *next;
  int *keys, *heads; /* hash table of bins; key -1 marks a free slot */
  size_t mask;
  int n;
} cif_atoms;

static int bin_of(double f) {
  int b = (int)(f * CIF_GRID);
  return b < 0 ? 0 : b >= CIF_GRID ? CIF_GRID - 1 : b;
}

/* The slot of bin key: where it is, or the free slot where it would go. */
static size_t bin_slot(const cif_atoms *a, int key) {
  size_t h = ((size_t)(unsigned)key * 2654435761u) & a->mask;
  while (a->keys[h] != -1 && a->keys[h] != key) h = (h + 1) & a->mask;
  return h;
}

static int bin_key(int ix, int iy, int iz) {
  const int g = CIF_GRID;
  return ((ix + g) % g * g + (iy + g) % g) * g + (iz + g) % g;
}

/* Index of an atom within MB_CIF_SYMPREC of f (periodically), or -1. */
static int find_duplicate(const cif_atoms *a, const double f[3]) {
  int b[3];
  for (int k = 0; k < 3; k++) b[k] = bin_of(f[k]);
  for (int dx = -1; dx <= 1; dx++)
    for (int dy = -1; dy <= 1; dy++)
      for (int dz = -1; dz <= 1; dz++) {
        size_t h = bin_slot(a, bin_key(b[0] + dx, b[1] + dy, b[2] + dz));
        for (int j = a->keys[h] == -1 ? -1 : a->heads[h]; j >= 0; j = a->next[j]) {
          int same = 1;
          for (int k = 0; k < 3 && same; k++) {
            double d = fabs(f[k] - a->frac[3 * j + k]);
            same = d < MB_CIF_SYMPREC || 1.0 - d < MB_CIF_SYMPREC;
          }
          if (same) return j;
        }
      }
  return -1;
}

mb_status mb__cif_expand(const char *name, long line, const mb_cif_site *sites, int nsites,
                         const int *rot, const double *trans, int nops, const double lat[9],
                         mb_structure **out) {
  if ((long)nsites * nops > MB_CIF_MAX_CANDIDATES)
    return mb__error(MB_ERR_UNSUPPORTED,
                     "%s:%ld: %d atom sites x %d symmetry operations is more than %ld atoms",
                     name, line, nsites, nops, MB_CIF_MAX_CANDIDATES);
  long ncand = (long)nsites * nops;
  cif_atoms a = {0};
  size_t nslots = 64;
  while (nslots < 2 * (size_t)ncand) nslots *= 2;
  a.mask = nslots - 1;
  a.frac = mb__malloc((size_t)ncand * 3, sizeof(double));
  a.z = mb__malloc((size_t)ncand, sizeof(int));
  a.site = mb__malloc((size_t)ncand, sizeof(int));
  a.next = mb__malloc((size_t)ncand, sizeof(int));
  a.keys = mb__malloc(nslots, sizeof(int));
  a.heads = mb__malloc(nslots, sizeof(int));
  mb_status st = MB_ERR_NOMEM;
  if (!a.frac || !a.z || !a.site || !a.next || !a.keys || !a.heads) goto done;
  for (size_t k = 0; k < nslots; k++) a.keys[k] = -1;
  st = MB_OK;
  for (int s = 0; s < nsites && !st; s++)
    for (int o = 0; o < nops && !st; o++) {
      const int *r = rot + 9 * o;
      double f[3];
      for (int k = 0; k < 3; k++) {
        double x = r[3 * k] * sites[s].frac[0] + r[3 * k + 1] * sites[s].frac[1] +
                   r[3 * k + 2] * sites[s].frac[2] + trans[3 * o + k];
        x -= floor(x);
        f[k] = x >= 1.0 ? 0.0 : x;
      }
      int j = find_duplicate(&a, f);
      if (j >= 0) {
        if (a.z[j] != sites[s].z) {
          const char *s1 = "?", *s2 = "?";
          mb_element_symbol(a.z[j], &s1);
          mb_element_symbol(sites[s].z, &s2);
          st = mb__parse_error(name, sites[s].line,
                               "atom site %d (%s) falls on atom site %d (%s) at (%.4f, %.4f, "
                               "%.4f) by symmetry operation %d", s + 1, s2, a.site[j] + 1, s1,
                               f[0], f[1], f[2], o + 1);
        }
        continue;
      }
      int n = a.n++;
      memcpy(a.frac + 3 * n, f, sizeof f);
      a.z[n] = sites[s].z;
      a.site[n] = s;
      int key = bin_key(bin_of(f[0]), bin_of(f[1]), bin_of(f[2]));
      size_t h = bin_slot(&a, key);
      a.next[n] = a.keys[h] == -1 ? -1 : a.heads[h];
      a.keys[h] = key;
      a.heads[h] = n;
    }
  if (!st) st = mb__structure_new(lat, a.n, a.frac, MB_COORDS_FRACTIONAL, a.z, out);
  if (st && st != MB_ERR_PARSE && st != MB_ERR_NOMEM) mb__error_prefix("%s", name);
done:
  free(a.frac);
  free(a.z);
  free(a.site);
  free(a.next);
  free(a.keys);
  free(a.heads);
  return st;
}
