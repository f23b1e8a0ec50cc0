/* migbar dft: the plane-wave DFT energy and forces of one structure (mb_dft), and the
 * DFT options shared with `migbar neb --potential dft` (cli_dft_*). */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

const char cmd_dft_help[] =
    "Usage: migbar dft STRUCTURE --ecut EV --kpts AxBxC --functional F [OPTION]...\n"
    "\n"
    "Kohn-Sham ground state of STRUCTURE by plane waves and norm-conserving\n"
    "pseudopotentials (numbers as ABINIT 9.6 gives them on the same inputs). One line per\n"
    "SCF step goes to stderr; then the energy, the free energy (eV) and the forces\n"
    "(eV/A) to stdout.\n"
    "\n"
    "DFT options (also those of 'migbar neb --potential dft'):\n"
    "      --ecut EV          plane-wave cutoff, eV (required)\n"
    "      --ecut-rho EV      cutoff of the density grid, eV (QE's ecutrho; default\n"
    "                         4 x --ecut, the smallest box without aliasing): more\n"
    "                         makes the exchange-correlation grid finer, as SCAN needs\n"
    "      --kpts AxBxC       Monkhorst-Pack grid (required; N for NxNxN)\n"
    "      --kshift SX,SY,SZ  grid shift, each 0 or 0.5 (default 0,0,0: Gamma-centred)\n"
    "      --functional F     LDA (PW92), PBE, PBEsol, any libxc LDA or GGA by name or\n"
    "                         ids joined by '+' (gga_x_rpbe+gga_c_pbe), or auto: the\n"
    "                         pseudopotentials' own (required)\n"
    "      --smearing S       fermi-dirac, gaussian or mv (Marzari-Vanderbilt cold\n"
    "                         smearing), optionally :WIDTH in eV (default width 0.1), or\n"
    "                         none (fixed occupations, the default)\n"
    "      --charge Q         net charge of the cell, e (+1: one electron fewer),\n"
    "                         compensated by a uniform background (default 0)\n"
    "      --spin             collinear spin polarisation (ABINIT nsppol 2)\n"
    "      --magmom LIST      starting moments per atom, mu_B, comma-separated, N*V for\n"
    "                         N atoms of V (as VASP's MAGMOM: 2*3,4*0); implies --spin\n"
    "      --moment M         hold the total moment at M mu_B, a Fermi level per spin\n"
    "                         (ABINIT spinmagntarget); implies --spin\n"
    "      --hubbard EL:L:U   DFT+U (Dudarev) on element EL's shell L (s, p, d or f),\n"
    "                         U_eff in eV, e.g. Co:d:3.3; repeatable. Projected on the\n"
    "                         pseudo-atomic orbitals of UPF files (QE's 'atomic'), so\n"
    "                         EL needs a UPF --pseudo; not with --functional auto\n"
    "      --pseudo EL=FILE   pseudopotential file (psp8, HGH or UPF) of element EL;\n"
    "                         repeatable\n"
    "      --pseudo-dir DIR   where to look for the others by element (default\n"
    "                         /usr/share/abinit/psp: PseudoDojo PBE psp8, else HGH)\n"
    "      --scf-tol EV       converged when the energy changes less than EV (1e-6)\n"
    "      --max-scf N        SCF steps before giving up (default 100)\n"
    "      --extra-bands N    bands beyond the occupied ones (default 0, with smearing\n"
    "                         20 % more and at least 4)\n"
    "      --threads N        threads over k-points and spins, those left over\n"
    "                         sharing each one's work, as on a Gamma-only cell (0 =\n"
    "                         one per core; default 1; the same result on any)\n"
    "                         (in 'migbar neb': --dft-threads)\n"
    "Output:\n"
    "      --format F         read STRUCTURE as F: poscar, xyz, cif or json\n"
    "      --sphere-radius R  with spin, the moment of each atom is integrated within R\n"
    "                         A (default 1.0584 = 2 Bohr, ABINIT's ratsph)\n"
    "  -q, --quiet            no SCF lines (warnings still)\n"
    "  -j, --json             one JSON object on the last line of stdout:\n"
    "                         {\"energy\": eV, \"free_energy\": eV, \"forces\": [[eV/A,\n"
    "                         ...], ...], \"converged\": bool, \"scf_steps\": n,\n"
    "                         \"residual\": r, \"fermi_level\": eV; with spin also\n"
    "                         \"magnetization\": mu_B, \"abs_magnetization\": mu_B,\n"
    "                         \"atomic_moments\": [mu_B, ...]; with --hubbard\n"
    "                         \"hubbard_energy\": eV and \"hubbard\": [{\"atom\": i,\n"
    "                         \"element\", \"shell\", \"electrons\", \"occupations\":\n"
    "                         per spin channel the (2l+1)^2 matrix}, ...]}\n"
    "  -h, --help             show this help and exit\n"
    "\n"
    "Example:\n"
    "  migbar dft Si.vasp --ecut 300 --kpts 4x4x4 --kshift 0.5,0.5,0.5 --functional PBE\n"
    "\n"
    "Besides the statuses below, dft exits with 3 when the SCF did not converge within\n"
    "--max-scf steps: the message gives the density residual, and with --json the\n"
    "object has \"converged\": false and null energies and forces.\n";

/* ---- the options shared with neb ------------------------------------------- */

void cli_dft_init(cli_dft_request *r) {
  memset(r, 0, sizeof *r);
  r->xc = -1;
  r->smearing = MB_SMEARING_NONE;
  r->width = 0.1;
  r->threads = r->max_scf = r->extra_bands = -1;
}

static int parse_count(const char *cmd, const char *option, const char *text, int lo, int *v) {
  char *end;
  errno = 0;
  long x = strtol(text, &end, 10);
  if (end == text || *end != '\0' || errno || x < lo || x > INT_MAX)
    return cli_usage_error(cmd, "%s expects an integer >= %d, not '%s'", option, lo, text);
  *v = (int)x;
  return 0;
}

static int parse_shift(const char *cmd, const char *text, double shift[3]) {
  const char *s = text;
  for (int j = 0; j < 3; j++) {
    char *end;
    double v = strtod(s, &end);
    if (end == s || (v != 0 && v != 0.5) || (j < 2 && *end != ',') || (j == 2 && *end))
      return cli_usage_error(cmd, "--kshift expects SX,SY,SZ with each 0 or 0.5, not '%s'",
                             text);
    shift[j] = v;
    s = end + 1;
  }
  return 0;
}

/* KIND[:WIDTH_EV], KIND one of the library's smearing names (mb_name_find) */
static int parse_smearing(const char *cmd, const char *text, cli_dft_request *r) {
  const char *colon = strchr(text, ':');
  size_t len = colon ? (size_t)(colon - text) : strlen(text);
  char kind[32];
  int value;
  if (len >= sizeof kind) len = sizeof kind - 1;
  memcpy(kind, text, len);
  kind[len] = 0;
  if (mb_name_find(MB_NAMES_SMEARING, kind, &value))
    return cli_usage_error(cmd, "--smearing: %s (optionally :WIDTH_EV)", mb_last_error());
  r->smearing = (mb_smearing)value;
  if (colon) {
    char *end;
    double w = strtod(colon + 1, &end);
    if (value == MB_SMEARING_NONE || end == colon + 1 || *end || !(w > 0 && w <= 10))
      return cli_usage_error(cmd, "--smearing: the width in '%s' must be a number of eV "
                             "in (0, 10] after a smearing kind", text);
    r->width = w;
  }
  return 0;
}

/* --magmom "2*3,4*0,1.5" (VASP's MAGMOM syntax, commas) into r->magmom. */
static int parse_magmom(const char *cmd, const char *text, cli_dft_request *r) {
  const char *p = text;
  r->nmagmom = 0;
  r->spin = 1;
  while (*p) {
    char *end;
    double v = strtod(p, &end);
    long count = 1;
    if (end != p && *end == '*') { /* N*V */
      if (v != floor(v) || v < 1 || v > CLI_DFT_MAX_MAGMOM)
        return cli_usage_error(cmd, "--magmom: in '%s' a repeat count must be an integer in "
                               "1..%d", text, CLI_DFT_MAX_MAGMOM);
      count = (long)v;
      p = end + 1;
      v = strtod(p, &end);
    }
    if (end == p || (*end && *end != ',') || !isfinite(v))
      return cli_usage_error(cmd, "--magmom expects moments (mu_B) per atom, each V or N*V, "
                             "comma-separated (2*3,4*0), not '%s'", text);
    for (long k = 0; k < count; k++) {
      if (r->nmagmom == CLI_DFT_MAX_MAGMOM)
        return cli_usage_error(cmd, "--magmom: more than %d values", CLI_DFT_MAX_MAGMOM);
      r->magmom[r->nmagmom++] = v;
    }
    p = *end ? end + 1 : end;
  }
  if (r->nmagmom == 0) return cli_usage_error(cmd, "--magmom: no values in '%s'", text);
  return 0;
}

int cli_dft_check_atoms(const char *cmd, const cli_dft_request *r, int natoms) {
  if (r->nmagmom && r->nmagmom != natoms)
    return cli_usage_error(cmd, "--magmom gives %d moments for %d atoms", r->nmagmom, natoms);
  return 0;
}

/* EL:L:U (a chemical symbol, s/p/d/f, U_eff in [0, 20] eV): 0, or -1 when malformed. */
static int parse_hubbard(const char *text, char el[8], char *l, double *u) {
  const char *c1 = strchr(text, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
  int z;
  if (!c1 || !c2 || c1 == text || (size_t)(c1 - text) >= 8 || c2 != c1 + 2) return -1;
  memcpy(el, text, (size_t)(c1 - text));
  el[c1 - text] = '\0';
  *l = c1[1];
  if (mb_element_number(el, &z) != MB_OK || !strchr("spdf", *l) || !*l) return -1;
  char *end;
  *u = strtod(c2 + 1, &end);
  return end == c2 + 1 || *end || !(*u >= 0 && *u <= 20) ? -1 : 0;
}

int cli_dft_take(const char *cmd, const char *name, const char *value, cli_dft_request *r) {
  double x;
  if (strcmp(name, "ecut") == 0) {
    if (cli_parse_positive(cmd, "--ecut", value, &r->ecut)) return CLI_EXIT_USAGE;
    r->has_ecut = 1;
    return 0;
  }
  if (strcmp(name, "ecut-rho") == 0)
    return cli_parse_positive(cmd, "--ecut-rho", value, &r->ecut_rho) ? CLI_EXIT_USAGE : 0;
  if (strcmp(name, "kpts") == 0) {
    if (cli_parse_supercell(cmd, "--kpts", value, r->kpts)) return CLI_EXIT_USAGE;
    r->has_kpts = 1;
    return 0;
  }
  if (strcmp(name, "kshift") == 0) return parse_shift(cmd, value, r->kshift);
  if (strcmp(name, "functional") == 0) {
    int xc;
    if (mb_name_find(MB_NAMES_XC, value, &xc) == MB_OK) {
      r->xc = (mb_xc)xc;
      r->xc_name = NULL;
      return 0;
    }
    mb_functional *f = NULL; /* any other functional by name, checked now */
    if (mb_functional_create(value, &f))
      return cli_usage_error(cmd, "--functional: %s", mb_last_error());
    mb_functional_free(f);
    r->xc = -2;
    r->xc_name = value;
    return 0;
  }
  if (strcmp(name, "smearing") == 0) return parse_smearing(cmd, value, r);
  if (strcmp(name, "pseudo") == 0) {
    const char *eq = strchr(value, '=');
    int z;
    char el[8];
    size_t len = eq ? (size_t)(eq - value) : 0;
    if (!eq || len == 0 || len >= sizeof el || !eq[1])
      return cli_usage_error(cmd, "--pseudo expects EL=FILE (e.g. Si=Si.psp8), not '%s'", value);
    memcpy(el, value, len);
    el[len] = '\0';
    if (mb_element_number(el, &z) != MB_OK)
      return cli_usage_error(cmd, "--pseudo: '%s' is not a chemical symbol", el);
    if (r->npseudo == CLI_DFT_MAX_PSEUDO)
      return cli_usage_error(cmd, "--pseudo: at most %d elements", CLI_DFT_MAX_PSEUDO);
    r->pseudo[r->npseudo++] = value;
    return 0;
  }
  if (strcmp(name, "pseudo-dir") == 0) {
    r->pseudo_dir = value;
    return 0;
  }
  if (strcmp(name, "scf-tol") == 0) {
    if (cli_parse_positive(cmd, "--scf-tol", value, &x)) return CLI_EXIT_USAGE;
    r->scf_tol = x;
    return 0;
  }
  if (strcmp(name, "max-scf") == 0) return parse_count(cmd, "--max-scf", value, 1, &r->max_scf);
  if (strcmp(name, "extra-bands") == 0)
    return parse_count(cmd, "--extra-bands", value, 0, &r->extra_bands);
  if (strcmp(name, "threads") == 0 || strcmp(name, "dft-threads") == 0)
    return parse_count(cmd, "--threads", value, 0, &r->threads);
  if (strcmp(name, "spin") == 0) {
    r->spin = 1;
    return 0;
  }
  if (strcmp(name, "magmom") == 0) return parse_magmom(cmd, value, r);
  if (strcmp(name, "moment") == 0) {
    char *end;
    r->moment = strtod(value, &end);
    if (end == value || *end || !isfinite(r->moment))
      return cli_usage_error(cmd, "--moment expects a number of mu_B, not '%s'", value);
    r->spin = r->fix_moment = 1;
    return 0;
  }
  if (strcmp(name, "hubbard") == 0) {
    char el[8], l;
    double u;
    if (parse_hubbard(value, el, &l, &u))
      return cli_usage_error(cmd, "--hubbard expects EL:L:U_EV with L one of s, p, d, f and "
                             "U_EV in [0, 20] (e.g. Co:d:3.3), not '%s'", value);
    if (r->nhubbard == CLI_DFT_MAX_HUBBARD)
      return cli_usage_error(cmd, "--hubbard: at most %d shells", CLI_DFT_MAX_HUBBARD);
    r->hubbard[r->nhubbard++] = value;
    return 0;
  }
  if (strcmp(name, "charge") == 0) {
    char *end;
    r->charge = strtod(value, &end);
    if (end == value || *end || !isfinite(r->charge))
      return cli_usage_error(cmd, "--charge expects a number of electrons' charge (e), not "
                             "'%s'", value);
    return 0;
  }
  return -1;
}

int cli_dft_check(const char *cmd, const cli_dft_request *r) {
  if (!r->has_ecut) return cli_usage_error(cmd, "give the plane-wave cutoff with --ecut EV");
  if (!r->has_kpts) return cli_usage_error(cmd, "give the k-point grid with --kpts AxBxC");
  if (r->xc == -1) return cli_usage_error(cmd, "give --functional LDA, PBE, PBEsol, ... or auto");
  if (r->nhubbard && r->xc == MB_XC_AUTO)
    return cli_usage_error(cmd, "--hubbard goes with a named functional (--functional PBE, "
                           "LDA, PBEsol, ...), not auto");
  return 0;
}

mb_status cli_dft_make(const cli_dft_request *r, const mb_structure *s, mb_dft **out) {
  mb_dft *d = NULL;
  mb_status st = mb_dft_create(s, &d);
  if (!st) st = mb_dft_set_option(d, MB_DFT_ECUT, r->ecut);
  if (!st && r->ecut_rho > 0) st = mb_dft_set_option(d, MB_DFT_ECUT_RHO, r->ecut_rho);
  if (!st) st = mb_dft_set_kpoints(d, r->kpts, r->kshift);
  if (!st && (r->xc_name || r->nhubbard)) { /* a functional handle, with the U values */
    mb_functional *f = NULL;
    st = mb_functional_create(r->xc_name ? r->xc_name : r->xc == MB_XC_LDA ? "LDA" : "PBE", &f);
    for (int k = 0; k < r->nhubbard && !st; k++) {
      char el[8], l;
      double u;
      parse_hubbard(r->hubbard[k], el, &l, &u);
      st = mb_functional_set_hubbard(f, el, (int)(strchr("spdf", l) - "spdf"), u);
    }
    if (!st) st = mb_dft_set_xc_functional(d, f);
    mb_functional_free(f);
  } else if (!st) {
    st = mb_dft_set_functional(d, (mb_xc)r->xc);
  }
  if (!st) st = mb_dft_set_smearing(d, (mb_smearing)r->smearing, r->width);
  if (!st && r->scf_tol > 0) st = mb_dft_set_option(d, MB_DFT_SCF_TOL, r->scf_tol);
  if (!st && r->max_scf > 0) st = mb_dft_set_option(d, MB_DFT_MAX_SCF, r->max_scf);
  if (!st && r->extra_bands >= 0) st = mb_dft_set_option(d, MB_DFT_EXTRA_BANDS, r->extra_bands);
  if (!st && r->threads >= 0) st = mb_dft_set_option(d, MB_DFT_THREADS, r->threads);
  if (!st && r->pseudo_dir) st = mb_dft_set_pseudo_dir(d, r->pseudo_dir);
  if (!st && r->charge != 0) st = mb_dft_set_option(d, MB_DFT_CHARGE, r->charge);
  if (!st && r->spin) st = mb_dft_set_option(d, MB_DFT_SPIN, 1);
  if (!st && r->fix_moment) st = mb_dft_set_option(d, MB_DFT_FIX_MOMENT, 1);
  if (!st && r->fix_moment) st = mb_dft_set_option(d, MB_DFT_MOMENT, r->moment);
  if (!st && r->nmagmom) st = mb_dft_set_magnetic_moments(d, r->magmom);
  for (int k = 0; k < r->npseudo && !st; k++) {
    const char *eq = strchr(r->pseudo[k], '=');
    char el[8];
    memcpy(el, r->pseudo[k], (size_t)(eq - r->pseudo[k]));
    el[eq - r->pseudo[k]] = '\0';
    st = mb_dft_set_pseudo(d, el, eq + 1);
  }
  if (st) {
    mb_dft_free(d);
    return st;
  }
  *out = d;
  return MB_OK;
}

void cli_dft_print_hubbard(FILE *out, const cli_dft_request *r, const mb_dft *d,
                           const mb_structure *s, int json) {
  double eu = NAN, n[2 * 49];
  int natoms = 0, first = 1;
  if (!r->nhubbard) return;
  mb_dft_hubbard_energy(d, &eu);
  mb_structure_natoms(s, &natoms);
  if (json) {
    fputs(", \"hubbard_energy\": ", out);
    cli_json_number(out, eu);
    fputs(", \"hubbard\": [", out);
  } else {
    fprintf(out, "hubbard energy: %.8f eV\n", eu);
  }
  for (int a = 0; a < natoms; a++)
    for (int l = 0; l <= 3; l++) {
      int nspin = 0, dim = 2 * l + 1;
      if (mb_dft_hubbard_occupation(d, a, l, &nspin, n) || !nspin) continue;
      const char *sym = "?";
      mb_structure_symbol(s, a, &sym);
      double tr = 0;
      for (int sp = 0; sp < nspin; sp++)
        for (int i = 0; i < dim; i++) tr += n[sp * dim * dim + i * (dim + 1)];
      if (nspin == 1) tr *= 2; /* each spin holds the matrix */
      if (!json) {
        if (first) fputs("hubbard shells (electrons in the projected shell):\n", out);
        fprintf(out, "  %4d %-3s %c %12.8f\n", a, sym, "spdf"[l], tr);
        first = 0;
        continue;
      }
      fprintf(out, "%s{\"atom\": %d, \"element\": ", first ? "" : ", ", a);
      cli_json_string(out, sym);
      fprintf(out, ", \"shell\": \"%c\", \"electrons\": ", "spdf"[l]);
      cli_json_number(out, tr);
      fputs(", \"occupations\": [", out);
      for (int sp = 0; sp < nspin; sp++) {
        fputs(sp ? ", [" : "[", out);
        for (int i = 0; i < dim; i++) {
          fputs(i ? ", [" : "[", out);
          for (int j = 0; j < dim; j++) {
            if (j) fputs(", ", out);
            cli_json_number(out, n[sp * dim * dim + i * dim + j]);
          }
          fputc(']', out);
        }
        fputc(']', out);
      }
      fputs("]}", out);
      first = 0;
    }
  if (json) fputc(']', out);
}

/* ---- migbar dft ------------------------------------------------------------- */

enum { OPT_FORMAT = 1, OPT_QUIET, OPT_JSON, OPT_HELP, OPT_SPHERE, OPT_DFT };
static const cli_option options[] = {
    {"format", 0, 1, OPT_FORMAT},       {"quiet", 'q', 0, OPT_QUIET},
    {"json", 'j', 0, OPT_JSON},         {"help", 'h', 0, OPT_HELP},
    {"sphere-radius", 0, 1, OPT_SPHERE},
    {"ecut", 0, 1, OPT_DFT + 0},        {"kpts", 'k', 1, OPT_DFT + 1},
    {"kshift", 0, 1, OPT_DFT + 2},      {"functional", 0, 1, OPT_DFT + 3},
    {"smearing", 0, 1, OPT_DFT + 4},    {"pseudo", 0, 1, OPT_DFT + 5},
    {"pseudo-dir", 0, 1, OPT_DFT + 6},  {"scf-tol", 0, 1, OPT_DFT + 7},
    {"max-scf", 0, 1, OPT_DFT + 8},     {"extra-bands", 0, 1, OPT_DFT + 9},
    {"threads", 0, 1, OPT_DFT + 10},    {"charge", 0, 1, OPT_DFT + 11},
    {"spin", 0, 0, OPT_DFT + 12},       {"magmom", 0, 1, OPT_DFT + 13},
    {"moment", 0, 1, OPT_DFT + 14},     {"hubbard", 0, 1, OPT_DFT + 15},
    {"ecut-rho", 0, 1, OPT_DFT + 16},
    {NULL, 0, 0, 0}};

/* user: --quiet (int); it keeps the warnings and drops the progress lines */
static void log_line(mb_log_level level, const char *message, void *user) {
  if (*(const int *)user && level > MB_LOG_WARNING) return;
  fprintf(stderr, "%s\n", message);
}

static void print_json(int natoms, const double *e, const double *f, const double *forces,
                       int converged, int steps, double residual, double fermi,
                       const double *mag, const double *moments, const cli_dft_request *req,
                       const mb_dft *d, const mb_structure *s) {
  fputs("{\"energy\": ", stdout);
  cli_json_number(stdout, e ? *e : NAN);
  fputs(", \"free_energy\": ", stdout);
  cli_json_number(stdout, f ? *f : NAN);
  fputs(", \"forces\": ", stdout);
  if (!forces) {
    fputs("null", stdout);
  } else {
    putchar('[');
    for (int a = 0; a < natoms; a++) {
      printf("%s[", a ? ", " : "");
      for (int k = 0; k < 3; k++) {
        if (k) fputs(", ", stdout);
        cli_json_number(stdout, forces[3 * a + k]);
      }
      putchar(']');
    }
    putchar(']');
  }
  printf(", \"converged\": %s, \"scf_steps\": %d, \"residual\": ", converged ? "true" : "false",
         steps);
  cli_json_number(stdout, residual);
  fputs(", \"fermi_level\": ", stdout);
  cli_json_number(stdout, fermi);
  if (mag) {
    fputs(", \"magnetization\": ", stdout);
    cli_json_number(stdout, mag[0]);
    fputs(", \"abs_magnetization\": ", stdout);
    cli_json_number(stdout, mag[1]);
  }
  if (moments) {
    fputs(", \"atomic_moments\": [", stdout);
    for (int a = 0; a < natoms; a++) {
      if (a) fputs(", ", stdout);
      cli_json_number(stdout, moments[a]);
    }
    putchar(']');
  }
  if (e) cli_dft_print_hubbard(stdout, req, d, s, 1);
  fputs("}\n", stdout);
}

int cmd_dft(int argc, char **argv) {
  static const char cmd[] = "dft";
  cli_dft_request req;
  cli_parser p;
  const char *value, *path = NULL;
  mb_format format = MB_FORMAT_AUTO;
  int id, quiet = 0, json = 0, rc;
  double sphere = 2 * 0.529177210903; /* ABINIT's default ratsph, 2 Bohr (CODATA 2018) */
  cli_dft_init(&req);
  cli_parser_init(&p, cmd, options, argc, argv);
  while ((id = cli_next(&p, &value)) != CLI_DONE) {
    switch (id) {
    case CLI_BAD: return CLI_EXIT_USAGE;
    case OPT_HELP: return cli_help(cmd_dft_help);
    case OPT_FORMAT:
      if (cli_parse_format(cmd, "--format", value, &format)) return CLI_EXIT_USAGE;
      break;
    case OPT_QUIET: quiet = 1; break;
    case OPT_JSON: json = 1; break;
    case OPT_SPHERE:
      if (cli_parse_positive(cmd, "--sphere-radius", value, &sphere)) return CLI_EXIT_USAGE;
      if (sphere > 10) return cli_usage_error(cmd, "--sphere-radius %g A is beyond 10 A", sphere);
      break;
    case CLI_POSITIONAL:
      if (path) return cli_usage_error(cmd, "one structure only ('%s' and '%s')", path, value);
      path = value;
      break;
    default:
      if ((rc = cli_dft_take(cmd, options[id - 1].name, value, &req))) return CLI_EXIT_USAGE;
    }
  }
  if (!path) return cli_usage_error(cmd, "give the structure file (or - for stdin)");
  if ((rc = cli_dft_check(cmd, &req))) return rc;

  mb_structure *s = NULL;
  mb_dft *d = NULL;
  double *forces = NULL, e = NAN, f = NAN, residual = NAN, fermi = NAN;
  int natoms = 0, steps = 0, converged = 0;
  mb_status st;
  rc = CLI_EXIT_FAIL;
  if ((st = cli_read(path, format, 0, &s)) || (st = mb_structure_natoms(s, &natoms))) {
    cli_fail(cmd, st);
    goto cleanup;
  }
  if (cli_dft_check_atoms(cmd, &req, natoms)) {
    rc = CLI_EXIT_USAGE;
    goto cleanup;
  }
  if ((st = cli_dft_make(&req, s, &d)) ||
      (st = mb_dft_set_log(d, log_line, &quiet))) {
    cli_fail(cmd, st);
    goto cleanup;
  }
  if (!(forces = calloc(3 * (size_t)natoms, sizeof *forces))) {
    cli_error(cmd, "out of memory");
    goto cleanup;
  }
  st = mb_dft_compute(d, &e, &f, forces);
  if (st != MB_OK && st != MB_ERR_NOT_CONVERGED) {
    cli_fail(cmd, st);
    goto cleanup;
  }
  if (st == MB_ERR_NOT_CONVERGED) {
    fprintf(stderr, "migbar %s: not converged: %s\n", cmd, mb_last_error());
    mb_dft_scf_report(d, &steps, &residual, &fermi, &converged);
    if (json) print_json(natoms, NULL, NULL, NULL, 0, steps, residual, fermi, NULL, NULL, &req,
                         d, s);
    rc = CLI_EXIT_NOT_CONVERGED;
    goto cleanup;
  }
  mb_dft_scf_report(d, &steps, &residual, &fermi, &converged);
  double mag[2] = {0, 0};
  mb_dft_magnetization(d, mag, mag + 1);
  double *moments = req.spin ? calloc((size_t)natoms, sizeof *moments) : NULL;
  if (moments && (st = mb_dft_atomic_spheres(d, sphere, NULL, moments))) {
    cli_fail(cmd, st);
    free(moments);
    goto cleanup;
  }
  if (json) {
    print_json(natoms, &e, &f, forces, 1, steps, residual, fermi, req.spin ? mag : NULL,
               moments, &req, d, s);
  } else {
    printf("energy:       %.8f eV\n", e);
    printf("free energy:  %.8f eV\n", f);
    printf("fermi level:  %.6f eV\n", fermi);
    if (req.spin)
      printf("magnetization: %.6f mu_B (absolute %.6f)\n", mag[0], mag[1]);
    printf("scf steps:    %d (density residual %.2e)\n", steps, residual);
    cli_dft_print_hubbard(stdout, &req, d, s, 0);
    printf("forces (eV/A):\n");
    for (int a = 0; a < natoms; a++) {
      const char *sym = "?";
      mb_structure_symbol(s, a, &sym);
      printf("  %4d %-3s %14.8f %14.8f %14.8f\n", a, sym, forces[3 * a], forces[3 * a + 1],
             forces[3 * a + 2]);
    }
    if (moments) {
      printf("atomic moments (mu_B, spheres of %.4f A):\n", sphere);
      for (int a = 0; a < natoms; a++) {
        const char *sym = "?";
        mb_structure_symbol(s, a, &sym);
        printf("  %4d %-3s %10.6f\n", a, sym, moments[a]);
      }
    }
  }
  free(moments);
  rc = CLI_EXIT_OK;
cleanup:
  free(forces);
  mb_dft_free(d);
  mb_structure_free(s);
  return rc;
}
