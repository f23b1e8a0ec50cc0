/* Extended XYZ reader and writer, as ASE 3.22 (ase/io/extxyz.py) writes and reads it.
 *
 * A frame is: the atom count; a comment line of key=value pairs; one line per atom.
 * On the comment line, values may be quoted with "", '', {} or [] and any character
 * may be escaped with a backslash; a key without '=' is a flag. Read here:
 *   Lattice="ax ay az bx by bz cx cy cz"   the lattice vectors a, b, c (required:
 *                                          non-periodic frames are not supported)
 *   Properties=name:type:ncols:...         the atom columns, type S, R, I or L
 *                                          (default species:S:1:pos:R:3, as ASE)
 *   pbc="T T T"                            checked for form only: a frame with a
 *                                          Lattice is read as periodic, as ASE's
 *                                          POSCAR writer also treats it
 * every other key is skipped. Columns used: species (S:1, symbol, case folded as ASE
 * does), else Z (I:1); pos (R:3, Cartesian Angstrom); move_mask (L:3 per coordinate, or
 * L:1 per atom, T = free to move, as ASE 3.22 reads it) becomes selective-dynamics
 * flags. Other columns are checked against their type and skipped.
 *
 * Frames follow each other; blank lines between frames and at the end are skipped.
 * Counting frames checks each frame's line count only; reading a frame checks it fully.
 *
 * The writer writes what ASE writes for an Atoms with a cell (Lattice, Properties,
 * pbc="T T T"), with 17 significant digits for the lattice and 16 decimals for the
 * positions, plus a move_mask:L:3 column when the structure has selective flags. */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "io.h"
#include "text.h"

typedef struct xyz_reader {
  const char *name;
  mb_lines it;
  const char *line; /* the current line and its length */
  size_t len;
} xyz_reader;

enum { COL_OTHER, COL_SPECIES, COL_Z, COL_POS, COL_MASK };

typedef struct xyz_column {
  int kind;   /* COL_* */
  char type;  /* S, R, I or L */
  int ncols;
} xyz_column;

typedef struct xyz_header {
  double lattice[9];
  int has_lattice, has_pbc;
  xyz_column *cols;
  int ngroups, total;           /* column groups, and atom-line tokens they take */
  int species, z, pos, mask;    /* group index of each, or -1 */
} xyz_header;

#define MAX_COLUMNS 100000






/* A logical as ASE's extxyz parses it: T, F, True, False (any case here). */
static int token_bool(const char *tok, size_t len, int *v) {
  if ((len == 1 && (tok[0] == 'T' || tok[0] == 't')) ||
      (len == 4 && strncasecmp(tok, "true", 4) == 0)) {
    *v = 1;
    return 1;
  }
  if ((len == 1 && (tok[0] == 'F' || tok[0] == 'f')) ||
      (len == 5 && strncasecmp(tok, "false", 5) == 0)) {
    *v = 0;
    return 1;
  }
  return 0;
}

static int clip(size_t n) { return (int)(n > 32 ? 32 : n); }

static mb_status next_line(xyz_reader *r, const char *what) {
  r->line = mb__lines_next(&r->it, &r->len);
  if (!r->line)
    return mb__parse_error(r->name, r->it.lineno + 1, "file ends where %s was expected", what);
  return MB_OK;
}


/* One key or value of the comment line into out (NUL-terminated; out has room for the
 * whole line). Quotes and brackets group, a backslash escapes the next character.
 * A key stops at '='. Returns 0 for an unterminated quote. */
static int read_word(const char **p, const char *end, char *out, int is_key) {
  const char *q = *p;
  size_t n = 0;
  char close = 0;
  int ok = 1;
  while (q < end) {
    char c = *q;
    if (c == '\\') {
      if (q + 1 < end) out[n++] = q[1];
      q += 2;
      continue;
    }
    if (close) {
      if (c == close)
        close = 0;
      else
        out[n++] = c;
    } else if (c == '"' || c == '\'') {
      close = c;
    } else if (c == '{') {
      close = '}';
    } else if (c == '[') {
      close = ']';
    } else if (mb__is_blank(c) || (is_key && c == '=')) {
      break;
    } else {
      out[n++] = c;
    }
    q++;
  }
  if (close) ok = 0;
  out[n] = '\0';
  *p = q < end ? q : end;
  return ok;
}

/* Numbers of a value separated by blanks or commas; -1 if one is not a number. */
static int split_numbers(const char *value, double *v, int max) {
  int k = 0;
  const char *p = value;
  while (*p) {
    while (*p && (mb__is_blank(*p) || *p == ',')) p++;
    if (!*p) break;
    const char *start = p;
    while (*p && !mb__is_blank(*p) && *p != ',') p++;
    if (k >= max || !mb__token_double(start, (size_t)(p - start), &v[k])) return -1;
    k++;
  }
  return k;
}

static int check_pbc(const char *value) {
  int k = 0, b;
  const char *p = value;
  while (*p) {
    while (*p && (mb__is_blank(*p) || *p == ',')) p++;
    if (!*p) break;
    const char *start = p;
    while (*p && !mb__is_blank(*p) && *p != ',') p++;
    if (!token_bool(start, (size_t)(p - start), &b)) return 0;
    k++;
  }
  return k == 1 || k == 3;
}

/* "name:type:ncols:..." into h->cols. */
static mb_status parse_properties(xyz_reader *r, const char *value, xyz_header *h) {
  int nfields = 1;
  for (const char *c = value; *c; c++) nfields += *c == ':';
  if (nfields % 3 != 0)
    return mb__parse_error(r->name, r->it.lineno,
                           "Properties must be name:type:columns triples, found %d fields",
                           nfields);
  free(h->cols);
  h->ngroups = nfields / 3;
  h->cols = mb__calloc((size_t)h->ngroups, sizeof *h->cols);
  if (!h->cols) return MB_ERR_NOMEM;
  h->total = 0;
  h->species = h->z = h->pos = h->mask = -1;
  const char *p = value;
  for (int g = 0; g < h->ngroups; g++) {
    const char *field[3];
    size_t flen[3];
    for (int f = 0; f < 3; f++) {
      const char *colon = strchr(p, ':');
      field[f] = p;
      flen[f] = colon ? (size_t)(colon - p) : strlen(p);
      p = colon ? colon + 1 : p + flen[f];
    }
    long ncols;
    xyz_column *col = &h->cols[g];
    if (flen[0] == 0)
      return mb__parse_error(r->name, r->it.lineno, "Properties: column %d has no name",
                             g + 1);
    if (flen[1] != 1 || !strchr("SRIL", field[1][0]))
      return mb__parse_error(r->name, r->it.lineno,
                             "Properties: '%.*s' has type '%.*s' (known: S, R, I, L)",
                             clip(flen[0]), field[0], clip(flen[1]), field[1]);
    if (!mb__token_long(field[2], flen[2], &ncols) || ncols < 1 || ncols > MAX_COLUMNS - h->total)
      return mb__parse_error(r->name, r->it.lineno,
                             "Properties: '%.*s' has a bad column count '%.*s'",
                             clip(flen[0]), field[0], clip(flen[2]), field[2]);
    col->type = field[1][0];
    col->ncols = (int)ncols;
    h->total += col->ncols;
    col->kind = COL_OTHER;
    int *slot = NULL;
    const char *want = NULL;
    if (flen[0] == 7 && strncmp(field[0], "species", 7) == 0) {
      slot = &h->species, col->kind = COL_SPECIES, want = "S:1";
    } else if (flen[0] == 1 && field[0][0] == 'Z') {
      slot = &h->z, col->kind = COL_Z, want = "I:1";
    } else if (flen[0] == 3 && strncmp(field[0], "pos", 3) == 0) {
      slot = &h->pos, col->kind = COL_POS, want = "R:3";
    } else if (flen[0] == 9 && strncmp(field[0], "move_mask", 9) == 0) {
      slot = &h->mask, col->kind = COL_MASK, want = "L:1 or L:3";
    }
    if (!slot) continue;
    if (*slot >= 0)
      return mb__parse_error(r->name, r->it.lineno, "Properties: '%.*s' appears twice",
                             clip(flen[0]), field[0]);
    int ok = col->kind == COL_SPECIES ? col->type == 'S' && ncols == 1
             : col->kind == COL_Z     ? col->type == 'I' && ncols == 1
             : col->kind == COL_POS   ? col->type == 'R' && ncols == 3
                                      : col->type == 'L' && (ncols == 1 || ncols == 3);
    if (!ok)
      return mb__parse_error(r->name, r->it.lineno, "Properties: '%.*s' must be %s, not %c:%ld",
                             clip(flen[0]), field[0], want, col->type, ncols);
    *slot = g;
  }
  if (h->pos < 0)
    return mb__parse_error(r->name, r->it.lineno, "Properties has no pos:R:3 column");
  if (h->species < 0 && h->z < 0)
    return mb__parse_error(r->name, r->it.lineno,
                           "Properties has neither a species:S:1 nor a Z:I:1 column");
  return MB_OK;
}

/* The comment line (current line) into h. */
static mb_status parse_comment(xyz_reader *r, xyz_header *h) {
  char *key = mb__malloc(r->len + 1, 1), *value = mb__malloc(r->len + 1, 1);
  mb_status st = MB_OK;
  int has_props = 0;
  if (!key || !value) {
    st = MB_ERR_NOMEM;
    goto cleanup;
  }
  const char *p = r->line, *end = r->line + r->len;
  for (;;) {
    while (p < end && mb__is_blank(*p)) p++;
    if (p >= end) break;
    int ok = read_word(&p, end, key, 1);
    while (p < end && mb__is_blank(*p)) p++;
    int has_value = p < end && *p == '=';
    value[0] = '\0';
    if (has_value) {
      p++;
      while (p < end && mb__is_blank(*p)) p++;
      ok = ok && read_word(&p, end, value, 0);
    }
    if (!ok) {
      st = mb__parse_error(r->name, r->it.lineno, "unterminated quote after key '%.32s'", key);
      goto cleanup;
    }
    int is_lattice = strcasecmp(key, "Lattice") == 0;
    int is_props = strcasecmp(key, "Properties") == 0;
    int is_pbc = strcasecmp(key, "pbc") == 0;
    if ((is_lattice && h->has_lattice) || (is_props && has_props) || (is_pbc && h->has_pbc)) {
      st = mb__parse_error(r->name, r->it.lineno, "key '%s' appears twice", key);
      goto cleanup;
    }
    if ((is_lattice || is_props || is_pbc) && !has_value) {
      st = mb__parse_error(r->name, r->it.lineno, "key '%s' has no value", key);
      goto cleanup;
    }
    if (is_lattice) {
      if (split_numbers(value, h->lattice, 9) != 9) {
        st = mb__parse_error(r->name, r->it.lineno,
                             "Lattice must hold 9 finite numbers (ax ay az bx by bz cx cy cz)");
        goto cleanup;
      }
      h->has_lattice = 1;
    } else if (is_props) {
      if ((st = parse_properties(r, value, h))) goto cleanup;
      has_props = 1;
    } else if (is_pbc) {
      if (!check_pbc(value)) {
        st = mb__parse_error(r->name, r->it.lineno, "pbc must be one or three of T/F, not '%.32s'",
                             value);
        goto cleanup;
      }
      h->has_pbc = 1;
    }
  }
  if (!has_props) {
    static const char def[] = "species:S:1:pos:R:3"; /* ASE's default */
    st = parse_properties(r, def, h);
  }
cleanup:
  free(key);
  free(value);
  return st;
}

/* Element of an atom-line species token, capitalised as ASE does ("FE" -> Fe). */
static int species_number(const char *tok, size_t len) {
  char sym[4];
  if (len < 1 || len > 3) return 0;
  for (size_t k = 0; k < len; k++)
    sym[k] = (char)(k ? tolower((unsigned char)tok[k]) : toupper((unsigned char)tok[k]));
  sym[len] = '\0';
  int z;
  return mb_element_number(sym, &z) == MB_OK ? z : 0;
}

/* One atom line (current line) into number, pos[3], flags[3]. */
static mb_status parse_atom(xyz_reader *r, const xyz_header *h, int i, int *number,
                            double *pos, int *flags) {
  long ntok = mb__count_tokens(r->line, r->len);
  if (ntok != h->total)
    return mb__parse_error(r->name, r->it.lineno,
                           "atom %d: expected %d columns (as Properties declares), found %ld",
                           i + 1, h->total, ntok);
  const char *p = r->line, *end = r->line + r->len, *tok;
  size_t n;
  int zs = 0, zz = 0;
  for (int g = 0; g < h->ngroups; g++) {
    const xyz_column *col = &h->cols[g];
    for (int c = 0; c < col->ncols; c++) {
      mb__next_token(&p, end, &tok, &n);
      double d;
      long l;
      int b, ok = 1;
      switch (col->kind) {
        case COL_SPECIES:
          if (!(zs = species_number(tok, n)))
            return mb__parse_error(r->name, r->it.lineno, "atom %d: unknown element '%.*s'",
                                   i + 1, clip(n), tok);
          break;
        case COL_Z:
          if (!mb__token_long(tok, n, &l) || l < 1 || l > 118)
            return mb__parse_error(r->name, r->it.lineno,
                                   "atom %d: Z '%.*s' is not an atomic number 1..118", i + 1,
                                   clip(n), tok);
          zz = (int)l;
          break;
        case COL_POS:
          if (!mb__token_double(tok, n, &pos[c]))
            return mb__parse_error(r->name, r->it.lineno,
                                   "atom %d: coordinate '%.*s' is not a finite number", i + 1,
                                   clip(n), tok);
          break;
        case COL_MASK:
          if (!token_bool(tok, n, &b))
            return mb__parse_error(r->name, r->it.lineno,
                                   "atom %d: move_mask '%.*s' is not T or F", i + 1, clip(n),
                                   tok);
          if (col->ncols == 1)
            flags[0] = flags[1] = flags[2] = b;
          else
            flags[c] = b;
          break;
        default:
          ok = col->type == 'S' || (col->type == 'R' && mb__token_double(tok, n, &d)) ||
               (col->type == 'I' && mb__token_long(tok, n, &l)) ||
               (col->type == 'L' && token_bool(tok, n, &b));
          if (!ok)
            return mb__parse_error(r->name, r->it.lineno,
                                   "atom %d: '%.*s' is not a value of type %c", i + 1,
                                   clip(n), tok, col->type);
      }
    }
  }
  if (zs && zz && zs != zz)
    return mb__parse_error(r->name, r->it.lineno,
                           "atom %d: species and Z name different elements (Z = %d)", i + 1,
                           zz);
  *number = zs ? zs : zz;
  return MB_OK;
}

/* The frame after its atom-count line. */
static mb_status parse_frame(xyz_reader *r, int natoms, mb_structure **out) {
  xyz_header h = {.species = -1, .z = -1, .pos = -1, .mask = -1};
  int *numbers = NULL, *flags = NULL;
  double *pos = NULL;
  mb_structure *s = NULL;
  mb_status st = next_line(r, "the comment line (Lattice=... Properties=...)");
  if (st) goto cleanup;
  long comment_line = r->it.lineno;
  if ((st = parse_comment(r, &h))) goto cleanup;
  if (!h.has_lattice) {
    mb__parse_error(r->name, comment_line,
                    "no Lattice=\"...\" on the comment line: non-periodic structures are "
                    "not supported");
    st = MB_ERR_UNSUPPORTED;
    goto cleanup;
  }
  if (natoms > mb__lines_left(&r->it)) {
    st = mb__parse_error(r->name, comment_line - 1,
                         "%d atoms announced but only %ld lines follow", natoms,
                         mb__lines_left(&r->it));
    goto cleanup;
  }
  numbers = mb__malloc((size_t)natoms, sizeof *numbers);
  pos = mb__malloc((size_t)natoms * 3, sizeof *pos);
  flags = h.mask >= 0 ? mb__malloc((size_t)natoms * 3, sizeof *flags) : NULL;
  if (!numbers || !pos || (h.mask >= 0 && !flags)) {
    st = MB_ERR_NOMEM;
    goto cleanup;
  }
  for (int i = 0; i < natoms; i++) {
    if ((st = next_line(r, "an atom line"))) goto cleanup;
    if ((st = parse_atom(r, &h, i, &numbers[i], pos + 3 * i, flags ? flags + 3 * i : NULL)))
      goto cleanup;
  }
  st = mb__structure_new(h.lattice, natoms, pos, MB_COORDS_CARTESIAN, numbers, &s);
  if (st) {
    mb__error_prefix("%s:%ld", r->name, comment_line);
    goto cleanup;
  }
  if (flags && (st = mb_structure_set_selective(s, flags))) goto cleanup;
  *out = s;
  s = NULL;
cleanup:
  mb_structure_free(s);
  free(h.cols);
  free(numbers);
  free(pos);
  free(flags);
  return st;
}

mb_status mb__read_xyz(const char *data, size_t size, const char *name, int index,
                       mb_structure **out, int *count) {
  if (!name) name = "<buffer>";
  xyz_reader r = {.name = name};
  mb__lines_init(&r.it, data, size);
  int frame = 0;
  while ((r.line = mb__lines_next(&r.it, &r.len))) {
    const char *p = r.line, *tok;
    size_t n;
    if (!mb__next_token(&p, r.line + r.len, &tok, &n)) continue; /* blank line */
    long natoms;
    if (mb__count_tokens(r.line, r.len) != 1 || !mb__token_long(tok, n, &natoms))
      return mb__parse_error(name, r.it.lineno,
                             "expected the atom count of frame %d, found '%.*s'", frame + 1,
                             clip(r.len), r.line);
    if (natoms < 1 || natoms > INT_MAX / 4)
      return mb__parse_error(name, r.it.lineno, "frame %d: atom count %ld out of range",
                             frame + 1, natoms);
    if (out && frame == index) return parse_frame(&r, (int)natoms, out);
    for (long k = 0; k <= natoms; k++)
      if (!mb__lines_next(&r.it, &r.len))
        return mb__parse_error(name, r.it.lineno + 1,
                               "frame %d: file ends after %ld of its %ld atom lines", frame + 1,
                               k ? k - 1 : 0, natoms);
    if (frame == INT_MAX) return mb__parse_error(name, r.it.lineno, "too many frames");
    frame++;
  }
  if (frame == 0) return mb__parse_error(name, r.it.lineno + 1, "no frame in the file");
  if (!out) {
    if (count) *count = frame;
    return MB_OK;
  }
  return mb__error(MB_ERR_RANGE, "%s: frame %d requested but the file has %d frame%s", name,
                   index, frame, frame == 1 ? "" : "s");
}

mb_status mb__xyz_write_frame(const mb_structure *s, const double *forces, const char *info,
                              mb_strbuf *sb) {
  const double *L = s->lattice;
  mb__sb_printf(sb, "%d\nLattice=\"%.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g\" "
                "Properties=species:S:1:pos:R:3%s%s%s%s pbc=\"T T T\"\n",
                s->natoms, L[0], L[1], L[2], L[3], L[4], L[5], L[6], L[7], L[8],
                forces ? ":forces:R:3" : "", s->selective ? ":move_mask:L:3" : "",
                info ? " " : "", info ? info : "");
  for (int i = 0; i < s->natoms; i++) {
    const char *sym;
    mb_status st = mb_element_symbol(s->numbers[i], &sym);
    if (st) return st;
    double r[3];
    mb__structure_cart(s, i, r);
    mb__sb_printf(sb, "%-2s %24.16f %24.16f %24.16f", sym, r[0], r[1], r[2]);
    if (forces)
      mb__sb_printf(sb, " %20.12f %20.12f %20.12f", forces[3 * i], forces[3 * i + 1],
                    forces[3 * i + 2]);
    if (s->selective)
      for (int k = 0; k < 3; k++) mb__sb_puts(sb, s->selective[3 * i + k] ? " T" : " F");
    mb__sb_puts(sb, "\n");
  }
  return MB_OK;
}

mb_status mb__write_xyz(const mb_structure *s, mb_strbuf *sb) {
  return mb__xyz_write_frame(s, NULL, NULL, sb);
}
