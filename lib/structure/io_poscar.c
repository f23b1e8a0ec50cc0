/* VASP POSCAR/CONTCAR reader and writer.
 *
 * Layout read (https://www.vasp.at/wiki/index.php/POSCAR):
 *   1  comment
 *   2  scale: one positive number s (multiplies the lattice and Cartesian positions),
 *      one negative number -V (s chosen so that the cell volume is V), or three
 *      positive numbers (VASP 6: factors for the x, y, z Cartesian components)
 *   3-5  lattice vectors (rows)
 *   6  species symbols (VASP 5); POTCAR names such as "Fe_pv", "Li_sv", "H1.25" or
 *      "Fe/PAW" are reduced to the element. Absent in VASP 4 files: then the comment
 *      line must name the species, one element symbol per word, as ASE accepts.
 *   7  counts per species (a trailing "! comment" is dropped, as ASE does)
 *   [Selective dynamics]  (first non-blank letter S or s)
 *   Direct | Cartesian   (first letter D/d, or C/c/K/k)
 *   positions, then three T/F flags with selective dynamics, then anything (site
 *   labels). Velocity and predictor-corrector blocks after the positions are ignored.
 *
 * The writer follows ASE 3.22's write_vasp(direct=True): scale 1, VASP 5 species
 * line with consecutive runs of equal species (the atom order is kept), "%21.16f"
 * lattice and "%19.16f" fractional positions, and the formula as the comment. */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "text.h"

typedef struct poscar_reader {
  const char *name;
  mb_lines it;
  const char *line; /* the current line and its length */
  size_t len;
} poscar_reader;

/* Next line, or a parse error naming the line that is missing. */
static mb_status next_line(poscar_reader *r, const char *what) {
  r->line = mb__lines_next(&r->it, &r->len);
  if (!r->line)
    return mb__parse_error(r->name, r->it.lineno + 1, "file ends where %s was expected", what);
  return MB_OK;
}






/* Element of a species token: the leading one or two letters ("Fe_pv" -> Fe,
 * "H1.25" -> H, "Li/PAW" -> Li), first upper-case, second lower-case.
 * 0 when the token does not start with an element symbol. */
static int species_number(const char *tok, size_t len) {
  size_t n = 0;
  while (n < len && isalpha((unsigned char)tok[n])) n++;
  if (n < 1 || n > 2) return 0;
  char sym[3] = {(char)toupper((unsigned char)tok[0]), 0, 0};
  if (n == 2) sym[1] = (char)tolower((unsigned char)tok[1]);
  int z;
  if (mb_element_number(sym, &z) != MB_OK) return 0;
  return z;
}


/* Line 2: one scale factor (negative = volume) or three per-axis factors. */
static mb_status read_scale(poscar_reader *r, double scale[3], double *volume) {
  mb_status st = next_line(r, "the scale factor line");
  if (st) return st;
  const char *p = r->line, *end = r->line + r->len, *tok;
  size_t n;
  double v[3];
  int k = 0;
  while (k < 3 && mb__next_token(&p, end, &tok, &n) && mb__token_double(tok, n, &v[k])) k++;
  *volume = 0;
  if (k == 1) {
    if (v[0] == 0) return mb__parse_error(r->name, r->it.lineno, "the scale factor is zero");
    if (v[0] < 0) {
      *volume = -v[0];
      v[0] = 1;
    }
    scale[0] = scale[1] = scale[2] = v[0];
    return MB_OK;
  }
  if (k == 3) {
    for (int i = 0; i < 3; i++)
      if (v[i] <= 0)
        return mb__parse_error(r->name, r->it.lineno,
                               "with three scale factors (x, y, z) each must be positive");
    memcpy(scale, v, sizeof v);
    return MB_OK;
  }
  return mb__parse_error(r->name, r->it.lineno,
                         "expected one scale factor (or three, one per axis), found %d numbers",
                         k);
}

/* Lines 3-5, unscaled. */
static mb_status read_lattice(poscar_reader *r, double lattice[9]) {
  for (int i = 0; i < 3; i++) {
    mb_status st = next_line(r, "a lattice vector line");
    if (st) return st;
    const char *p = r->line, *end = r->line + r->len, *tok;
    size_t n;
    for (int k = 0; k < 3; k++) {
      int found = mb__next_token(&p, end, &tok, &n);
      if (!found || !mb__token_double(tok, n, &lattice[3 * i + k]))
        return mb__parse_error(r->name, r->it.lineno,
                               "lattice vector %d needs three numbers (component %d is %s)",
                               i + 1, k + 1, found ? "not a finite number" : "missing");
    }
  }
  return MB_OK;
}

/* Apply the scale line to the lattice (VASP: volume mode uses the unscaled cell). */
static mb_status scale_lattice(poscar_reader *r, long scale_line, double scale[3],
                               double volume, double lattice[9]) {
  if (volume > 0) {
    double det = fabs(mb__det3(lattice));
    if (!(det > 0) || !isfinite(det))
      return mb__parse_error(r->name, scale_line,
                             "cannot scale to a volume: the lattice vectors have zero volume");
    double s = cbrt(volume / det);
    scale[0] = scale[1] = scale[2] = s;
  }
  for (int k = 0; k < 9; k++) {
    lattice[k] *= scale[k % 3];
    if (!isfinite(lattice[k]))
      return mb__parse_error(r->name, scale_line, "the scaled lattice overflows");
  }
  return MB_OK;
}

/* Tokens of a species line (VASP 5) or of the comment line (VASP 4) as elements.
 * want < 0: every token; otherwise the first want tokens. Returns the count read,
 * or -1 at a token that is not an element (*bad points at it). */
static int parse_species(const char *line, size_t len, int want, int *z, const char **bad,
                         size_t *badlen) {
  const char *p = line, *end = line + len, *tok;
  size_t n;
  int k = 0;
  while ((want < 0 || k < want) && mb__next_token(&p, end, &tok, &n)) {
    if (tok[0] == '!' || tok[0] == '#') break;
    z[k] = species_number(tok, n);
    if (!z[k]) {
      *bad = tok;
      *badlen = n;
      return -1;
    }
    k++;
  }
  return k;
}

/* Counts line: integers up to the first token holding '!'. */
static mb_status parse_counts(poscar_reader *r, long *counts, int max, int *ncounts,
                              long *total) {
  const char *p = r->line, *end = r->line + r->len, *tok;
  size_t n;
  int k = 0;
  *total = 0;
  while (mb__next_token(&p, end, &tok, &n)) {
    if (memchr(tok, '!', n)) break;
    if (k >= max)
      return mb__parse_error(r->name, r->it.lineno,
                             "%d species named but more atom counts given", max);
    long c;
    if (!mb__token_long(tok, n, &c))
      return mb__parse_error(r->name, r->it.lineno, "atom count '%.*s' is not an integer",
                             (int)(n > 32 ? 32 : n), tok);
    if (c < 0 || c > INT_MAX / 4 || *total + c > INT_MAX / 4)
      return mb__parse_error(r->name, r->it.lineno, "atom count %ld out of range", c);
    counts[k++] = c;
    *total += c;
  }
  *ncounts = k;
  return MB_OK;
}

/* One selective-dynamics flag: T or F in either case, or Fortran's .T./.TRUE./.F./.FALSE. */
static int parse_flag(const char *tok, size_t len, int *flag) {
  static const char *const words[] = {"T", "F", ".T.", ".F.", ".TRUE.", ".FALSE."};
  for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
    size_t wl = strlen(words[w]);
    if (wl != len) continue;
    size_t k = 0;
    while (k < len && toupper((unsigned char)tok[k]) == words[w][k]) k++;
    if (k == len) {
      *flag = w % 2 == 0;
      return 1;
    }
  }
  return 0;
}

/* First non-blank character of the current line (0 for a blank line). */
static char first_letter(const poscar_reader *r) {
  for (size_t k = 0; k < r->len; k++)
    if (!mb__is_blank(r->line[k])) return r->line[k];
  return 0;
}

/* Species and counts (lines 6-7, or line 6 alone in VASP 4) into per-atom numbers. */
static mb_status read_species(poscar_reader *r, const char *comment, size_t comment_len,
                              int **numbers, int *natoms) {
  int *z = NULL;
  long *counts = NULL;
  mb_status st = next_line(r, "the species line");
  if (st) goto cleanup;
  long ntok = mb__count_tokens(r->line, r->len);
  if (ntok == 0) {
    st = mb__parse_error(r->name, r->it.lineno,
                         "expected the species symbols (VASP 5) or the atom counts, found a "
                         "blank line");
    goto cleanup;
  }
  z = mb__malloc((size_t)ntok, sizeof *z);
  counts = mb__malloc((size_t)ntok, sizeof *counts);
  if (!z || !counts) {
    st = MB_ERR_NOMEM;
    goto cleanup;
  }
  const char *p = r->line, *tok, *bad = NULL;
  size_t n, badlen = 0;
  long first;
  mb__next_token(&p, r->line + r->len, &tok, &n);
  int vasp4 = mb__token_long(tok, n, &first);
  int nspecies = 0;
  long species_line = r->it.lineno;
  if (!vasp4) {
    nspecies = parse_species(r->line, r->len, -1, z, &bad, &badlen);
    if (nspecies < 0) {
      st = mb__parse_error(r->name, r->it.lineno, "'%.*s' is not a chemical element",
                           (int)(badlen > 32 ? 32 : badlen), bad);
      goto cleanup;
    }
    if ((st = next_line(r, "the atom counts line"))) goto cleanup;
  }
  int ncounts = 0;
  long total = 0;
  if ((st = parse_counts(r, counts, vasp4 ? ntok : nspecies, &ncounts, &total))) goto cleanup;
  if (vasp4) {
    /* VASP 4: no species line. Take the species from the comment line when its first
     * words are element symbols (as ASE does); otherwise they are unknown. */
    nspecies = parse_species(comment, comment_len, ncounts, z, &bad, &badlen);
    if (nspecies != ncounts) {
      st = mb__parse_error(r->name, species_line,
                           "VASP 4 file without a species line: species names are needed; add "
                           "a line of element symbols before the counts (VASP 5), or name the "
                           "%d species on the comment line",
                           ncounts);
      goto cleanup;
    }
  }
  if (ncounts != nspecies) {
    st = mb__parse_error(r->name, r->it.lineno, "%d species named but %d atom counts given",
                         nspecies, ncounts);
    goto cleanup;
  }
  if (total < 1) {
    st = mb__parse_error(r->name, r->it.lineno, "the atom counts add up to no atoms");
    goto cleanup;
  }
  /* Guard the allocation: every atom needs one more line. */
  if (total > mb__lines_left(&r->it)) {
    st = mb__parse_error(r->name, r->it.lineno,
                         "%ld atoms counted but the file has only %ld lines left", total,
                         mb__lines_left(&r->it));
    goto cleanup;
  }
  int *num = mb__malloc((size_t)total, sizeof *num);
  if (!num) {
    st = MB_ERR_NOMEM;
    goto cleanup;
  }
  long a = 0;
  for (int k = 0; k < nspecies; k++)
    for (long c = 0; c < counts[k]; c++) num[a++] = z[k];
  *numbers = num;
  *natoms = (int)total;
cleanup:
  free(z);
  free(counts);
  return st;
}

/* Positions (and flags) of natoms atoms; Cartesian ones are multiplied by the scale. */
static mb_status read_positions(poscar_reader *r, int natoms, int cartesian, int selective,
                                const double scale[3], double *pos, int *flags) {
  for (int i = 0; i < natoms; i++) {
    mb_status st = next_line(r, "an atom position line");
    if (st) return st;
    const char *p = r->line, *end = r->line + r->len, *tok;
    size_t n;
    for (int k = 0; k < 3; k++) {
      if (!mb__next_token(&p, end, &tok, &n))
        return mb__parse_error(r->name, r->it.lineno, "atom %d: expected three coordinates",
                               i + 1);
      if (!mb__token_double(tok, n, &pos[3 * i + k]))
        return mb__parse_error(r->name, r->it.lineno, "atom %d: coordinate '%.*s' is not a "
                               "finite number", i + 1, (int)(n > 32 ? 32 : n), tok);
      if (cartesian) pos[3 * i + k] *= scale[k];
      if (!isfinite(pos[3 * i + k]))
        return mb__parse_error(r->name, r->it.lineno, "atom %d: scaled coordinate overflows",
                               i + 1);
    }
    for (int k = 0; selective && k < 3; k++)
      if (!mb__next_token(&p, end, &tok, &n) || !parse_flag(tok, n, &flags[3 * i + k]))
        return mb__parse_error(r->name, r->it.lineno,
                               "atom %d: selective dynamics needs three T/F flags after the "
                               "coordinates", i + 1);
    /* Anything after (site labels) is ignored. */
  }
  return MB_OK;
}

static mb_status parse_poscar(poscar_reader *r, mb_structure **out) {
  int *numbers = NULL, *flags = NULL;
  double *pos = NULL;
  mb_structure *s = NULL;
  double scale[3], volume, lattice[9];
  int natoms = 0;
  mb_status st = next_line(r, "the comment line");
  if (st) goto cleanup;
  const char *comment = r->line;
  size_t comment_len = r->len;
  if ((st = read_scale(r, scale, &volume))) goto cleanup;
  long scale_line = r->it.lineno;
  if ((st = read_lattice(r, lattice))) goto cleanup;
  if ((st = scale_lattice(r, scale_line, scale, volume, lattice))) goto cleanup;
  if ((st = read_species(r, comment, comment_len, &numbers, &natoms))) goto cleanup;

  if ((st = next_line(r, "the Direct or Cartesian line"))) goto cleanup;
  int selective = first_letter(r) == 'S' || first_letter(r) == 's';
  if (selective && (st = next_line(r, "the Direct or Cartesian line"))) goto cleanup;
  char mode = (char)tolower((unsigned char)first_letter(r));
  if (mode != 'd' && mode != 'c' && mode != 'k') {
    st = mb__parse_error(r->name, r->it.lineno,
                         "expected 'Direct' or 'Cartesian'%s, found '%.*s'",
                         selective ? "" : " (or 'Selective dynamics')",
                         (int)(r->len > 32 ? 32 : r->len), r->line);
    goto cleanup;
  }
  int cartesian = mode != 'd';
  if (natoms > mb__lines_left(&r->it)) {
    st = mb__parse_error(r->name, r->it.lineno, "%d atoms counted but only %ld lines follow",
                         natoms, mb__lines_left(&r->it));
    goto cleanup;
  }
  pos = mb__malloc((size_t)natoms * 3, sizeof *pos);
  flags = selective ? mb__malloc((size_t)natoms * 3, sizeof *flags) : NULL;
  if (!pos || (selective && !flags)) {
    st = MB_ERR_NOMEM;
    goto cleanup;
  }
  if ((st = read_positions(r, natoms, cartesian, selective, scale, pos, flags))) goto cleanup;
  st = mb__structure_new(lattice, natoms, pos,
                         cartesian ? MB_COORDS_CARTESIAN : MB_COORDS_FRACTIONAL, numbers, &s);
  if (st) {
    mb__error_prefix("%s:%ld", r->name, scale_line + 1);
    goto cleanup;
  }
  if (selective && (st = mb_structure_set_selective(s, flags))) goto cleanup;
  *out = s;
  s = NULL;
cleanup:
  mb_structure_free(s);
  free(numbers);
  free(flags);
  free(pos);
  return st;
}

mb_status mb__read_poscar(const char *data, size_t size, const char *name, int index,
                          mb_structure **out, int *count) {
  if (!name) name = "<buffer>";
  if (index != 0)
    return mb__error(MB_ERR_RANGE, "%s: a POSCAR file holds one structure; index %d is out "
                     "of range", name, index);
  poscar_reader r = {.name = name};
  mb__lines_init(&r.it, data, size);
  mb_structure *s = NULL;
  mb_status st = parse_poscar(&r, &s);
  if (st) return st;
  if (out) {
    *out = s;
  } else {
    mb_structure_free(s);
    if (count) *count = 1;
  }
  return MB_OK;
}

mb_status mb__write_poscar(const mb_structure *s, mb_strbuf *sb) {
  char formula[2048];
  mb_status st = mb_structure_formula(s, 0, formula, sizeof formula);
  if (st) return st;
  mb__sb_printf(sb, "%s\n%19.16f\n", formula, 1.0);
  for (int i = 0; i < 3; i++)
    mb__sb_printf(sb, "  %21.16f %21.16f %21.16f\n", s->lattice[3 * i], s->lattice[3 * i + 1],
                  s->lattice[3 * i + 2]);
  /* Species in runs of consecutive equal atoms, in atom order (as ASE writes them). */
  for (int pass = 0; pass < 2; pass++) {
    for (int i = 0; i < s->natoms;) {
      int j = i;
      while (j < s->natoms && s->numbers[j] == s->numbers[i]) j++;
      const char *sym;
      if ((st = mb_element_symbol(s->numbers[i], &sym))) return st;
      if (pass == 0)
        mb__sb_printf(sb, " %-3s", sym);
      else
        mb__sb_printf(sb, " %3d", j - i);
      i = j;
    }
    mb__sb_puts(sb, "\n");
  }
  if (s->selective) mb__sb_puts(sb, "Selective dynamics\n");
  mb__sb_puts(sb, "Direct\n");
  for (int i = 0; i < s->natoms; i++) {
    const double *f = s->frac + 3 * i;
    mb__sb_printf(sb, " %19.16f %19.16f %19.16f", f[0], f[1], f[2]);
    if (s->selective)
      for (int k = 0; k < 3; k++) mb__sb_puts(sb, s->selective[3 * i + k] ? "   T" : "   F");
    mb__sb_puts(sb, "\n");
  }
  return MB_OK;
}
