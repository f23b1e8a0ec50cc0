/* migbar neb: a climbing-image NEB run between two structures over a built-in
 * potential, with checkpoints (every N steps and on SIGINT/SIGTERM) and restarts.
 *
 * OUTDIR holds neb.json (the library's checkpoint, mb_band_save: the summary of
 * mb_band_write and the band's whole state, plus this tool's "run" object: the
 * potential and its parameters, the files, the totals of the runs; a restart is
 * mb_band_load of it), profile.svg, band.xyz (every image) and the VASP layout
 * 00/POSCAR .. NN/POSCAR. neb.json is written last, whole or not at all, so a
 * checkpoint on disk is always usable. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"

const char cmd_neb_help[] =
    "Usage: migbar neb --initial A --final B --potential P -o OUTDIR [OPTION]...\n"
    "       migbar neb --restart OUTDIR [OPTION]...\n"
    "\n"
    "Find the minimum-energy path and barrier between the structures A and B (same cell,\n"
    "same atoms in the same order) by nudged-elastic-band with a built-in potential or\n"
    "plane-wave DFT (--potential dft; each image warm-starts from its last SCF).\n"
    "A coordinate fixed in A by selective dynamics stays fixed. One progress line per\n"
    "step goes to stderr; the result to stdout:\n"
    "  forward barrier, backward barrier (eV), saddle image, steps, force calls.\n"
    "\n"
    "OUTDIR (created if needed) receives neb.json (summary: energies, barriers,\n"
    "reaction coordinate, profile, statistics, options), profile.svg (the energy\n"
    "profile), band.xyz (all images with energies and forces, extended XYZ) and\n"
    "00/POSCAR .. NN/POSCAR as in a VASP NEB run. They are written again every\n"
    "--checkpoint-every steps and when the run is interrupted (Ctrl-C, SIGTERM: the\n"
    "step under way finishes first; a second Ctrl-C quits at once). --restart OUTDIR\n"
    "continues from there with the same potential and options (those given on the\n"
    "command line win) and first removes the temporary files (*.tmp, neb.json.part)\n"
    "that a killed run may have left there.\n"
    "\n"
    "Refused before the first step: end points that are not the same system atom by\n"
    "atom (atoms that swap places between A and B, as when B lists atoms of one\n"
    "element in another order: the message names them; --allow-exchange runs such a\n"
    "band with a warning), and a band in which every atom is fixed.\n"
    "\n"
    "Band:\n"
    "  -i, --initial A        initial end point (any structure format)\n"
    "  -f, --final B          final end point\n"
    "  -n, --images N         intermediate images (default 5; N+2 in all)\n"
    "      --interpolation M  linear or idpp (default idpp)\n"
    "      --format F         read A and B as F: poscar, xyz, cif or json\n"
    "      --relax-endpoints  relax A and B first with the same optimiser\n"
    "      --allow-exchange   run although atoms swap places between A and B (an\n"
    "                         exchange mechanism; refused without it, see below)\n"
    "Potential:\n"
    "  -p, --potential P      emt (ASE's EMT: Al Cu Ag Au Ni Pd Pt H C N O), lj, morse,\n"
    "                         dft (the free energy and forces of 'migbar dft')\n"
    "      --epsilon E        lj, morse: well depth, eV (default 1)\n"
    "      --sigma S          lj: length, A (default 1)\n"
    "      --cutoff RC        lj: cutoff, A (default 3 sigma)\n"
    "      --onset RO         lj: where smoothing starts, A (default 0.66 RC)\n"
    "      --smooth           lj: smooth cutoff between RO and RC (default: shifted)\n"
    "      --r0 R             morse: equilibrium distance, A (default 1)\n"
    "      --rho0 X           morse: exponent a*r0 (default 6)\n"
    "DFT (--potential dft; the options of 'migbar dft', see 'migbar dft --help'):\n"
    "      --ecut EV --kpts AxBxC --functional F (required), --ecut-rho EV,\n"
    "      --kshift SX,SY,SZ, --smearing KIND[:WIDTH_EV], --pseudo EL=FILE,\n"
    "      --pseudo-dir DIR, --scf-tol EV, --max-scf N, --extra-bands N, --charge Q,\n"
    "      --spin, --magmom LIST, --moment M, --hubbard EL:L:U (DFT+U),\n"
    "      --dft-threads N (threads per image, over k-points and within one; --threads\n"
    "      is images at once). A restart of a DFT run needs them again.\n"
    "Optimisation:\n"
    "      --climb            climbing image (from the start, or see --climb-fmax)\n"
    "      --climb-fmax F     climb once the largest force is below F eV/A (implies\n"
    "                         --climb)\n"
    "      --fmax F           converged when the NEB force on every atom (its norm, as\n"
    "                         in ASE and VTST) is below F eV/A (default 0.05)\n"
    "      --optimizer O      fire, lbfgs or ode (default lbfgs)\n"
    "      --max-steps N      at most N steps in this run (default 1000)\n"
    "      --spring K         spring constant, eV/A^2 (default 0.1)\n"
    "      --spring-min K     energy-weighted springs from K (lowest) to --spring\n"
    "      --max-move D       largest step of an atom, A (default 0.2)\n"
    "      --threads N        images computed at once (0 = one per core; default 1)\n"
    "Output:\n"
    "  -o, --output OUTDIR    output directory (with --restart, default: that one)\n"
    "      --restart OUTDIR   continue the run checkpointed in OUTDIR\n"
    "      --checkpoint-every N  write the outputs every N steps (default 10; 0: only\n"
    "                         at the end)\n"
    "  -q, --quiet            no progress lines (warnings are still printed)\n"
    "  -j, --json             print the summary (neb.json) as one JSON line\n"
    "  -h, --help             show this help and exit\n"
    "\n"
    "Examples:\n"
    "  migbar neb --initial 00.vasp --final 06.vasp -n 5 -p emt --climb -o run1\n"
    "  migbar neb --restart run1 --max-steps 500\n"
    "\n"
    "Besides the statuses below, neb exits with 3 when the band did not converge within\n"
    "--max-steps (the outputs are written; --restart continues), and with 130 (SIGINT)\n"
    "or 143 (SIGTERM) after an interruption (the checkpoint is written).\n";

enum {
  OPT_INITIAL = 1, OPT_FINAL, OPT_IMAGES, OPT_INTERP, OPT_FORMAT, OPT_RELAX, OPT_EXCHANGE,
  OPT_POTENTIAL,
  OPT_EPSILON, OPT_SIGMA, OPT_CUTOFF, OPT_ONSET, OPT_SMOOTH, OPT_R0, OPT_RHO0, OPT_CLIMB,
  OPT_CLIMB_FMAX, OPT_FMAX, OPT_OPTIMIZER, OPT_MAX_STEPS, OPT_SPRING, OPT_SPRING_MIN,
  OPT_MAX_MOVE, OPT_THREADS, OPT_OUTPUT, OPT_RESTART, OPT_CHECKPOINT, OPT_QUIET, OPT_JSON,
  OPT_HELP, OPT_DFT_FIRST /* the DFT options follow, up to the end of the table */
};
/* In the order of the ids: options[id - 1] is the option of id. */
static const cli_option options[] = {
    {"initial", 'i', 1, OPT_INITIAL},   {"final", 'f', 1, OPT_FINAL},
    {"images", 'n', 1, OPT_IMAGES},     {"interpolation", 0, 1, OPT_INTERP},
    {"format", 0, 1, OPT_FORMAT},       {"relax-endpoints", 0, 0, OPT_RELAX},
    {"allow-exchange", 0, 0, OPT_EXCHANGE},
    {"potential", 'p', 1, OPT_POTENTIAL}, {"epsilon", 0, 1, OPT_EPSILON},
    {"sigma", 0, 1, OPT_SIGMA},         {"cutoff", 0, 1, OPT_CUTOFF},
    {"onset", 0, 1, OPT_ONSET},         {"smooth", 0, 0, OPT_SMOOTH},
    {"r0", 0, 1, OPT_R0},               {"rho0", 0, 1, OPT_RHO0},
    {"climb", 0, 0, OPT_CLIMB},         {"climb-fmax", 0, 1, OPT_CLIMB_FMAX},
    {"fmax", 0, 1, OPT_FMAX},           {"optimizer", 0, 1, OPT_OPTIMIZER},
    {"max-steps", 0, 1, OPT_MAX_STEPS}, {"spring", 0, 1, OPT_SPRING},
    {"spring-min", 0, 1, OPT_SPRING_MIN}, {"max-move", 0, 1, OPT_MAX_MOVE},
    {"threads", 0, 1, OPT_THREADS},     {"output", 'o', 1, OPT_OUTPUT},
    {"restart", 0, 1, OPT_RESTART},     {"checkpoint-every", 0, 1, OPT_CHECKPOINT},
    {"quiet", 'q', 0, OPT_QUIET},       {"json", 'j', 0, OPT_JSON},
    {"help", 'h', 0, OPT_HELP},
    {"ecut", 0, 1, OPT_DFT_FIRST},      {"kpts", 0, 1, OPT_DFT_FIRST + 1},
    {"kshift", 0, 1, OPT_DFT_FIRST + 2}, {"functional", 0, 1, OPT_DFT_FIRST + 3},
    {"smearing", 0, 1, OPT_DFT_FIRST + 4}, {"pseudo", 0, 1, OPT_DFT_FIRST + 5},
    {"pseudo-dir", 0, 1, OPT_DFT_FIRST + 6}, {"scf-tol", 0, 1, OPT_DFT_FIRST + 7},
    {"max-scf", 0, 1, OPT_DFT_FIRST + 8}, {"extra-bands", 0, 1, OPT_DFT_FIRST + 9},
    {"dft-threads", 0, 1, OPT_DFT_FIRST + 10}, {"charge", 0, 1, OPT_DFT_FIRST + 11},
    {"spin", 0, 0, OPT_DFT_FIRST + 12}, {"magmom", 0, 1, OPT_DFT_FIRST + 13},
    {"moment", 0, 1, OPT_DFT_FIRST + 14}, {"hubbard", 0, 1, OPT_DFT_FIRST + 15},
    {"ecut-rho", 0, 1, OPT_DFT_FIRST + 16},
    {NULL, 0, 0, 0}};

/* Names come from the library's tables (migbar.h section 11): the potential
 * parameters and band options (their names are neb.json's keys), the optimisers,
 * interpolations and potentials; "dft" is this tool's extra potential. The arrays of a
 * request hold up to MAX_* entries, indexed by the enum values. */
#define MAX_PARAMS 32
#define MAX_BAND_OPTIONS 32
#define POTENTIAL_DFT 3 /* after MB_POTENTIAL_LJ, _MORSE, _EMT */

static int count_options(mb_option_set set, int max) {
  int n = 0;
  return mb_option_count(set, &n) == MB_OK && n <= max ? n : 0;
}
static int nparams(void) { return count_options(MB_OPTIONS_POTENTIAL, MAX_PARAMS); }
static int nband_options(void) { return count_options(MB_OPTIONS_BAND, MAX_BAND_OPTIONS); }

/* The name of option key of a set ("?" for none; the tables are in enum order). */
static const char *option_name(mb_option_set set, int key) {
  const char *name = "?";
  return mb_option_info(set, key, NULL, &name, NULL, NULL, NULL, NULL, NULL, NULL) == MB_OK
             ? name : "?";
}
static const char *param_name(int k) { return option_name(MB_OPTIONS_POTENTIAL, k); }

/* The names of an enumeration, in value order, into names (at most max); their count. */
static int enum_names(mb_name_set set, const char **names, int max) {
  int n = 0;
  if (mb_name_count(set, &n) || n > max) return 0;
  for (int i = 0; i < n; i++)
    if (mb_name_info(set, i, NULL, &names[i], NULL)) return 0;
  return n;
}

/* The potentials of the tool: the library's, then "dft" (index POTENTIAL_DFT). */
static int potential_names(const char **names, int max) {
  int n = enum_names(MB_NAMES_POTENTIAL, names, max - 1);
  if (n != POTENTIAL_DFT) return 0;
  names[n] = "dft";
  return n + 1;
}
static const char *potential_name(int k) {
  const char *names[8];
  int n = potential_names(names, 8);
  return k >= 0 && k < n ? names[k] : "?";
}

/* Is parameter k one of the potential kind's? (the library says, through its getter) */
static int param_applies(int kind, int k) {
  mb_potential *p = NULL;
  double v;
  int ok = kind != POTENTIAL_DFT && mb_potential_create((mb_potential_kind)kind, &p) == MB_OK &&
           mb_potential_get(p, (mb_potential_param)k, &v) == MB_OK;
  mb_potential_free(p);
  return ok;
}

typedef struct request {
  const char *initial, *final, *outdir, *restart;
  int nintermediate, interpolation, potential; /* potential: -1 = not given */
  mb_format format;
  int has_param[MAX_PARAMS];
  double param[MAX_PARAMS];
  int has_option[MAX_BAND_OPTIONS];
  double option[MAX_BAND_OPTIONS];
  int checkpoint_every, quiet, json;
  cli_dft_request dft; /* --potential dft */
  int any_dft;         /* a DFT option was given */
  int rank, nranks; /* under mpirun: this process and how many share the images */
  /* From an earlier run (restart): the end-point files as JSON string literals, the
   * totals so far and the number of restarts. */
  char *initial_json, *final_json;
  double prev_steps, prev_moving, prev_endpoints;
  int restarts, relaxed;
} request;

/* Set by the SIGINT/SIGTERM handler: the signal number. */
static volatile sig_atomic_t stop_signal = 0;

static void on_signal(int sig) {
  static const char msg[] = "\nmigbar neb: interrupted; stopping after this step and writing "
                            "a checkpoint (interrupt again to quit at once)\n";
  stop_signal = sig;
  ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
  (void)ignored;
}

/* What the step callback needs. */
typedef struct run_ctx {
  const char *cmd;
  const request *req;
  int write_failed;
} run_ctx;

static int choice(const char *text, const char *const *names, int n) {
  for (int k = 0; k < n; k++)
    if (strcmp(text, names[k]) == 0) return k;
  return -1;
}

static int parse_int(const char *cmd, const char *option, const char *text, int lo, int *v) {
  char *end;
  errno = 0;
  long x = strtol(text, &end, 10);
  if (end == text || *end != '\0' || errno || x < lo || x > INT_MAX)
    return cli_usage_error(cmd, "%s expects an integer >= %d, not '%s'", option, lo, text);
  *v = (int)x;
  return 0;
}

static int set_option(request *req, mb_band_option key, double v) {
  req->has_option[key] = 1;
  req->option[key] = v;
  return 0;
}

/* One option into req; returns 0 or an exit status. */
static int take_option(const char *cmd, int id, const char *value, request *req, int *done) {
  double x;
  int n;
  switch (id) {
  case CLI_BAD: return CLI_EXIT_USAGE;
  case OPT_HELP: *done = 1; return cli_help(cmd_neb_help);
  case OPT_INITIAL: req->initial = value; return 0;
  case OPT_FINAL: req->final = value; return 0;
  case OPT_IMAGES: return parse_int(cmd, "--images", value, 1, &req->nintermediate);
  case OPT_INTERP:
    if (mb_name_find(MB_NAMES_INTERPOLATION, value, &req->interpolation))
      return cli_usage_error(cmd, "--interpolation: %s", mb_last_error());
    return 0;
  case OPT_FORMAT: return cli_parse_format(cmd, "--format", value, &req->format);
  case OPT_RELAX: return set_option(req, MB_BAND_RELAX_ENDPOINTS, 1);
  case OPT_EXCHANGE: return set_option(req, MB_BAND_ALLOW_EXCHANGE, 1);
  case OPT_POTENTIAL: {
    const char *names[8];
    if ((req->potential = choice(value, names, potential_names(names, 8))) < 0)
      return cli_usage_error(cmd, "--potential: '%s' is not emt, lj, morse or dft", value);
    return 0;
  }
  case OPT_SMOOTH:
    req->has_param[MB_POTENTIAL_SMOOTH] = 1;
    req->param[MB_POTENTIAL_SMOOTH] = 1;
    return 0;
  case OPT_EPSILON: case OPT_SIGMA: case OPT_CUTOFF: case OPT_ONSET: case OPT_R0:
  case OPT_RHO0: {
    static const int key[] = {[OPT_EPSILON] = MB_POTENTIAL_EPSILON,
                              [OPT_SIGMA] = MB_POTENTIAL_SIGMA,
                              [OPT_CUTOFF] = MB_POTENTIAL_CUTOFF,
                              [OPT_ONSET] = MB_POTENTIAL_ONSET, [OPT_R0] = MB_POTENTIAL_R0,
                              [OPT_RHO0] = MB_POTENTIAL_RHO0};
    char name[32];
    snprintf(name, sizeof name, "--%s", param_name(key[id]));
    if (cli_parse_positive(cmd, name, value, &x)) return CLI_EXIT_USAGE;
    req->has_param[key[id]] = 1;
    req->param[key[id]] = x;
    return 0;
  }
  case OPT_CLIMB:
    if (!req->has_option[MB_BAND_CLIMB]) set_option(req, MB_BAND_CLIMB, 1);
    return 0;
  case OPT_CLIMB_FMAX: case OPT_FMAX: case OPT_SPRING: case OPT_SPRING_MIN:
  case OPT_MAX_MOVE: {
    static const int key[] = {[OPT_CLIMB_FMAX] = MB_BAND_CLIMB_FMAX, [OPT_FMAX] = MB_BAND_FMAX,
                              [OPT_SPRING] = MB_BAND_SPRING,
                              [OPT_SPRING_MIN] = MB_BAND_SPRING_MIN,
                              [OPT_MAX_MOVE] = MB_BAND_MAX_MOVE};
    char name[32];
    snprintf(name, sizeof name, "--%s", options[id - 1].name);
    if (cli_parse_positive(cmd, name, value, &x)) return CLI_EXIT_USAGE;
    if (id == OPT_CLIMB_FMAX) set_option(req, MB_BAND_CLIMB, 2);
    return set_option(req, (mb_band_option)key[id], x);
  }
  case OPT_OPTIMIZER:
    if (mb_name_find(MB_NAMES_OPTIMIZER, value, &n))
      return cli_usage_error(cmd, "--optimizer: %s", mb_last_error());
    return set_option(req, MB_BAND_OPTIMIZER, n);
  case OPT_MAX_STEPS: case OPT_THREADS:
    if (parse_int(cmd, id == OPT_THREADS ? "--threads" : "--max-steps", value,
                  id == OPT_THREADS ? 0 : 1, &n))
      return CLI_EXIT_USAGE;
    return set_option(req, id == OPT_THREADS ? MB_BAND_THREADS : MB_BAND_MAX_STEPS, n);
  case OPT_OUTPUT: req->outdir = value; return 0;
  case OPT_RESTART: req->restart = value; return 0;
  case OPT_CHECKPOINT:
    return parse_int(cmd, "--checkpoint-every", value, 0, &req->checkpoint_every);
  case OPT_QUIET: req->quiet = 1; return 0;
  case OPT_JSON: req->json = 1; return 0;
  default:
    if (id >= OPT_DFT_FIRST) {
      req->any_dft = 1;
      return cli_dft_take(cmd, options[id - 1].name, value, &req->dft) ? CLI_EXIT_USAGE : 0;
    }
    return cli_usage_error(cmd, "unexpected argument '%s' (the structures are given by "
                           "--initial and --final)", value);
  }
}

/* Options that a restart takes from OUTDIR/neb.json and may not change. */
static int check_combination(const char *cmd, const request *req, int given_images,
                             int given_interp) {
  int any_param = 0;
  for (int k = 0; k < nparams(); k++) any_param |= req->has_param[k];
  if (req->restart) {
    const char *clash = req->initial ? "--initial" : req->final ? "--final"
                        : given_images ? "--images" : given_interp ? "--interpolation"
                        : req->potential >= 0 ? "--potential" : any_param ? "a potential parameter"
                        : req->has_option[MB_BAND_RELAX_ENDPOINTS] ? "--relax-endpoints" : NULL;
    if (clash)
      return cli_usage_error(cmd, "%s cannot be given with --restart (the run in %s/neb.json "
                             "fixes it)", clash, req->restart);
    return 0;
  }
  if (!req->initial || !req->final)
    return cli_usage_error(cmd, "give --initial and --final (or --restart OUTDIR)");
  if (req->potential < 0) return cli_usage_error(cmd, "give --potential emt, lj, morse or dft");
  if (req->potential == POTENTIAL_DFT && cli_dft_check(cmd, &req->dft)) return CLI_EXIT_USAGE;
  if (req->potential != POTENTIAL_DFT && req->any_dft)
    return cli_usage_error(cmd, "the DFT options (--ecut, --kpts, ...) need --potential dft");
  if (!req->outdir) return cli_usage_error(cmd, "give the output directory with -o OUTDIR");
  for (int k = 0; k < nparams(); k++)
    if (req->has_param[k] && !param_applies(req->potential, k))
      return cli_usage_error(cmd, "--%s is not a parameter of the %s potential", param_name(k),
                             potential_name(req->potential));
  return 0;
}

static int parse_args(const char *cmd, int argc, char **argv, request *req, int *done) {
  cli_parser p;
  const char *value;
  int id, rc, images = 0, interp = 0;
  cli_parser_init(&p, cmd, options, argc, argv);
  while ((id = cli_next(&p, &value)) != CLI_DONE) {
    images |= id == OPT_IMAGES;
    interp |= id == OPT_INTERP;
    if ((rc = take_option(cmd, id, value, req, done)) || *done) return rc;
  }
  if (req->restart && !req->outdir) req->outdir = req->restart;
  return check_combination(cmd, req, images, interp);
}

/* ---- outputs ------------------------------------------------------------- */

static char *read_text(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = NULL;
  long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
  if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1))) {
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
      free(buf);
      buf = NULL;
    } else {
      buf[n] = '\0';
    }
  }
  fclose(f);
  return buf;
}

/* The "run" object of neb.json: how the band was made and the totals of all runs. */
static void put_run_object(FILE *f, const request *req, const mb_band *b, const char *status) {
  int steps = 0, conv = 0;
  long moving = 0, endpoints = 0;
  double fmax;
  mb_band_stats(b, &steps, &moving, &endpoints, &fmax, &conv);
  fprintf(f, "{\n\t\t\"status\": \"%s\",\n\t\t\"potential\": {\"kind\": \"%s\"", status,
          potential_name(req->potential));
  for (int k = 0; k < nparams(); k++)
    if (req->has_param[k]) fprintf(f, ", \"%s\": %.17g", param_name(k), req->param[k]);
  if (req->potential == POTENTIAL_DFT) {
    const char *xc[8] = {"auto"}, *smear[8] = {"none"};
    enum_names(MB_NAMES_XC, xc, 8);
    enum_names(MB_NAMES_SMEARING, smear, 8);
    const cli_dft_request *r = &req->dft;
    fprintf(f, ", \"ecut\": %.17g, \"kpts\": [%d, %d, %d], \"kshift\": [%g, %g, %g], "
            "\"functional\": \"%s\", \"smearing\": \"%s\", \"width\": %.17g", r->ecut,
            r->kpts[0], r->kpts[1], r->kpts[2], r->kshift[0], r->kshift[1], r->kshift[2],
            r->xc_name ? r->xc_name : r->xc >= 0 ? xc[r->xc] : "auto", smear[r->smearing],
            r->width);
    fprintf(f, ", \"charge\": %.17g, \"spin\": %s", r->charge, r->spin ? "true" : "false");
    if (r->fix_moment) fprintf(f, ", \"moment\": %.17g", r->moment);
    if (r->nmagmom) {
      fputs(", \"magmom\": [", f);
      for (int k = 0; k < r->nmagmom; k++) fprintf(f, "%s%.17g", k ? ", " : "", r->magmom[k]);
      fputc(']', f);
    }
    fputs(", \"pseudo\": [", f);
    for (int k = 0; k < r->npseudo; k++) {
      if (k) fputs(", ", f);
      cli_json_string(f, r->pseudo[k]);
    }
    fputc(']', f);
    if (r->nhubbard) { /* DFT+U */
      fputs(", \"hubbard\": [", f);
      for (int k = 0; k < r->nhubbard; k++) {
        if (k) fputs(", ", f);
        cli_json_string(f, r->hubbard[k]);
      }
      fputc(']', f);
    }
  }
  fputs("},\n", f);
  if (req->initial) {
    fputs("\t\t\"initial\": ", f);
    cli_json_string(f, req->initial);
    fputs(",\n\t\t\"final\": ", f);
    cli_json_string(f, req->final);
    fputs(",\n", f);
  } else if (req->initial_json && req->final_json) {
    fprintf(f, "\t\t\"initial\": %s,\n\t\t\"final\": %s,\n", req->initial_json,
            req->final_json);
  }
  fprintf(f, "\t\t\"interpolation\": \"%s\",\n\t\t\"endpoints_relaxed\": %s,\n"
          "\t\t\"checkpoint_every\": %d,\n\t\t\"restarts\": %d,\n\t\t\"total_steps\": %.0f,\n"
          "\t\t\"total_force_calls_moving\": %.0f,\n\t\t\"total_force_calls_endpoints\": %.0f\n"
          "\t}",
          req->interpolation ? "idpp" : "linear", req->relaxed ? "true" : "false",
          req->checkpoint_every, req->restarts, (double)steps, (double)moving,
          (double)endpoints);
}

/* neb.json: the library's checkpoint (mb_band_save: its summary, the band's state) with
 * this tool's "run" object, whole or not at all. *merged (may be NULL) receives the
 * file's text (free()). */
static int write_summary(const char *cmd, const request *req, const mb_band *b,
                         const char *status, char **merged) {
  char path[4096];
  snprintf(path, sizeof path, "%s/neb.json", req->outdir);
  char *run = NULL;
  size_t size = 0;
  FILE *m = open_memstream(&run, &size);
  if (m) put_run_object(m, req, b, status);
  if (!m || fclose(m) != 0 || !run) {
    free(run);
    return cli_error(cmd, "out of memory");
  }
  mb_status st = mb_band_save(b, path, run);
  free(run);
  if (st) return cli_fail(cmd, st);
  if (merged && !(*merged = read_text(path)))
    return cli_error(cmd, "%s: cannot read back: %s", path, strerror(errno));
  return 0;
}

/* Every output file; returns 0 or CLI_EXIT_FAIL after a message. */
static int write_outputs(const char *cmd, const request *req, const mb_band *b,
                         const char *status, char **merged) {
  char path[4096];
  int n = 0;
  mb_status st;
  snprintf(path, sizeof path, "%s/band.xyz", req->outdir);
  if ((st = mb_band_write(b, path, MB_BAND_FILE_XYZ)) || (st = mb_band_nimages(b, &n)))
    return cli_fail(cmd, st);
  for (int i = 0; i < n; i++) {
    mb_structure *s = NULL;
    snprintf(path, sizeof path, "%s/%02d", req->outdir, i);
    if (cli_make_dir(cmd, path)) return CLI_EXIT_FAIL;
    snprintf(path, sizeof path, "%s/%02d/POSCAR", req->outdir, i);
    if ((st = mb_band_image(b, i, &s)) == MB_OK) st = mb_structure_write(s, path, MB_FORMAT_POSCAR);
    mb_structure_free(s);
    if (st) return cli_fail(cmd, st);
  }
  snprintf(path, sizeof path, "%s/profile.svg", req->outdir);
  if ((st = mb_band_write(b, path, MB_BAND_FILE_SVG))) return cli_fail(cmd, st);
  return write_summary(cmd, req, b, status, merged);
}

/* ---- the run ------------------------------------------------------------- */

/* user: the request; --quiet keeps the warnings and drops the progress lines. */
static void log_line(mb_log_level level, const char *message, void *user) {
  const request *req = user;
  if (req->quiet && level > MB_LOG_WARNING) return;
  fprintf(stderr, "%s%s\n", level <= MB_LOG_WARNING ? "migbar neb: " : "", message);
}

/* The DFT engine's own lines in a NEB (one mb_dft per image, on several threads): its
 * warnings and what it says before it starts (pseudopotentials, size) once each, not
 * its per-step SCF lines; --quiet keeps the warnings only. */
typedef struct dft_said {
  pthread_mutex_t lock;
  int quiet, n;
  unsigned long seen[64]; /* hashes of the lines printed */
} dft_said;

static void dft_log_line(mb_log_level level, const char *message, void *user) {
  dft_said *said = user;
  if (!strncmp(message, "scf ", 4) || (said->quiet && level > MB_LOG_WARNING)) return;
  unsigned long h = 5381;
  for (const char *c = message; *c; c++) h = h * 33 + (unsigned char)*c;
  pthread_mutex_lock(&said->lock);
  int k = 0;
  while (k < said->n && said->seen[k] != h) k++;
  if (k == said->n) {
    if (said->n < 64) said->seen[said->n++] = h;
    fprintf(stderr, "migbar neb: dft: %s\n", message);
  }
  pthread_mutex_unlock(&said->lock);
}

/* Under mpirun the ranks decide together (cli_mpi_any): a signal may reach them at
 * different steps, and only rank 0 writes checkpoints. */
static int on_step(const mb_band *b, int step, void *user) {
  run_ctx *ctx = user;
  if (cli_mpi_any(stop_signal != 0)) {
    if (!stop_signal) stop_signal = SIGINT; /* another rank was interrupted */
    return 1;
  }
  int every = ctx->req->checkpoint_every, failed = 0;
  if (every > 0 && step > 0 && step % every == 0 && ctx->req->rank == 0)
    failed = write_outputs(ctx->cmd, ctx->req, b, "running", NULL) != 0;
  if (cli_mpi_any(failed)) {
    ctx->write_failed = 1;
    return 1;
  }
  return 0;
}

/* The potential of req (parameters set). */
static mb_status make_potential(const request *req, mb_potential **out) {
  mb_potential *p = NULL;
  mb_status st = mb_potential_create((mb_potential_kind)req->potential, &p);
  for (int k = 0; k < nparams() && !st; k++)
    if (req->has_param[k]) st = mb_potential_set(p, (mb_potential_param)k, req->param[k]);
  if (st) {
    mb_potential_free(p);
    return st;
  }
  *out = p;
  return MB_OK;
}

/* Every parameter of the potential into req, so that neb.json records the values used
 * (defaults included) and a restart does not depend on the defaults of a later release. */
static void record_parameters(request *req, const mb_potential *p) {
  for (int k = 0; k < nparams(); k++) {
    if (!param_applies(req->potential, k)) continue;
    double v;
    if (mb_potential_get(p, (mb_potential_param)k, &v) == MB_OK) {
      req->has_param[k] = 1;
      req->param[k] = v;
    }
  }
  mb_clear_error();
}

/* ---- restart ------------------------------------------------------------- */

/* The band, its "run" object and the totals of earlier runs from req->restart/neb.json
 * (mb_band_load: the library keeps the images, options and counts; the run object is
 * this tool's record of the potential, the files and the totals). Options given on the
 * command line are applied later, over the band's; the step budget starts afresh. */
static int read_restart(const char *cmd, request *req, mb_band **out) {
  char path[4096];
  snprintf(path, sizeof path, "%s/neb.json", req->restart);
  char *text = NULL;
  mb_band *b = NULL;
  mb_status st = mb_band_load(path, &b, &text);
  if (st) return cli_fail(cmd, st);
  cJSON *run = text ? cJSON_Parse(text) : NULL;
  const cJSON *pot = cJSON_GetObjectItemCaseSensitive(run, "potential");
  const cJSON *kind = cJSON_GetObjectItemCaseSensitive(pot, "kind"), *x;
  const char *pnames[8];
  int npot = potential_names(pnames, 8), rc = 0;
  if (!cJSON_IsString(kind) || (req->potential = choice(kind->valuestring, pnames, npot)) < 0) {
    rc = cli_error(cmd, "%s is not the neb.json of a migbar neb run (it lacks run.potential."
                   "kind)", path);
    goto cleanup;
  }
  for (int k = 0; k < nparams(); k++)
    if (cJSON_IsNumber(x = cJSON_GetObjectItemCaseSensitive(pot, param_name(k)))) {
      req->has_param[k] = 1;
      req->param[k] = x->valuedouble;
    }
  x = cJSON_GetObjectItemCaseSensitive(run, "interpolation");
  if (!cJSON_IsString(x) || mb_name_find(MB_NAMES_INTERPOLATION, x->valuestring,
                                         &req->interpolation))
    req->interpolation = MB_INTERPOLATION_IDPP;
  if (cJSON_IsString(x = cJSON_GetObjectItemCaseSensitive(run, "initial")))
    req->initial_json = cJSON_PrintUnformatted(x);
  if (cJSON_IsString(x = cJSON_GetObjectItemCaseSensitive(run, "final")))
    req->final_json = cJSON_PrintUnformatted(x);
  req->relaxed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(run, "endpoints_relaxed"));
  x = cJSON_GetObjectItemCaseSensitive(run, "restarts");
  req->restarts = (cJSON_IsNumber(x) ? (int)x->valuedouble : 0) + 1;
  x = cJSON_GetObjectItemCaseSensitive(run, "checkpoint_every");
  if (req->checkpoint_every < 0) req->checkpoint_every = cJSON_IsNumber(x) ? (int)x->valuedouble : 10;
  /* the band's counts so far: this run's are what it adds */
  int steps = 0, conv;
  long moving = 0, ends = 0;
  double fmax;
  double max_steps = 0;
  mb_band_stats(b, &steps, &moving, &ends, &fmax, &conv);
  req->prev_steps = steps, req->prev_moving = (double)moving, req->prev_endpoints = (double)ends;
  if (!req->has_option[MB_BAND_MAX_STEPS] &&
      !mb_option_info(MB_OPTIONS_BAND, MB_BAND_MAX_STEPS, NULL, NULL, NULL, NULL, NULL,
                      &max_steps, NULL, NULL))
    mb_band_set_option(b, MB_BAND_MAX_STEPS, max_steps);
  *out = b;
  b = NULL;
cleanup:
  cJSON_Delete(run);
  mb_free(text);
  mb_band_free(b);
  return rc;
}

/* ---- leftovers of a killed run ------------------------------------------------ */

/* Whether name is a temporary file that writing base leaves while it runs: the
 * library's base.PID.K.tmp (mb__write_file) of a process that no longer exists, or
 * (base "neb.json") this file's own neb.json.tmp and neb.json.part. */
static int leftover(const char *name, const char *base) {
  size_t n = strlen(base);
  if (strncmp(name, base, n) != 0) return 0;
  const char *p = name + n;
  if (strcmp(base, "neb.json") == 0 && (!strcmp(p, ".tmp") || !strcmp(p, ".part"))) return 1;
  if (strcmp(base, "neb.json") == 0 && strncmp(p, ".part", 5) == 0) p += 5;
  char *end;
  if (*p != '.' || !(p[1] >= '0' && p[1] <= '9')) return 0;
  long pid = strtol(p + 1, &end, 10);
  if (*end != '.' || !(end[1] >= '0' && end[1] <= '9')) return 0;
  strtol(end + 1, &end, 10);
  if (strcmp(end, ".tmp") != 0) return 0;
  /* a writer still alive (another run in the same directory) keeps its file */
  return pid <= 0 || pid > INT_MAX || (kill((pid_t)pid, 0) != 0 && errno == ESRCH);
}

/* Remove from dir the leftovers of the files in bases (NULL-terminated); counts them. */
static void remove_leftovers(const char *cmd, const char *dir, const char *const *bases,
                             int *count) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  char path[4096];
  while ((e = readdir(d)) != NULL)
    for (const char *const *b = bases; *b; b++)
      if (leftover(e->d_name, *b)) {
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (unlink(path) == 0) ++*count;
        else cli_error(cmd, "warning: %s: cannot remove: %s", path, strerror(errno));
        break;
      }
  closedir(d);
}

/* A run killed while writing (kill -9, a crash, a power cut) leaves temporary files
 * beside its outputs; a restart removes them from OUTDIR and its NN/ folders. Only
 * names that migbar neb writes are touched. */
static void clean_restart_dir(const char *cmd, const request *req) {
  static const char *const top[] = {"neb.json", "band.xyz", "profile.svg", NULL};
  static const char *const image[] = {"POSCAR", NULL};
  int count = 0;
  remove_leftovers(cmd, req->restart, top, &count);
  DIR *d = opendir(req->restart);
  if (d) {
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d)) != NULL) {
      const char *q = e->d_name;
      while (*q >= '0' && *q <= '9') q++;
      if (q - e->d_name < 2 || *q) continue; /* NN, NNN: the image folders */
      snprintf(path, sizeof path, "%s/%s", req->restart, e->d_name);
      remove_leftovers(cmd, path, image, &count);
    }
    closedir(d);
  }
  if (count && !req->quiet)
    fprintf(stderr, "migbar neb: removed %d temporary file%s that an interrupted run left in "
            "%s\n", count, count == 1 ? "" : "s", req->restart);
}

/* The band of the checkpoint: the frames of band.xyz, else NN/POSCAR. */
/* ---- results ------------------------------------------------------------- */

static void print_text(const request *req, const mb_band *b) {
  double fwd = NAN, bwd = NAN, fmax = NAN, want = NAN;
  int saddle = -1, n = 0, steps = 0, conv = 0;
  long moving = 0, endpoints = 0;
  mb_band_barrier(b, &fwd, &bwd, &saddle);
  mb_band_nimages(b, &n);
  mb_band_stats(b, &steps, &moving, &endpoints, &fmax, &conv);
  mb_band_get_option(b, MB_BAND_FMAX, &want);
  printf("forward barrier:  %.4f eV\n", fwd);
  printf("backward barrier: %.4f eV\n", bwd);
  printf("saddle image:     %d (images 0..%d)\n", saddle, n - 1);
  /* the band's counts are the totals over the runs; this run's are the difference */
  printf("steps:            %.0f", steps - req->prev_steps);
  if (req->restarts) printf(" (%d over %d runs)", steps, req->restarts + 1);
  printf("\nforce calls:      %.0f moving images, %.0f end points\n", moving - req->prev_moving,
         endpoints - req->prev_endpoints);
  printf("max force:        %.4f eV/A (fmax %g)\n", fmax, want);
  printf("converged:        %s\n", conv ? "yes" : "no");
  printf("outputs:          %s/{neb.json,profile.svg,band.xyz,00..%02d/POSCAR}\n", req->outdir,
         n - 1);
}

/* A JSON text on one line: whitespace outside strings dropped, after ':' and ',' one
 * space. */
static void print_one_line(const char *json) {
  int in_string = 0;
  for (const char *p = json; *p; p++) {
    if (in_string) {
      putchar(*p);
      if (*p == '\\' && p[1]) putchar(*++p);
      else if (*p == '"') in_string = 0;
    } else if (*p == '"') {
      in_string = 1;
      putchar(*p);
    } else if (!strchr(" \t\r\n", *p)) {
      putchar(*p);
      if (*p == ':' || *p == ',') putchar(' ');
    }
  }
  putchar('\n');
}

static void install_handlers(struct sigaction *old) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART | SA_RESETHAND; /* a second signal takes its default action */
  sigaction(SIGINT, &sa, &old[0]);
  sigaction(SIGTERM, &sa, &old[1]);
}

static int run_neb(int argc, char **argv, int rank, int nranks);

/* 1 when every image has a finite energy, else 0. */
static int nimages_finite(const mb_band *b) {
  int n = 0, ok = 1;
  mb_band_nimages(b, &n);
  double *e = calloc((size_t)n, sizeof *e);
  if (!e || mb_band_energies(b, e) != MB_OK) ok = 0;
  for (int i = 0; ok && i < n; i++) ok = isfinite(e[i]);
  free(e);
  return ok;
}

int cmd_neb(int argc, char **argv) {
  int rank = 0, nranks = cli_mpi_start(&rank);
  int rc = run_neb(argc, argv, rank, nranks);
  cli_mpi_finish();
  return rc;
}

static int run_neb(int argc, char **argv, int rank, int nranks) {
  static const char cmd[] = "neb";
  request req;
  memset(&req, 0, sizeof req);
  cli_dft_init(&req.dft);
  req.nintermediate = 5;
  req.interpolation = MB_INTERPOLATION_IDPP;
  req.potential = -1;
  req.format = MB_FORMAT_AUTO;
  req.checkpoint_every = -1;
  mb_structure *ends[2] = {NULL, NULL};
  mb_potential *pot = NULL;
  mb_band *b = NULL;
  dft_said said = {.lock = PTHREAD_MUTEX_INITIALIZER};
  char *merged = NULL;
  struct sigaction old[2];
  int rc, done = 0, handlers = 0;
  mb_status st;
  req.rank = rank;
  req.nranks = nranks;
  rc = parse_args(cmd, argc, argv, &req, &done);
  if (rc || done) goto cleanup;
  if (rank > 0) req.quiet = 1; /* rank 0 speaks for all */
  if (req.restart && (rc = read_restart(cmd, &req, &b))) goto cleanup;
  if (req.restart && rank == 0) clean_restart_dir(cmd, &req);
  if (req.checkpoint_every < 0) req.checkpoint_every = 10;
  if (!req.restart) req.relaxed = req.has_option[MB_BAND_RELAX_ENDPOINTS];

  /* a DFT run restarts with its DFT options given again */
  if (req.potential == POTENTIAL_DFT && cli_dft_check(cmd, &req.dft)) {
    rc = CLI_EXIT_USAGE;
    goto cleanup;
  }
  rc = CLI_EXIT_FAIL;
  if (req.potential != POTENTIAL_DFT && (st = make_potential(&req, &pot))) {
    cli_fail(cmd, st);
    goto cleanup;
  }
  record_parameters(&req, pot);
  if (!req.restart) {
    if ((st = cli_read(req.initial, req.format, 0, &ends[0])) ||
        (st = cli_read(req.final, req.format, 0, &ends[1])) ||
        (st = mb_band_create(ends[0], ends[1], req.nintermediate, MB_INTERPOLATION_LINEAR,
                             &b))) {
      cli_fail(cmd, st);
      goto cleanup;
    }
  }
  for (int k = 0; k < nband_options() && !st; k++)
    if (req.has_option[k]) st = mb_band_set_option(b, (mb_band_option)k, req.option[k]);
  run_ctx ctx = {cmd, &req, 0};
  if (!st && req.potential == POTENTIAL_DFT) {
    mb_structure *first = NULL;
    mb_dft *d = NULL;
    int natoms = 0;
    if (!(st = mb_band_image(b, 0, &first)) && !(st = mb_structure_natoms(first, &natoms)) &&
        cli_dft_check_atoms(cmd, &req.dft, natoms)) {
      mb_structure_free(first);
      rc = CLI_EXIT_USAGE;
      goto cleanup;
    }
    said.quiet = req.quiet;
    if (!st && !(st = cli_dft_make(&req.dft, first, &d)) && rank == 0)
      st = mb_dft_set_log(d, dft_log_line, &said);
    if (!st && d) st = mb_band_set_dft(b, d);
    mb_dft_free(d);
    mb_structure_free(first);
  } else if (!st) {
    st = mb_band_set_potential(b, pot);
  }
  if (st ||
      ((rank == 0 || !req.quiet) && (st = mb_band_set_log(b, log_line, &req))) ||
      (st = mb_band_set_step_callback(b, on_step, &ctx)) ||
      (nranks > 1 && (st = mb_band_set_mpi(b, cli_mpi_comm())))) {
    cli_fail(cmd, st);
    goto cleanup;
  }
  if (cli_mpi_any(rank == 0 && cli_make_dirs(cmd, req.outdir))) goto cleanup;

  stop_signal = 0;
  install_handlers(old);
  handlers = 1;
  /* IDPP after the handlers: on a large cell it takes a while, and Ctrl-C reaches it
   * through the step callback (called with step 0 after each IDPP iteration) */
  if (!req.restart && req.interpolation == MB_INTERPOLATION_IDPP &&
      (st = mb_band_interpolate(b, MB_INTERPOLATION_IDPP))) {
    if (st == MB_ERR_STOPPED && stop_signal) {
      if (rank == 0)
        fprintf(stderr, "migbar neb: interrupted by %s during the IDPP interpolation; nothing "
                "was written\n", stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
      rc = 128 + stop_signal;
    } else {
      cli_fail(cmd, st);
    }
    goto cleanup;
  }
  st = mb_band_run(b);
  if (st == MB_ERR_STOPPED && ctx.write_failed) goto cleanup; /* the message is out */
  if (st == MB_ERR_STOPPED && stop_signal) {
    int sig = stop_signal;
    if (rank == 0 && write_outputs(cmd, &req, b, "interrupted", NULL) == 0)
      fprintf(stderr, "migbar neb: interrupted by %s; checkpoint written to %s; continue with "
              "'migbar neb --restart %s'\n", sig == SIGINT ? "SIGINT" : "SIGTERM", req.outdir,
              req.outdir);
    rc = 128 + sig;
    goto cleanup;
  }
  /* a provider's own MB_ERR_NOT_CONVERGED (a DFT SCF) leaves energies uncomputed */
  if (st == MB_ERR_NOT_CONVERGED && nimages_finite(b) == 0) {
    cli_fail(cmd, st);
    goto cleanup;
  }
  if (st != MB_OK && st != MB_ERR_NOT_CONVERGED) {
    cli_fail(cmd, st);
    goto cleanup;
  }
  int converged = st == MB_OK;
  char message[1024];
  snprintf(message, sizeof message, "%s", converged ? "" : mb_last_error());
  if (rank > 0) {
    rc = converged ? CLI_EXIT_OK : CLI_EXIT_NOT_CONVERGED;
    goto cleanup;
  }
  if (write_outputs(cmd, &req, b, converged ? "converged" : "not_converged", &merged))
    goto cleanup;
  if (req.json)
    print_one_line(merged);
  else
    print_text(&req, b);
  if (!converged)
    fprintf(stderr, "migbar neb: not converged: %s; the outputs in %s are the band as it is "
            "now; continue with 'migbar neb --restart %s --max-steps N'\n",
            *message ? message : "the step limit was reached", req.outdir, req.outdir);
  rc = converged ? CLI_EXIT_OK : CLI_EXIT_NOT_CONVERGED;
cleanup:
  if (handlers) {
    sigaction(SIGINT, &old[0], NULL);
    sigaction(SIGTERM, &old[1], NULL);
  }
  free(merged);
  free(req.initial_json);
  free(req.final_json);
  mb_band_free(b);
  mb_potential_free(pot);
  mb_structure_free(ends[0]);
  mb_structure_free(ends[1]);
  return rc;
}
