/* CIF 1.1 reader and writer.
 *
 * Reading tokenizes the whole file (tags, values quoted with ' or ", semicolon text
 * fields, comments, loop_, data_ blocks, save_ frames skipped), keeps the values of the
 * few tags it needs for the current data block, and builds the structure when the block
 * asked for ends. Index k selects the k-th data block that holds atom sites
 * (_atom_site_fract_x or _atom_site_Cartn_x). The rest of the file is still read, so a
 * syntax error anywhere refuses the file whichever block is asked for.
 *
 * The cell is built from a, b, c, alpha, beta, gamma in the standard orientation (a
 * along x, b in the xy plane), with the same arithmetic as ASE's cellpar_to_cell so that
 * positions agree with ASE to rounding. Sites are expanded by the listed symmetry
 * operations as ASE does (cif_symop.c). Without operations the block must be P1 (or
 * say nothing about its space group): space-group tables are not built in.
 *
 * Writing gives a P1 block (one operation 'x, y, z'): the cell as lengths and angles,
 * so a reader re-orients the lattice to the standard setting with the same lengths,
 * angles and fractional positions. A left-handed lattice L is written as -L with
 * negated fractional coordinates: the same Cartesian atoms in a right-handed cell. */
#include <ctype.h>
#include <math.h>
#include <string.h>
#include <stdlib.h>
#include <strings.h>

#include "cif_symop.h"
#include "io.h"
#include "text.h"

/* Guards against absurd input: listed operations (a space group has at most 192 in a
 * conventional cell), cell lengths and site coordinates (fractional or Angstrom). */
#define CIF_MAX_OPS 1024
#define CIF_MAX_COORD 1e6

/* ---- tokens ---------------------------------------------------------------- */

typedef enum { TOK_END, TOK_TAG, TOK_VALUE, TOK_LOOP, TOK_DATA, TOK_SAVE, TOK_GLOBAL,
               TOK_STOP } tok_kind;

typedef struct cif_token {
  tok_kind kind;
  const char *s;   /* text of the token (without quotes or semicolons) */
  size_t len;
  long line;       /* line where it starts */
  int quoted;      /* a quoted string or text field: never a reserved word, '?' or '.' */
} cif_token;

typedef struct cif_scanner {
  const char *begin, *p, *end, *name;
  long line;
} cif_scanner;

static int is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int word_is(const char *s, size_t len, const char *word) {
  size_t n = strlen(word);
  return len == n && strncasecmp(s, word, n) == 0;
}

static mb_status next_token(cif_scanner *sc, cif_token *t) {
  memset(t, 0, sizeof *t);
  for (;;) {
    if (sc->p >= sc->end) {
      t->kind = TOK_END;
      t->line = sc->line;
      return MB_OK;
    }
    char c = *sc->p;
    if (c == '\n') {
      sc->line++;
      sc->p++;
    } else if (is_blank(c)) {
      sc->p++;
    } else if (c == '#') {
      const char *nl = memchr(sc->p, '\n', (size_t)(sc->end - sc->p));
      sc->p = nl ? nl : sc->end;
    } else {
      break;
    }
  }
  const char *start = sc->p;
  t->line = sc->line;
  char c = *start;
  if (c == ';' && (start == sc->begin || start[-1] == '\n')) {
    /* Text field: up to the next line that starts with ';'. */
    const char *q = start + 1;
    for (;;) {
      const char *nl = memchr(q, '\n', (size_t)(sc->end - q));
      if (!nl) return mb__parse_error(sc->name, t->line, "unterminated text field (';' block)");
      sc->line++;
      if (nl + 1 < sc->end && nl[1] == ';') {
        t->s = start + 1;
        t->len = (size_t)(nl - t->s);
        if (t->len > 0 && t->s[t->len - 1] == '\r') t->len--;
        sc->p = nl + 2;
        break;
      }
      q = nl + 1;
    }
    t->kind = TOK_VALUE;
    t->quoted = 1;
    return MB_OK;
  }
  if (c == '\'' || c == '"') {
    /* A quote closes the string only when followed by a blank or the end of line. */
    const char *q = start + 1;
    for (;; q++) {
      if (q >= sc->end || *q == '\n')
        return mb__parse_error(sc->name, t->line, "unterminated quoted string %c%.20s",
                               c, start + 1);
      if (*q == c && (q + 1 >= sc->end || q[1] == '\n' || is_blank(q[1]))) break;
    }
    t->kind = TOK_VALUE;
    t->s = start + 1;
    t->len = (size_t)(q - t->s);
    t->quoted = 1;
    sc->p = q + 1;
    return MB_OK;
  }
  const char *q = start;
  while (q < sc->end && *q != '\n' && !is_blank(*q)) q++;
  sc->p = q;
  t->s = start;
  t->len = (size_t)(q - start);
  if (c == '_')
    t->kind = TOK_TAG;
  else if (t->len >= 5 && strncasecmp(start, "data_", 5) == 0)
    t->kind = TOK_DATA;
  else if (word_is(start, t->len, "loop_"))
    t->kind = TOK_LOOP;
  else if (t->len >= 5 && strncasecmp(start, "save_", 5) == 0)
    t->kind = TOK_SAVE;
  else if (word_is(start, t->len, "global_"))
    t->kind = TOK_GLOBAL;
  else if (word_is(start, t->len, "stop_"))
    t->kind = TOK_STOP;
  else
    t->kind = TOK_VALUE;
  return MB_OK;
}

/* ---- the tags a structure needs, and their values in the current block ----- */

enum { T_A, T_B, T_C, T_ALPHA, T_BETA, T_GAMMA, T_LABEL, T_TYPE, T_FX, T_FY, T_FZ,
       T_CX, T_CY, T_CZ, T_OCC, T_SYMOP, T_HM, T_NUMBER, NTAGS };

/* Synonyms share an id: the first one a block gives is used, later ones ignored. */
static const struct {
  int id;
  const char *name;
} known_tags[] = {
    {T_A, "_cell_length_a"}, {T_B, "_cell_length_b"}, {T_C, "_cell_length_c"},
    {T_ALPHA, "_cell_angle_alpha"}, {T_BETA, "_cell_angle_beta"},
    {T_GAMMA, "_cell_angle_gamma"}, {T_LABEL, "_atom_site_label"},
    {T_TYPE, "_atom_site_type_symbol"}, {T_FX, "_atom_site_fract_x"},
    {T_FY, "_atom_site_fract_y"}, {T_FZ, "_atom_site_fract_z"},
    {T_CX, "_atom_site_Cartn_x"}, {T_CY, "_atom_site_Cartn_y"},
    {T_CZ, "_atom_site_Cartn_z"}, {T_OCC, "_atom_site_occupancy"},
    {T_SYMOP, "_symmetry_equiv_pos_as_xyz"}, {T_SYMOP, "_space_group_symop_operation_xyz"},
    {T_SYMOP, "_space_group_symop.operation_xyz"},
    {T_HM, "_symmetry_space_group_name_H-M"}, {T_HM, "_space_group_name_H-M_alt"},
    {T_HM, "_space_group.name_H-M_alt"}, {T_NUMBER, "_symmetry_Int_Tables_number"},
    {T_NUMBER, "_space_group_IT_number"}, {T_NUMBER, "_space_group.IT_number"},
};
#define NKNOWN ((int)(sizeof known_tags / sizeof known_tags[0]))

static int known_tag(const cif_token *t) {
  for (int k = 0; k < NKNOWN; k++)
    if (word_is(t->s, t->len, known_tags[k].name)) return k;
  return -1;
}

typedef struct cif_column {
  int which;        /* index in known_tags that set it, -1 when unset */
  long line;        /* line of the tag */
  cif_token *vals;
  int n, cap;
} cif_column;

typedef struct cif_block {
  cif_column col[NTAGS];
  const char *bname;  /* block name (after data_) */
  size_t blen;
  long line;          /* line of data_ */
  int open;           /* inside a data block */
  int *loopcol;       /* column id of each tag of the current loop (-1: not kept) */
  int loopcap;
} cif_block;

static void block_reset(cif_block *b) {
  for (int k = 0; k < NTAGS; k++) {
    b->col[k].which = -1;
    b->col[k].n = 0;
  }
}

static void block_free(cif_block *b) {
  for (int k = 0; k < NTAGS; k++) free(b->col[k].vals);
  free(b->loopcol);
}

static mb_status column_push(cif_column *c, const cif_token *t) {
  if (c->n == c->cap) {
    int cap = c->cap ? 2 * c->cap : 16;
    cif_token *v = mb__realloc(c->vals, (size_t)cap, sizeof *v);
    if (!v) return MB_ERR_NOMEM;
    c->vals = v;
    c->cap = cap;
  }
  c->vals[c->n++] = *t;
  return MB_OK;
}

/* Which column a tag feeds (-1: none). A repeated tag is an error; a synonym of a
 * column already set is ignored. */
static mb_status claim_column(cif_block *b, const char *name, const cif_token *tag, int *id) {
  *id = -1;
  int k = known_tag(tag);
  if (k < 0) return MB_OK;
  cif_column *c = &b->col[known_tags[k].id];
  if (c->which == k)
    return mb__parse_error(name, tag->line, "tag '%s' appears twice in data block '%.*s'",
                           known_tags[k].name, (int)(b->blen > 60 ? 60 : b->blen), b->bname);
  if (c->which >= 0) return MB_OK;
  c->which = k;
  c->line = tag->line;
  *id = known_tags[k].id;
  return MB_OK;
}

/* ---- numbers and species ----------------------------------------------------- */

static int is_null(const cif_token *t) {
  return !t->quoted && t->len == 1 && (t->s[0] == '?' || t->s[0] == '.');
}

/* A number, with a standard uncertainty in parentheses allowed: "5.4310(2)". */
static int cif_number(const cif_token *t, double *value) {
  char buf[64];
  if (t->len == 0 || t->len >= sizeof buf) return 0;
  memcpy(buf, t->s, t->len);
  buf[t->len] = '\0';
  char *paren = strchr(buf, '(');
  if (paren) {
    if (paren == buf || buf[t->len - 1] != ')' || paren + 2 > buf + t->len - 1) return 0;
    for (char *d = paren + 1; d < buf + t->len - 1; d++)
      if (!isdigit((unsigned char)*d)) return 0;
    *paren = '\0';
  }
  return mb__parse_double(buf, value);
}

/* Element of a symbol of one or two letters in any case ("CA", "ca" -> Ca), or 0. */
static int folded_element(const char *s, size_t n) {
  char sym[3] = {0, 0, 0};
  int z;
  if (n < 1 || n > 2) return 0;
  sym[0] = (char)toupper((unsigned char)s[0]);
  if (n == 2) sym[1] = (char)tolower((unsigned char)s[1]);
  return mb_element_number(sym, &z) == MB_OK ? z : 0;
}

/* Names that are not element symbols but say which element unambiguously: "Wat"
 * (water oxygen, as AMCSD files label it) and D (deuterium). Documented in migbar.h. */
static int alias_element(const char *s, size_t n) {
  if (n == 3 && strncasecmp(s, "wat", 3) == 0) return 8;
  if (n == 1 && (s[0] == 'D' || s[0] == 'd')) return 1;
  return 0;
}

/* Letters at the start of t. */
static size_t alpha_run(const cif_token *t) {
  size_t n = 0;
  while (n < t->len && isalpha((unsigned char)t->s[n])) n++;
  return n;
}

/* Element of an _atom_site_type_symbol: an element symbol in any case ("Fe", "FE",
 * "ca") or an alias, then nothing but a charge or oxidation state ("Fe2+", "O2-",
 * "O-2", "Si4"). Anything else is not a type symbol this reader trusts (0): the
 * label is tried next. */
static int type_symbol_element(const cif_token *t) {
  size_t n = alpha_run(t);
  for (size_t k = n; k < t->len; k++)
    if (!isdigit((unsigned char)t->s[k]) && t->s[k] != '+' && t->s[k] != '-' && t->s[k] != '.')
      return 0;
  int z = alias_element(t->s, n);
  return z ? z : folded_element(t->s, n);
}

/* Element of an _atom_site_label: the element symbol it starts with, then anything
 * (site number, letters: "Li1", "O12", "Fe1a", "Ow"), or an alias ("Wat", "WAT" ->
 * O). A lower-case second letter is part of the symbol when that makes an element
 * ("Ca1"), else the first letter alone is ("Ow" -> O). An upper-case second letter
 * ("CA", "NB") is folded ("Ca", "Nb") in a block whose labels are all upper case
 * (such files write every symbol that way); among mixed-case labels it is a second
 * name only when the first letter alone is no element ("OH" -> O), and refused as
 * ambiguous (-1) when both readings are elements ("CA": C or Ca). A longer run of
 * letters that starts with neither ("Oxy") tells nothing (0): guessing from its first
 * letter made "Wat" tungsten. */
static int label_element(const cif_token *t, int all_upper) {
  size_t n = alpha_run(t);
  if (n == 0) return 0;
  int z = alias_element(t->s, n);
  if (z) return z;
  int one = folded_element(t->s, 1);
  if (n == 1) return one;
  int two = folded_element(t->s, 2);
  if (islower((unsigned char)t->s[1])) return two ? two : n == 2 ? one : 0;
  if (two && (all_upper || !one)) return two;
  if (two) return -1;
  return n == 2 ? one : 0;
}

/* 1 when no label of the block has a lower-case letter before its first non-letter. */
static int labels_all_upper(const cif_column *c) {
  if (c->which < 0) return 0;
  for (int i = 0; i < c->n; i++) {
    const cif_token *t = &c->vals[i];
    for (size_t k = 0, n = alpha_run(t); k < n; k++)
      if (islower((unsigned char)t->s[k])) return 0;
  }
  return 1;
}

/* ---- building the structure of one block ------------------------------------ */

/* Lattice from cell parameters, as ASE's cellpar_to_cell (ab_normal z, a along x). */
static mb_status cell_from_params(const double p[6], double lat[9]) {
  const double eps = 2 * 1.4210854715202004e-14; /* 2 * np.spacing(90.0) */
  double ca = fabs(fabs(p[3]) - 90) < eps ? 0.0 : cos(p[3] * M_PI / 180.0);
  double cb = fabs(fabs(p[4]) - 90) < eps ? 0.0 : cos(p[4] * M_PI / 180.0);
  double cg, sg;
  if (fabs(p[5] - 90) < eps) {
    cg = 0.0;
    sg = 1.0;
  } else {
    cg = cos(p[5] * M_PI / 180.0);
    sg = sin(p[5] * M_PI / 180.0);
  }
  double cy = (ca - cb * cg) / sg;
  double cz2 = 1.0 - cb * cb - cy * cy;
  if (!(cz2 > 0)) return MB_ERR_GEOMETRY;
  double v[9] = {p[0], 0, 0, p[1] * cg, p[1] * sg, 0, p[2] * cb, p[2] * cy, p[2] * sqrt(cz2)};
  memcpy(lat, v, sizeof v);
  return MB_OK;
}

static const cif_token *scalar(const cif_block *b, int id) {
  return b->col[id].which >= 0 && b->col[id].n > 0 ? &b->col[id].vals[0] : NULL;
}

static mb_status read_cell(const cif_block *b, const char *name, double lat[9]) {
  double p[6];
  for (int k = 0; k < 6; k++) {
    const cif_token *t = scalar(b, k);
    const char *tag = NULL;
    for (int j = 0; j < NKNOWN && !tag; j++)
      if (known_tags[j].id == k) tag = known_tags[j].name;
    if (!t)
      return mb__parse_error(name, b->line, "data block '%.*s' has atom sites but no %s",
                             (int)(b->blen > 60 ? 60 : b->blen), b->bname, tag);
    if (b->col[k].n != 1)
      return mb__parse_error(name, b->col[k].line, "%s must have a single value", tag);
    if (!cif_number(t, &p[k]))
      return mb__parse_error(name, t->line, "%s: '%.*s' is not a number", tag,
                             (int)(t->len > 40 ? 40 : t->len), t->s);
    if (k < 3 ? !(p[k] > 0 && p[k] <= CIF_MAX_COORD) : !(p[k] > 0 && p[k] < 180))
      return mb__parse_error(name, t->line, "%s = %g is out of range", tag, p[k]);
  }
  if (cell_from_params(p, lat))
    return mb__error(MB_ERR_GEOMETRY, "%s:%ld: cell angles %g, %g, %g do not make a cell",
                     name, b->col[T_ALPHA].line, p[3], p[4], p[5]);
  return MB_OK;
}

/* The symmetry operations of the block, or the identity when it has no symmetry
 * information or says P 1. */
static mb_status read_symops(const cif_block *b, const char *name, int **rot, double **trans,
                             int *nops) {
  const cif_column *c = &b->col[T_SYMOP];
  int n = c->which >= 0 ? c->n : 0;
  if (n == 0) {
    const cif_token *hm = scalar(b, T_HM), *num = scalar(b, T_NUMBER);
    char sym[32];
    size_t k = 0;
    for (size_t i = 0; hm && !is_null(hm) && i < hm->len && k < sizeof sym - 1; i++)
      if (!isspace((unsigned char)hm->s[i])) sym[k++] = hm->s[i];
    sym[k] = '\0';
    if (k > 0 && strcasecmp(sym, "P1") != 0)
      return mb__error(MB_ERR_UNSUPPORTED,
                       "%s:%ld: space group '%.*s' is given without its symmetry operations; "
                       "list them in a _symmetry_equiv_pos_as_xyz loop (or write the file "
                       "in P1)", name, hm->line, (int)(hm->len > 30 ? 30 : hm->len), hm->s);
    if (k == 0 && num && !is_null(num) && !word_is(num->s, num->len, "1"))
      return mb__error(MB_ERR_UNSUPPORTED,
                       "%s:%ld: space group number %.*s is given without its symmetry "
                       "operations; list them in a _symmetry_equiv_pos_as_xyz loop", name,
                       num->line, (int)(num->len > 10 ? 10 : num->len), num->s);
  }
  if (n > CIF_MAX_OPS)
    return mb__parse_error(name, c->line, "%d symmetry operations (at most %d are accepted)",
                           n, CIF_MAX_OPS);
  int m = n ? n : 1;
  *rot = mb__malloc((size_t)m * 9, sizeof(int));
  *trans = mb__malloc((size_t)m * 3, sizeof(double));
  if (!*rot || !*trans) return MB_ERR_NOMEM;
  *nops = m;
  if (n == 0) {
    static const int id[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    memcpy(*rot, id, sizeof id);
    (*trans)[0] = (*trans)[1] = (*trans)[2] = 0.0;
    return MB_OK;
  }
  for (int k = 0; k < n; k++) {
    const cif_token *t = &c->vals[k];
    const char *why = mb__cif_symop_parse(t->s, t->len, *rot + 9 * k, *trans + 3 * k);
    if (why)
      return mb__parse_error(name, t->line, "symmetry operation '%.*s': %s",
                             (int)(t->len > 60 ? 60 : t->len), t->s, why);
  }
  return MB_OK;
}

static mb_status build(const cif_block *b, const char *name, mb_structure **out) {
  double lat[9], inv[9];
  mb_status st = read_cell(b, name, lat);
  if (st) return st;
  int cart = b->col[T_FX].which < 0;
  int ix = cart ? T_CX : T_FX;
  int n = b->col[ix].n;
  const int site_cols[] = {T_LABEL, T_TYPE, ix + 1, ix + 2, T_OCC};
  for (size_t k = 0; k < sizeof site_cols / sizeof site_cols[0]; k++) {
    const cif_column *c = &b->col[site_cols[k]];
    if (c->which >= 0 && c->n != n)
      return mb__parse_error(name, c->line, "%s has %d values but %s has %d",
                             known_tags[c->which].name, c->n, known_tags[b->col[ix].which].name,
                             n);
  }
  for (int k = 1; k < 3; k++)
    if (b->col[ix + k].which < 0)
      return mb__parse_error(name, b->col[ix].line, "%s is given without %s",
                             known_tags[b->col[ix].which].name,
                             cart ? (k == 1 ? "_atom_site_Cartn_y" : "_atom_site_Cartn_z")
                                  : (k == 1 ? "_atom_site_fract_y" : "_atom_site_fract_z"));
  if (cart && mb__inv3(lat, inv)) return mb__parse_error(name, b->line, "singular cell");
  int *rot = NULL, nops = 0;
  double *trans = NULL;
  mb_cif_site *sites = mb__malloc((size_t)n, sizeof *sites);
  if (!sites) return MB_ERR_NOMEM;
  int all_upper = labels_all_upper(&b->col[T_LABEL]);
  for (int i = 0; i < n && !st; i++) {
    const cif_token *label = b->col[T_LABEL].which >= 0 ? &b->col[T_LABEL].vals[i] : NULL;
    const cif_token *type = b->col[T_TYPE].which >= 0 ? &b->col[T_TYPE].vals[i] : NULL;
    const cif_token *lt = label ? label : type;
    int ll = lt ? (int)(lt->len > 30 ? 30 : lt->len) : 1;
    const char *ls = lt ? lt->s : "?";
    sites[i].line = b->col[ix].vals[i].line;
    /* The type symbol first: it is meant to name the element; the label is a name. */
    sites[i].z = type && !is_null(type) ? type_symbol_element(type) : 0;
    if (!sites[i].z && label && !is_null(label)) sites[i].z = label_element(label, all_upper);
    if (sites[i].z < 0) {
      st = mb__parse_error(name, sites[i].line, "atom site '%.*s': the label is ambiguous "
                           "among mixed-case labels ('%c' or '%c%c'); give "
                           "_atom_site_type_symbol", ll, ls, toupper((unsigned char)ls[0]),
                           toupper((unsigned char)ls[0]), tolower((unsigned char)ls[1]));
      break;
    }
    if (!sites[i].z) {
      st = mb__parse_error(name, sites[i].line, "atom site '%.*s': cannot tell its element "
                           "from _atom_site_type_symbol or _atom_site_label (a type symbol "
                           "is an element with an optional charge, 'Fe2+'; a label starts "
                           "with one, 'Fe1')", ll, ls);
      break;
    }
    double x[3];
    for (int k = 0; k < 3 && !st; k++) {
      const cif_token *t = &b->col[ix + k].vals[i];
      if (!cif_number(t, &x[k]) || fabs(x[k]) > CIF_MAX_COORD)
        st = mb__parse_error(name, t->line, "atom site '%.*s': coordinate '%.*s' is not a "
                             "number of sensible size", ll, ls, (int)(t->len > 30 ? 30 : t->len),
                             t->s);
    }
    if (st) break;
    if (cart)
      mb__vecmat3(x, inv, sites[i].frac);
    else
      memcpy(sites[i].frac, x, sizeof x);
    double occ = 1.0;
    const cif_token *o = b->col[T_OCC].which >= 0 ? &b->col[T_OCC].vals[i] : NULL;
    if (o && !is_null(o) && !cif_number(o, &occ))
      st = mb__parse_error(name, o->line, "atom site '%.*s': occupancy '%.*s' is not a number",
                           ll, ls, (int)(o->len > 30 ? 30 : o->len), o->s);
    else if (fabs(occ - 1.0) > 1e-4)
      st = mb__error(MB_ERR_UNSUPPORTED, "%s:%ld: atom site '%.*s' has fractional occupancy "
                     "%g; disordered structures are not supported", name, o->line, ll, ls, occ);
  }
  if (!st) st = read_symops(b, name, &rot, &trans, &nops);
  long opline = b->col[T_SYMOP].which >= 0 ? b->col[T_SYMOP].line : b->line;
  if (!st) st = mb__cif_expand(name, opline, sites, n, rot, trans, nops, lat, out);
  free(sites);
  free(rot);
  free(trans);
  return st;
}

/* ---- the reader ---------------------------------------------------------------- */

/* The tokens of one loop_: its tags, then values filling the columns in turn. On
 * return *t holds the first token after the loop. */
static mb_status read_loop(cif_scanner *sc, cif_block *b, cif_token *t) {
  long line = t->line;
  int ntags = 0;
  mb_status st;
  while ((st = next_token(sc, t)) == MB_OK && t->kind == TOK_TAG) {
    if (ntags == b->loopcap) {
      int cap = b->loopcap ? 2 * b->loopcap : 16;
      int *lc = mb__realloc(b->loopcol, (size_t)cap, sizeof *lc);
      if (!lc) return MB_ERR_NOMEM;
      b->loopcol = lc;
      b->loopcap = cap;
    }
    if ((st = claim_column(b, sc->name, t, &b->loopcol[ntags]))) return st;
    ntags++;
  }
  if (st) return st;
  if (ntags == 0) return mb__parse_error(sc->name, line, "loop_ without tags");
  long nvalues = 0;
  while (t->kind == TOK_VALUE) {
    int id = b->loopcol[nvalues % ntags];
    if (id >= 0 && (st = column_push(&b->col[id], t))) return st;
    nvalues++;
    if ((st = next_token(sc, t))) return st;
  }
  if (nvalues % ntags != 0)
    return mb__parse_error(sc->name, line, "loop_ with %d tags has %ld values, not a multiple "
                           "of %d", ntags, nvalues, ntags);
  return MB_OK;
}

mb_status mb__read_cif(const char *data, size_t size, const char *name, int index,
                       mb_structure **out, int *count) {
  const char *nul = memchr(data, '\0', size);
  if (nul) {
    long line = 1;
    for (const char *p = data; p < nul; p++) line += *p == '\n';
    return mb__parse_error(name, line, "NUL byte in a CIF file");
  }
  cif_scanner sc = {data, data, data + size, name, 1};
  cif_block b;
  memset(&b, 0, sizeof b);
  block_reset(&b);
  int found = 0;
  mb_structure *built = NULL;
  cif_token t;
  mb_status st = next_token(&sc, &t);
  /* The whole file is read even after the block asked for, so that a file with a
   * syntax error anywhere is refused whichever structure is asked for. */
  while (!st) {
    if (t.kind == TOK_END || t.kind == TOK_DATA || t.kind == TOK_GLOBAL) {
      /* The end of a block: count it, or build it when it is the one asked for. */
      int has_atoms = b.open && ((b.col[T_FX].which >= 0 && b.col[T_FX].n > 0) ||
                                 (b.col[T_CX].which >= 0 && b.col[T_CX].n > 0));
      if (has_atoms && out && found == index && (st = build(&b, name, &built))) break;
      found += has_atoms;
      if (t.kind == TOK_END) break;
      block_reset(&b);
      b.open = 1;
      b.bname = t.kind == TOK_DATA ? t.s + 5 : t.s;
      b.blen = t.kind == TOK_DATA ? t.len - 5 : t.len;
      b.line = t.line;
      st = next_token(&sc, &t);
    } else if (t.kind == TOK_TAG || t.kind == TOK_LOOP) {
      if (!b.open)
        st = mb__parse_error(name, t.line, "'%.*s' before the first data_ block",
                             (int)(t.len > 40 ? 40 : t.len), t.s);
      else if (t.kind == TOK_LOOP)
        st = read_loop(&sc, &b, &t);
      else {
        cif_token tag = t;
        int id;
        if ((st = next_token(&sc, &t))) break;
        if (t.kind != TOK_VALUE)
          st = mb__parse_error(name, tag.line, "tag '%.*s' has no value",
                               (int)(tag.len > 60 ? 60 : tag.len), tag.s);
        else if (!(st = claim_column(&b, name, &tag, &id)) && id >= 0)
          st = column_push(&b.col[id], &t);
        if (!st) st = next_token(&sc, &t);
      }
    } else if (t.kind == TOK_SAVE) {
      /* Save frames (dictionaries) hold no structure: skip to their closing save_. */
      long line = t.line;
      if (t.len == 5) {
        st = mb__parse_error(name, line, "save_ without an open save frame");
        break;
      }
      do st = next_token(&sc, &t);
      while (!st && t.kind != TOK_END && !(t.kind == TOK_SAVE && t.len == 5));
      if (!st && t.kind == TOK_END) st = mb__parse_error(name, line, "unterminated save frame");
      if (!st) st = next_token(&sc, &t);
    } else if (t.kind == TOK_STOP) {
      st = mb__parse_error(name, t.line, "reserved word 'stop_' is not allowed in CIF 1.1");
    } else {
      st = mb__parse_error(name, t.line, "value '%.*s' without a tag",
                           (int)(t.len > 40 ? 40 : t.len), t.s);
    }
  }
  block_free(&b);
  if (st) {
    mb_structure_free(built);
    return st;
  }
  if (!out) {
    *count = found;
    return MB_OK;
  }
  if (built) {
    *out = built;
    return MB_OK;
  }
  if (found == 0)
    return mb__parse_error(name, 0, "no data block with atom sites (_atom_site_fract_x or "
                           "_atom_site_Cartn_x)");
  return mb__error(MB_ERR_RANGE, "%s: structure %d asked for, but the file has %d data "
                   "block%s with atom sites", name, index, found, found == 1 ? "" : "s");
}

/* ---- the writer ---------------------------------------------------------------- */

static double angle_deg(const double *u, const double *v) {
  double c[3];
  mb__cross3(u, v, c);
  return atan2(mb__norm3(c), mb__dot3(u, v)) * 180.0 / M_PI;
}

mb_status mb__write_cif(const mb_structure *s, mb_strbuf *sb) {
  const double *L = s->lattice;
  char formula[128];
  if (mb_structure_formula(s, 0, formula, sizeof formula) != MB_OK) strcpy(formula, "structure");
  /* Lengths and angles can only describe a right-handed cell: see the top. */
  double sign = mb__det3(L) < 0 ? -1.0 : 1.0;
  mb__sb_printf(sb, "# written by libmigbar %s\ndata_%s\n", mb_version(), formula);
  mb__sb_printf(sb, "_cell_length_a    %.12f\n", mb__norm3(L));
  mb__sb_printf(sb, "_cell_length_b    %.12f\n", mb__norm3(L + 3));
  mb__sb_printf(sb, "_cell_length_c    %.12f\n", mb__norm3(L + 6));
  mb__sb_printf(sb, "_cell_angle_alpha %.12f\n", angle_deg(L + 3, L + 6));
  mb__sb_printf(sb, "_cell_angle_beta  %.12f\n", angle_deg(L, L + 6));
  mb__sb_printf(sb, "_cell_angle_gamma %.12f\n\n", angle_deg(L, L + 3));
  mb__sb_puts(sb, "_symmetry_space_group_name_H-M 'P 1'\n_symmetry_Int_Tables_number 1\n\n"
                  "loop_\n  _symmetry_equiv_pos_as_xyz\n  'x, y, z'\n\n"
                  "loop_\n  _atom_site_label\n  _atom_site_type_symbol\n"
                  "  _atom_site_fract_x\n  _atom_site_fract_y\n  _atom_site_fract_z\n"
                  "  _atom_site_occupancy\n");
  int seen[119] = {0};
  for (int i = 0; i < s->natoms; i++) {
    const char *sym = "X";
    mb_element_symbol(s->numbers[i], &sym);
    int z = s->numbers[i] >= 1 && s->numbers[i] <= 118 ? s->numbers[i] : 0;
    const double *f = s->frac + 3 * i;
    mb__sb_printf(sb, "  %s%d %-2s %18.15f %18.15f %18.15f 1\n", sym, ++seen[z], sym,
                  sign * f[0] + 0.0, sign * f[1] + 0.0, sign * f[2] + 0.0);
  }
  return MB_OK;
}
