/* migbar info: describe one structure of a file, as text or as one JSON object. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char cmd_info_help[] =
    "Usage: migbar info [OPTION]... FILE\n"
    "\n"
    "Describe the structure in FILE ('-' reads standard input): chemical formula in Hill\n"
    "order and reduced, number of atoms and of each species, lattice vectors, cell lengths\n"
    "and angles, volume, density, space group (spglib), the number of structures in the\n"
    "file when it holds more than one, and a summary of selective-dynamics flags when\n"
    "there are any.\n"
    "\n"
    "Options:\n"
    "  -f, --format F      read FILE as F: poscar, xyz, cif or json (default: from the\n"
    "                      file name, else from the content)\n"
    "  -i, --index N       describe structure N (0-based) of a file holding several\n"
    "                      (XYZ frames, JSON array entries, CIF data blocks); default 0\n"
    "  -s, --symprec TOL   tolerance of the space-group search, Angstrom (default 0.001)\n"
    "      --no-symmetry   skip the space-group search (spglib), whose cost grows about\n"
    "                      as the square of the number of atoms: under a second for\n"
    "                      1,000 atoms, about a minute for a P1 cell of 8,000 (a few\n"
    "                      seconds when the supercell is symmetric); the rest of the\n"
    "                      output takes a fraction of a second even then\n"
    "  -j, --json          print one JSON object instead of text\n"
    "  -h, --help          show this help and exit\n"
    "\n"
    "Examples:\n"
    "  migbar info examples/LiFePO4/POSCAR_initial\n"
    "  migbar info --json --symprec 0.01 NaCl.cif\n"
    "  migbar info --index 2 path.xyz\n"
    "  migbar info --no-symmetry big_supercell.vasp\n"
    "\n"
    "A cell whose density exceeds 30 g/cm^3 or whose volume per atom is under 2 A^3 (no\n"
    "known solid comes near either: a lattice in the wrong units or scale) gets a warning\n"
    "on standard error.\n";

enum { OPT_FORMAT = 1, OPT_INDEX, OPT_SYMPREC, OPT_JSON, OPT_HELP, OPT_NO_SYMMETRY };
static const cli_option options[] = {
    {"format", 'f', 1, OPT_FORMAT}, {"index", 'i', 1, OPT_INDEX},
    {"symprec", 's', 1, OPT_SYMPREC}, {"json", 'j', 0, OPT_JSON},
    {"no-symmetry", 0, 0, OPT_NO_SYMMETRY},
    {"help", 'h', 0, OPT_HELP},     {NULL, 0, 0, 0}};

/* Beyond any solid: osmium, the densest element, is 22.6 g/cm^3; diamond has 5.7 A^3
 * per atom, LiH 4.3. A cell past either is almost surely in the wrong units or scale. */
#define DENSITY_WARN 30.0     /* g/cm^3 */
#define VOLUME_PER_ATOM_WARN 2.0 /* A^3 */

#define MAX_Z 118
#define FORMULA_SIZE 2048 /* 118 species with 10-digit counts fit */

typedef struct species {
  const char *symbol;
  int z, count;
  int rank; /* Hill order: 0 carbon, 1 hydrogen (with carbon), 2 the rest */
} species;

/* Everything info prints, gathered first so text and JSON show the same. */
typedef struct info {
  const char *file;
  mb_format format; /* MB_FORMAT_AUTO when told by the content */
  int index, frames; /* frames = 0: not counted (standard input) */
  int natoms;
  char formula[FORMULA_SIZE], reduced[FORMULA_SIZE];
  species species[MAX_Z];
  int nspecies;
  double lattice[9], length[3], angle[3], volume, density;
  double symprec;
  int symmetry; /* 0: --no-symmetry, the search was not made */
  int sg_number; /* 0 when the search failed or was not made */
  char sg_symbol[32];
  char sg_error[256];
  int has_selective, fixed_coords, fixed_atoms, partly_fixed_atoms;
} info;

static int hill_compare(const void *pa, const void *pb) {
  const species *a = pa, *b = pb;
  if (a->rank != b->rank) return a->rank - b->rank;
  return strcmp(a->symbol, b->symbol);
}

static mb_status count_species(const mb_structure *s, info *in) {
  int counts[MAX_Z + 1] = {0};
  int *z = malloc((size_t)in->natoms * sizeof *z);
  mb_status st = z ? mb_structure_numbers(s, z) : MB_ERR_NOMEM;
  if (st) goto cleanup;
  for (int k = 0; k < in->natoms; k++)
    if (z[k] >= 1 && z[k] <= MAX_Z) counts[z[k]]++;
  in->nspecies = 0;
  for (int e = 1; e <= MAX_Z; e++) {
    if (!counts[e]) continue;
    species *sp = &in->species[in->nspecies++];
    st = mb_element_symbol(e, &sp->symbol);
    if (st) goto cleanup;
    sp->z = e;
    sp->count = counts[e];
    sp->rank = e == 6 ? 0 : (e == 1 && counts[6]) ? 1 : 2;
  }
  qsort(in->species, (size_t)in->nspecies, sizeof in->species[0], hill_compare);
cleanup:
  free(z);
  return st;
}

static mb_status count_selective(const mb_structure *s, info *in) {
  int *flags = malloc(3 * (size_t)in->natoms * sizeof *flags);
  mb_status st = flags ? mb_structure_selective(s, flags, &in->has_selective) : MB_ERR_NOMEM;
  if (st || !in->has_selective) goto cleanup;
  for (int k = 0; k < in->natoms; k++) {
    int fixed = !flags[3 * k] + !flags[3 * k + 1] + !flags[3 * k + 2];
    in->fixed_coords += fixed;
    in->fixed_atoms += fixed == 3;
    in->partly_fixed_atoms += fixed == 1 || fixed == 2;
  }
cleanup:
  free(flags);
  return st;
}

static void cell_parameters(info *in) {
  const double *v = in->lattice;
  for (int i = 0; i < 3; i++)
    in->length[i] = sqrt(v[3 * i] * v[3 * i] + v[3 * i + 1] * v[3 * i + 1] +
                         v[3 * i + 2] * v[3 * i + 2]);
  /* alpha is the angle between b and c, beta between a and c, gamma between a and b. */
  static const int pair[3][2] = {{1, 2}, {0, 2}, {0, 1}};
  for (int k = 0; k < 3; k++) {
    int i = pair[k][0], j = pair[k][1];
    double dot = v[3 * i] * v[3 * j] + v[3 * i + 1] * v[3 * j + 1] + v[3 * i + 2] * v[3 * j + 2];
    double c = dot / (in->length[i] * in->length[j]);
    in->angle[k] = acos(c > 1 ? 1 : c < -1 ? -1 : c) * 180.0 / M_PI;
  }
}

/* Fill in everything but file/format/index/frames/symprec. */
static mb_status describe(const mb_structure *s, info *in) {
  mb_status st;
  if ((st = mb_structure_natoms(s, &in->natoms)) ||
      (st = mb_structure_formula(s, 0, in->formula, sizeof in->formula)) ||
      (st = mb_structure_formula(s, 1, in->reduced, sizeof in->reduced)) ||
      (st = mb_structure_lattice(s, in->lattice)) ||
      (st = mb_structure_volume(s, &in->volume)) ||
      (st = mb_structure_density(s, &in->density)) || (st = count_species(s, in)) ||
      (st = count_selective(s, in)))
    return st;
  cell_parameters(in);
  /* A failed symmetry search is reported, not fatal: the rest is still useful. */
  if (in->symmetry && mb_structure_spacegroup(s, in->symprec, &in->sg_number, in->sg_symbol,
                              sizeof in->sg_symbol) != MB_OK) {
    in->sg_number = 0;
    snprintf(in->sg_error, sizeof in->sg_error, "%s", mb_last_error());
    mb_clear_error();
  }
  return MB_OK;
}

static void print_text(const info *in) {
  printf("file:          %s\n", in->file);
  if (in->format != MB_FORMAT_AUTO) printf("format:        %s\n", cli_format_name(in->format));
  if (in->frames > 1)
    printf("structures:    %d in the file, this is number %d\n", in->frames, in->index);
  else if (in->index > 0)
    printf("structure:     number %d\n", in->index);
  printf("formula:       %s (reduced %s)\n", in->formula, in->reduced);
  printf("atoms:         %d\n", in->natoms);
  printf("species:      ");
  for (int k = 0; k < in->nspecies; k++)
    printf(" %s %d%s", in->species[k].symbol, in->species[k].count,
           k + 1 < in->nspecies ? "," : "\n");
  for (int i = 0; i < 3; i++)
    printf("%s %14.8f %14.8f %14.8f\n", i == 0 ? "lattice (A):  " : "              ",
           in->lattice[3 * i], in->lattice[3 * i + 1], in->lattice[3 * i + 2]);
  printf("cell (A):      a %.6f  b %.6f  c %.6f\n", in->length[0], in->length[1],
         in->length[2]);
  printf("angles (deg):  alpha %.4f  beta %.4f  gamma %.4f\n", in->angle[0], in->angle[1],
         in->angle[2]);
  printf("volume:        %.6f A^3\n", in->volume);
  printf("density:       %.6f g/cm^3\n", in->density);
  if (!in->symmetry)
    printf("space group:   not searched (--no-symmetry)\n");
  else if (in->sg_number)
    printf("space group:   %s (%d), symprec %g A\n", in->sg_symbol, in->sg_number, in->symprec);
  else
    printf("space group:   not found (%s), symprec %g A\n", in->sg_error, in->symprec);
  if (in->has_selective)
    printf("selective dynamics: %d of %d coordinates fixed; %d atoms fixed, %d partly fixed, "
           "%d free\n",
           in->fixed_coords, 3 * in->natoms, in->fixed_atoms, in->partly_fixed_atoms,
           in->natoms - in->fixed_atoms - in->partly_fixed_atoms);
}

static void print_json(const info *in) {
  FILE *f = stdout;
  fputs("{\"file\": ", f);
  cli_json_string(f, in->file);
  fputs(", \"format\": ", f);
  if (in->format != MB_FORMAT_AUTO)
    cli_json_string(f, cli_format_name(in->format));
  else
    fputs("null", f);
  fprintf(f, ", \"index\": %d, \"frames\": ", in->index);
  if (in->frames > 0)
    fprintf(f, "%d", in->frames);
  else
    fputs("null", f);
  fputs(", \"formula\": ", f);
  cli_json_string(f, in->formula);
  fputs(", \"reduced_formula\": ", f);
  cli_json_string(f, in->reduced);
  fprintf(f, ", \"natoms\": %d, \"species\": {", in->natoms);
  for (int k = 0; k < in->nspecies; k++) {
    cli_json_string(f, in->species[k].symbol);
    fprintf(f, ": %d%s", in->species[k].count, k + 1 < in->nspecies ? ", " : "");
  }
  fputs("}, \"lattice\": [", f);
  for (int i = 0; i < 3; i++) {
    fputc('[', f);
    for (int k = 0; k < 3; k++) {
      cli_json_number(f, in->lattice[3 * i + k]);
      fputs(k < 2 ? ", " : "]", f);
    }
    fputs(i < 2 ? ", " : "]", f);
  }
  static const char *const names[6] = {"a", "b", "c", "alpha", "beta", "gamma"};
  fputs(", \"cell_parameters\": {", f);
  for (int k = 0; k < 6; k++) {
    fprintf(f, "\"%s\": ", names[k]);
    cli_json_number(f, k < 3 ? in->length[k] : in->angle[k - 3]);
    fputs(k < 5 ? ", " : "}", f);
  }
  fputs(", \"volume\": ", f);
  cli_json_number(f, in->volume);
  fputs(", \"density\": ", f);
  cli_json_number(f, in->density);
  fputs(", \"symprec\": ", f);
  cli_json_number(f, in->symprec);
  fprintf(f, ", \"symmetry_searched\": %s", in->symmetry ? "true" : "false");
  fputs(", \"spacegroup\": ", f);
  if (in->sg_number) {
    fprintf(f, "{\"number\": %d, \"symbol\": ", in->sg_number);
    cli_json_string(f, in->sg_symbol);
    fputc('}', f);
  } else {
    fputs("null", f);
  }
  fputs(", \"selective_dynamics\": ", f);
  if (in->has_selective)
    fprintf(f, "{\"fixed_coordinates\": %d, \"fixed_atoms\": %d, \"partly_fixed_atoms\": %d}",
            in->fixed_coords, in->fixed_atoms, in->partly_fixed_atoms);
  else
    fputs("null", f);
  fputs("}\n", f);
}

/* A warning on stderr for a cell no solid could have (a lattice in bohr read as
 * Angstrom, a scale factor lost): the numbers are still printed. */
static void warn_implausible(const info *in) {
  double per_atom = in->volume / in->natoms;
  if (in->density > DENSITY_WARN || per_atom < VOLUME_PER_ATOM_WARN)
    fprintf(stderr, "migbar: warning: %s: density %.4g g/cm^3, %.4g A^3 per atom: no known "
            "solid is denser than %g g/cm^3 or has under %g A^3 per atom; check the lattice "
            "(units, scale factor)\n", in->file, in->density, per_atom, DENSITY_WARN,
            VOLUME_PER_ATOM_WARN);
}

int cmd_info(int argc, char **argv) {
  static const char cmd[] = "info";
  cli_parser p;
  const char *value, *file = NULL;
  int id, json = 0, rc;
  info *in = calloc(1, sizeof *in);
  mb_structure *s = NULL;
  if (!in) return cli_fail(cmd, MB_ERR_NOMEM);
  in->format = MB_FORMAT_AUTO;
  in->symprec = 1e-3;
  in->symmetry = 1;
  cli_parser_init(&p, cmd, options, argc, argv);
  while ((id = cli_next(&p, &value)) != CLI_DONE) {
    rc = CLI_EXIT_USAGE;
    switch (id) {
    case CLI_BAD: goto cleanup;
    case OPT_HELP: rc = cli_help(cmd_info_help); goto cleanup;
    case OPT_FORMAT:
      if (cli_parse_format(cmd, "--format", value, &in->format)) goto cleanup;
      break;
    case OPT_INDEX:
      if (cli_parse_index(cmd, "--index", value, &in->index)) goto cleanup;
      break;
    case OPT_SYMPREC:
      if (cli_parse_positive(cmd, "--symprec", value, &in->symprec)) goto cleanup;
      break;
    case OPT_JSON: json = 1; break;
    case OPT_NO_SYMMETRY: in->symmetry = 0; break;
    default: /* CLI_POSITIONAL */
      if (file) {
        cli_usage_error(cmd, "unexpected argument '%s' (info reads one FILE)", value);
        goto cleanup;
      }
      file = value;
    }
  }
  rc = CLI_EXIT_USAGE;
  if (!file) {
    cli_usage_error(cmd, "no FILE given");
    goto cleanup;
  }
  in->file = file;
  rc = CLI_EXIT_FAIL;
  mb_status st = cli_read(file, in->format, in->index, &s);
  if (!st && strcmp(file, "-") != 0) {
    if (in->format == MB_FORMAT_AUTO && mb_format_from_path(file, &in->format) != MB_OK)
      in->format = MB_FORMAT_AUTO; /* the reader went by the content */
    st = mb_structure_count_frames(file, in->format, &in->frames);
  }
  if (!st) st = describe(s, in);
  if (st) {
    cli_fail(cmd, st);
    goto cleanup;
  }
  mb_clear_error();
  warn_implausible(in);
  if (json)
    print_json(in);
  else
    print_text(in);
  rc = CLI_EXIT_OK;
cleanup:
  mb_structure_free(s);
  free(in);
  return rc;
}
