/* migbar hops: the migration network of a mobile ion in a structure (mb_hops): the
 * distinct hops with their geometry and barriers, the percolation barriers in 1D, 2D
 * and 3D, and optionally the end points of every hop (POSCARs for migbar neb) and a
 * plot. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hops_svg.h"

const char cmd_hops_help[] =
    "Usage: migbar hops --ion EL [OPTION]... FILE\n"
    "\n"
    "Find the hops of the ion EL (e.g. Li) between its sites in the structure in FILE, up\n"
    "to --max-length, grouped into distinct hops by the space group (docs/hops.md), and\n"
    "print a table of them: the two sites (atom indices; the second in the cell shifted\n"
    "by the lattice translation 'image'), the length, the multiplicity (undirected hops\n"
    "of the kind per unit cell), the bottleneck (closest approach of the straight path to\n"
    "a framework atom, i.e. an atom of another element), the window (the same for the\n"
    "widest bent path), whether the hop is blocked (bottleneck below 0.6 x the distance\n"
    "from its end sites to their nearest framework atom), and the barrier E_m.\n"
    "Then the percolation barriers: the lowest E_m at which the hops connect into a\n"
    "network spanning 1, 2 and 3 dimensions, and the hop that completes each.\n"
    "\n"
    "Barriers come from --barriers, else from --model, else from the shipped E_m model\n"
    "(found as by migbar predict), predicted on the end points of each distinct hop (a\n"
    "vacancy hop in a supercell, as the em data set lays out bands) and printed as\n"
    "\"mean +/- spread\". Without a model, or with --proxy, they are a geometric proxy\n"
    "from the window and the hop length (docs/hops.md): good for ranking hops, not an\n"
    "energy; a note on stderr says so.\n"
    "\n"
    "Options:\n"
    "      --ion EL          the mobile species, a chemical symbol (required)\n"
    "  -l, --max-length L    longest hop, A (default 5)\n"
    "  -m, --model MODEL     an ensemble manifest (.json) or one model (.safetensors);\n"
    "                        default: $MIGBAR_MODEL, else the shipped E_m model\n"
    "      --proxy           use the geometric proxy even when a model is available\n"
    "      --barriers FILE   the barriers, one line per distinct hop in the order of the\n"
    "                        table: E_m or 'E_m SPREAD' (eV); '#' starts a comment\n"
    "      --write-bands DIR write DIR/hop-N/POSCAR_initial and POSCAR_final, the end\n"
    "                        points of distinct hop N, ready for migbar neb\n"
    "      --svg FILE        draw the network projected on the cell (hops coloured by\n"
    "                        barrier, the first percolating network thick) and plot\n"
    "                        the barriers and the percolation barriers\n"
    "      --symprec TOL     tolerance of the space-group search, A (default 0.001)\n"
    "      --min-separation D  end points: periodic images of the ion at least D apart\n"
    "                        (default 8 A)\n"
    "      --max-atoms N     end points: the largest supercell (default 2000 atoms)\n"
    "      --threads N       threads for the predictions (default 0: one per core)\n"
    "  -f, --format F        read FILE as F: poscar, xyz, cif or json (default: from the\n"
    "                        file name, else from the content)\n"
    "  -i, --index N         read structure N (0-based) of a file holding several\n"
    "  -j, --json            print one JSON object instead of text\n"
    "  -h, --help            show this help and exit\n"
    "\n"
    "Examples:\n"
    "  migbar hops --ion Li LiFePO4.cif\n"
    "  migbar hops --ion Li --max-length 6 --json LiFePO4.cif\n"
    "  migbar hops --ion Na --proxy --write-bands hops --svg hops.svg NaCoO2.vasp\n"
    "  migbar neb --initial hops/hop-0/POSCAR_initial --final hops/hop-0/POSCAR_final ...\n";

enum {
  OPT_ION = 1, OPT_MAX_LENGTH, OPT_MODEL, OPT_PROXY, OPT_BARRIERS, OPT_WRITE_BANDS, OPT_SVG,
  OPT_SYMPREC, OPT_MIN_SEPARATION, OPT_MAX_ATOMS, OPT_THREADS, OPT_FORMAT, OPT_INDEX, OPT_JSON,
  OPT_HELP
};
static const cli_option options[] = {
    {"ion", 0, 1, OPT_ION},
    {"max-length", 'l', 1, OPT_MAX_LENGTH},
    {"model", 'm', 1, OPT_MODEL},
    {"proxy", 0, 0, OPT_PROXY},
    {"barriers", 0, 1, OPT_BARRIERS},
    {"write-bands", 0, 1, OPT_WRITE_BANDS},
    {"svg", 0, 1, OPT_SVG},
    {"symprec", 0, 1, OPT_SYMPREC},
    {"min-separation", 0, 1, OPT_MIN_SEPARATION},
    {"max-atoms", 0, 1, OPT_MAX_ATOMS},
    {"threads", 0, 1, OPT_THREADS},
    {"format", 'f', 1, OPT_FORMAT},
    {"index", 'i', 1, OPT_INDEX},
    {"json", 'j', 0, OPT_JSON},
    {"help", 'h', 0, OPT_HELP},
    {NULL, 0, 0, 0}};

#define PATH_SIZE 4096

/* What hops was asked and what it found, so that text and JSON show the same. */
typedef struct request {
  const char *file, *ion, *model_path, *barriers_file, *bands_dir, *svg;
  char default_model[PATH_SIZE];
  int proxy, json, index, threads, max_atoms;
  mb_format format;
  double max_length, symprec, min_separation; /* 0: default */
  /* results */
  mb_hops *h;
  int nsites, nd, nh, *from, *to, *image, *mult, *blocked, limiting[3];
  double *length, *bottleneck, *window, *clearance, *em, *spread, perc[3];
  mb_hops_source source;
  int model_missing; /* no model found: the proxy, with a note */
} request;

static const char *source_name(mb_hops_source s) {
  return s == MB_HOPS_SOURCE_MODEL ? "model" : s == MB_HOPS_SOURCE_USER ? "user" : "proxy";
}

/* --barriers FILE: one line per distinct hop, "E" or "E SPREAD". */
static int read_barriers(const char *cmd, request *req) {
  FILE *f = fopen(req->barriers_file, "r");
  if (!f) return cli_error(cmd, "%s: %s", req->barriers_file, strerror(errno));
  double *e = calloc((size_t)req->nd + 1, sizeof *e), *s = calloc((size_t)req->nd + 1, sizeof *s);
  char line[1024];
  int n = 0, lineno = 0, rc = 0;
  while (!rc && fgets(line, sizeof line, f)) {
    lineno++;
    char *hash = strchr(line, '#');
    if (hash) *hash = '\0';
    char *p = line, *end;
    while (*p == ' ' || *p == '\t') p++;
    if (*p == '\n' || *p == '\r' || *p == '\0') continue;
    double v = strtod(p, &end), w = 0;
    if (end == p || !isfinite(v)) {
      rc = cli_error(cmd, "%s:%d: expected a barrier (eV)", req->barriers_file, lineno);
      break;
    }
    p = end;
    w = strtod(p, &end);
    if (end == p) w = 0;
    else p = end;
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
    if (*p || !(w >= 0)) {
      rc = cli_error(cmd, "%s:%d: expected 'E_m' or 'E_m SPREAD' (eV)", req->barriers_file, lineno);
      break;
    }
    if (n == req->nd) {
      rc = cli_error(cmd, "%s: more lines than the %d distinct hops", req->barriers_file, req->nd);
      break;
    }
    e[n] = v, s[n] = w, n++;
  }
  fclose(f);
  if (!rc && n != req->nd)
    rc = cli_error(cmd, "%s: %d barriers for %d distinct hops", req->barriers_file, n, req->nd);
  mb_status st;
  if (!rc && (st = mb_hops_set_barriers(req->h, e, s))) rc = cli_fail(cmd, st);
  free(e), free(s);
  return rc;
}

/* What the model's training data does not cover in each distinct hop (an element it
 * never saw, a longer hop than any in it): one warning line per hop on stderr, as
 * migbar predict prints them. */
static mb_status domain_warnings(const request *req, const mb_ensemble *e) {
  for (int k = 0; k < req->nd; k++) {
    mb_structure *a = NULL, *b = NULL;
    char *warn = NULL;
    int ion;
    mb_status st = mb_hops_end_points(req->h, k, &a, &b, &ion, NULL);
    if (!st) st = mb_ensemble_check_hop(e, a, b, ion, &warn);
    mb_structure_free(a);
    mb_structure_free(b);
    if (st) return st;
    char lead[64];
    snprintf(lead, sizeof lead, "migbar hops: warning: hop %d: ", k);
    cli_warn_lines(lead, warn);
    mb_free(warn);
  }
  return MB_OK;
}

static int barriers(const char *cmd, request *req) {
  if (req->barriers_file) return read_barriers(cmd, req);
  if (req->proxy) return 0;
  if (!req->model_path) {
    char bindir[PATH_SIZE];
    if (cli_default_model(req->default_model, sizeof req->default_model, bindir,
                          sizeof bindir)) {
      req->model_missing = 1;
      return 0;
    }
    req->model_path = req->default_model;
  }
  mb_ensemble *e = NULL;
  mb_status st = mb_ensemble_load(req->model_path, &e);
  if (!st) st = mb_hops_predict(req->h, e, req->threads);
  if (!st) st = domain_warnings(req, e);
  mb_ensemble_free(e);
  return st ? cli_fail(cmd, st) : 0;
}

static int gather(const char *cmd, request *req) {
  mb_status st;
  if ((st = mb_hops_count(req->h, &req->nd, &req->nh)) ||
      (st = mb_hops_sites(req->h, &req->nsites, NULL)))
    return cli_fail(cmd, st);
  size_t n = (size_t)req->nd;
  req->from = calloc(n, sizeof(int)), req->to = calloc(n, sizeof(int));
  req->image = calloc(3 * n, sizeof(int)), req->mult = calloc(n, sizeof(int));
  req->blocked = calloc(n, sizeof(int));
  req->length = calloc(n, sizeof(double)), req->bottleneck = calloc(n, sizeof(double));
  req->window = calloc(n, sizeof(double)), req->clearance = calloc(n, sizeof(double));
  req->em = calloc(n, sizeof(double)), req->spread = calloc(n, sizeof(double));
  if (!req->from || !req->to || !req->image || !req->mult || !req->blocked || !req->length ||
      !req->bottleneck || !req->window || !req->clearance || !req->em || !req->spread)
    return cli_fail(cmd, MB_ERR_NOMEM);
  if ((st = mb_hops_distinct(req->h, req->from, req->to, req->image, req->length, req->mult)) ||
      (st = mb_hops_geometry(req->h, req->bottleneck, req->window, req->clearance, req->blocked)))
    return cli_fail(cmd, st);
  return 0;
}

static int results(const char *cmd, request *req) {
  mb_status st;
  if ((st = mb_hops_barriers(req->h, req->em, req->spread, &req->source)) ||
      (st = mb_hops_percolation(req->h, req->perc, req->limiting)))
    return cli_fail(cmd, st);
  return 0;
}

/* ---- outputs -------------------------------------------------------------------- */

static int write_bands(const char *cmd, const request *req) {
  if (cli_make_dirs(cmd, req->bands_dir)) return CLI_EXIT_FAIL;
  for (int k = 0; k < req->nd; k++) {
    char dir[PATH_SIZE], path[PATH_SIZE + 32];
    snprintf(dir, sizeof dir, "%s/hop-%d", req->bands_dir, k);
    if (cli_make_dir(cmd, dir)) return CLI_EXIT_FAIL;
    mb_structure *a = NULL, *b = NULL;
    int ion;
    mb_status st = mb_hops_end_points(req->h, k, &a, &b, &ion, NULL);
    if (!st) {
      snprintf(path, sizeof path, "%s/POSCAR_initial", dir);
      st = mb_structure_write(a, path, MB_FORMAT_POSCAR);
    }
    if (!st) {
      snprintf(path, sizeof path, "%s/POSCAR_final", dir);
      st = mb_structure_write(b, path, MB_FORMAT_POSCAR);
    }
    mb_structure_free(a);
    mb_structure_free(b);
    if (st) return cli_fail(cmd, st);
  }
  return 0;
}

static void print_text(const request *req) {
  double ml = 5.0;
  mb_hops_get_option(req->h, MB_HOPS_MAX_LENGTH, &ml);
  printf("file:           %s\n", req->file);
  printf("ion:            %s, %d sites, hops up to %g A\n", req->ion, req->nsites, ml);
  printf("hops:           %d distinct, %d per unit cell (undirected)\n", req->nd, req->nh);
  if (req->source == MB_HOPS_SOURCE_MODEL)
    printf("barriers:       model %s\n", req->model_path);
  else if (req->source == MB_HOPS_SOURCE_USER)
    printf("barriers:       from %s\n", req->barriers_file);
  else
    printf("barriers:       geometric proxy (for ranking; docs/hops.md)\n");
  printf("\n  hop   from     to  image         length  mult  bottleneck  window  blocked  "
         "E_m (eV)\n");
  for (int k = 0; k < req->nd; k++) {
    char img[40], b[16], w[16];
    snprintf(img, sizeof img, "%d %d %d", req->image[3 * k], req->image[3 * k + 1],
             req->image[3 * k + 2]);
    if (isfinite(req->bottleneck[k])) snprintf(b, sizeof b, "%.3f", req->bottleneck[k]);
    else snprintf(b, sizeof b, "-");
    if (isfinite(req->window[k])) snprintf(w, sizeof w, "%.3f", req->window[k]);
    else snprintf(w, sizeof w, "-");
    printf("  %3d  %5d  %5d  %-12s  %6.3f  %4d  %10s  %6s  %7s  %.3f", k, req->from[k],
           req->to[k], img, req->length[k], req->mult[k], b, w, req->blocked[k] ? "yes" : "no",
           req->em[k]);
    if (req->source != MB_HOPS_SOURCE_PROXY && req->spread[k] > 0)
      printf(" +/- %.3f", req->spread[k]);
    putchar('\n');
  }
  printf("\npercolation:\n");
  for (int d = 0; d < 3; d++) {
    if (req->limiting[d] >= 0)
      printf("  %dD  E_m = %.3f eV, limiting hop %d\n", d + 1, req->perc[d], req->limiting[d]);
    else
      printf("  %dD  never (not with hops up to %g A)\n", d + 1, ml);
  }
}

static void print_json(const request *req) {
  double ml = 5.0;
  mb_hops_get_option(req->h, MB_HOPS_MAX_LENGTH, &ml);
  int *atoms = calloc((size_t)req->nsites, sizeof *atoms);
  printf("{\"file\": ");
  cli_json_string(stdout, req->file);
  printf(", \"ion\": ");
  cli_json_string(stdout, req->ion);
  printf(", \"max_length\": ");
  cli_json_number(stdout, ml);
  printf(", \"sites\": [");
  int n = 0;
  if (atoms && !mb_hops_sites(req->h, &n, atoms))
    for (int k = 0; k < n; k++) printf("%s%d", k ? ", " : "", atoms[k]);
  free(atoms);
  printf("], \"hops_per_cell\": %d, \"barrier_source\": \"%s\", \"model\": ", req->nh,
         source_name(req->source));
  if (req->source == MB_HOPS_SOURCE_MODEL) cli_json_string(stdout, req->model_path);
  else printf("null");
  printf(", \"hops\": [");
  for (int k = 0; k < req->nd; k++) {
    printf("%s\n  {\"index\": %d, \"from\": %d, \"to\": %d, \"image\": [%d, %d, %d], \"length\": ",
           k ? "," : "", k, req->from[k], req->to[k], req->image[3 * k], req->image[3 * k + 1],
           req->image[3 * k + 2]);
    cli_json_number(stdout, req->length[k]);
    printf(", \"multiplicity\": %d, \"bottleneck\": ", req->mult[k]);
    cli_json_number(stdout, req->bottleneck[k]);
    printf(", \"window\": ");
    cli_json_number(stdout, req->window[k]);
    printf(", \"clearance\": ");
    cli_json_number(stdout, req->clearance[k]);
    printf(", \"blocked\": %s, \"em\": ", req->blocked[k] ? "true" : "false");
    cli_json_number(stdout, req->em[k]);
    printf(", \"std\": ");
    cli_json_number(stdout, req->spread[k]);
    printf("}");
  }
  printf("],\n \"percolation\": {");
  for (int d = 0; d < 3; d++) {
    printf("%s\"%dD\": {\"em\": ", d ? ", " : "", d + 1);
    cli_json_number(stdout, req->perc[d]); /* null when never */
    if (req->limiting[d] >= 0) printf(", \"limiting_hop\": %d}", req->limiting[d]);
    else printf(", \"limiting_hop\": null}");
  }
  printf("}}\n");
}

/* The network projected on the cell (hops_svg.c), then a bar per distinct hop (sorted
 * as the table), its spread as an error bar, and the percolation barriers as dashed
 * lines. */
static int write_svg(const char *cmd, const request *req, const mb_structure *s) {
  FILE *f = fopen(req->svg, "w");
  if (!f) return cli_error(cmd, "%s: %s", req->svg, strerror(errno));
  const double W = 640, H = 400, x0 = 60, y0 = 30, pw = 560, ph = 320, NET = 520;
  double top = 0;
  for (int k = 0; k < req->nd; k++) top = fmax(top, req->em[k] + req->spread[k]);
  for (int d = 0; d < 3; d++)
    if (req->limiting[d] >= 0) top = fmax(top, req->perc[d]);
  top = top > 0 ? top * 1.1 : 1;
  double bw = pw / (req->nd > 0 ? req->nd : 1);
  fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" "
          "font-family=\"sans-serif\" font-size=\"12\">\n", W, H + NET);
  fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%g\" height=\"%g\" fill=\"white\"/>\n", W,
          H + NET);
  /* the network on top, the barriers below it */
  int st = hops_svg_network(f, s, req->h, 20, 10, W - 40, NET - 20);
  if (st) {
    fclose(f);
    return cli_fail(cmd, (mb_status)st);
  }
  fprintf(f, "<g transform=\"translate(0 %g)\">\n", NET);
  fprintf(f, "<text x=\"%g\" y=\"18\">%s hops in %s: E_m (%s)</text>\n", x0, req->ion,
          req->file, source_name(req->source));
  fprintf(f, "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"black\"/>\n", x0, y0, x0,
          y0 + ph);
  fprintf(f, "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"black\"/>\n", x0, y0 + ph,
          x0 + pw, y0 + ph);
  for (int t = 0; t <= 4; t++) {
    double v = top * t / 4, y = y0 + ph - ph * v / top;
    fprintf(f, "<text x=\"%g\" y=\"%g\" text-anchor=\"end\">%.2f</text>\n", x0 - 4, y + 4, v);
  }
  fprintf(f, "<text x=\"14\" y=\"%g\" transform=\"rotate(-90 14 %g)\">E_m (eV)</text>\n",
          y0 + ph / 2, y0 + ph / 2);
  for (int k = 0; k < req->nd; k++) {
    double x = x0 + k * bw + 0.15 * bw, w = 0.7 * bw, v = fmax(req->em[k], 0);
    double y = y0 + ph - ph * v / top;
    fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"/>\n", x,
            y, w, y0 + ph - y, req->blocked[k] ? "#c44" : "#48c");
    if (req->spread[k] > 0) {
      double ya = y0 + ph - ph * (v + req->spread[k]) / top;
      double yb = y0 + ph - ph * fmax(v - req->spread[k], 0) / top;
      fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"black\"/>\n",
              x + w / 2, ya, x + w / 2, yb);
    }
    fprintf(f, "<text x=\"%.2f\" y=\"%g\" text-anchor=\"middle\">%d</text>\n", x + w / 2,
            y0 + ph + 16, k);
  }
  for (int d = 0; d < 3; d++) {
    if (req->limiting[d] < 0) continue;
    double y = y0 + ph - ph * req->perc[d] / top;
    fprintf(f, "<line x1=\"%g\" y1=\"%.2f\" x2=\"%g\" y2=\"%.2f\" stroke=\"#2a2\" "
            "stroke-dasharray=\"6 4\"/>\n", x0, y, x0 + pw, y);
    fprintf(f, "<text x=\"%g\" y=\"%.2f\" fill=\"#2a2\">%dD</text>\n", x0 + pw + 4, y + 4, d + 1);
  }
  fprintf(f, "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">distinct hop (red: blocked)</text>\n",
          x0 + pw / 2, y0 + ph + 34);
  fprintf(f, "</g>\n</svg>\n");
  if (fclose(f) != 0) return cli_error(cmd, "%s: write error", req->svg);
  return 0;
}

/* ---- the command ---------------------------------------------------------------- */

static int parse(const char *cmd, int argc, char **argv, request *req, int *done) {
  cli_parser p;
  cli_parser_init(&p, cmd, options, argc, argv);
  const char *v;
  int id, rc;
  while ((id = cli_next(&p, &v)) != CLI_DONE) {
    switch (id) {
    case CLI_BAD: return CLI_EXIT_USAGE;
    case CLI_POSITIONAL:
      if (req->file) return cli_usage_error(cmd, "one structure file, not several ('%s')", v);
      req->file = v;
      break;
    case OPT_ION: req->ion = v; break;
    case OPT_MAX_LENGTH:
      if ((rc = cli_parse_positive(cmd, "--max-length", v, &req->max_length))) return rc;
      break;
    case OPT_MODEL: req->model_path = v; break;
    case OPT_PROXY: req->proxy = 1; break;
    case OPT_BARRIERS: req->barriers_file = v; break;
    case OPT_WRITE_BANDS: req->bands_dir = v; break;
    case OPT_SVG: req->svg = v; break;
    case OPT_SYMPREC:
      if ((rc = cli_parse_positive(cmd, "--symprec", v, &req->symprec))) return rc;
      break;
    case OPT_MIN_SEPARATION:
      if ((rc = cli_parse_positive(cmd, "--min-separation", v, &req->min_separation))) return rc;
      break;
    case OPT_MAX_ATOMS:
      if ((rc = cli_parse_index(cmd, "--max-atoms", v, &req->max_atoms))) return rc;
      if (req->max_atoms < 1) return cli_usage_error(cmd, "--max-atoms must be at least 1");
      break;
    case OPT_THREADS:
      if ((rc = cli_parse_index(cmd, "--threads", v, &req->threads))) return rc;
      break;
    case OPT_FORMAT:
      if ((rc = cli_parse_format(cmd, "--format", v, &req->format))) return rc;
      break;
    case OPT_INDEX:
      if ((rc = cli_parse_index(cmd, "--index", v, &req->index))) return rc;
      break;
    case OPT_JSON: req->json = 1; break;
    case OPT_HELP: *done = 1; return cli_help(cmd_hops_help);
    }
  }
  if (!req->file) return cli_usage_error(cmd, "no structure file given");
  if (!req->ion) return cli_usage_error(cmd, "--ion EL is required (the mobile species, e.g. Li)");
  int sources = !!req->model_path + !!req->barriers_file + req->proxy;
  if (sources > 1)
    return cli_usage_error(cmd, "give at most one of --model, --barriers and --proxy");
  return 0;
}

static void release(request *req) {
  mb_hops_free(req->h);
  free(req->from), free(req->to), free(req->image), free(req->mult), free(req->blocked);
  free(req->length), free(req->bottleneck), free(req->window), free(req->clearance);
  free(req->em), free(req->spread);
}

int cmd_hops(int argc, char **argv) {
  const char *cmd = "hops";
  request req = {.format = MB_FORMAT_AUTO};
  int done = 0, rc = parse(cmd, argc, argv, &req, &done);
  if (rc || done) return rc;
  mb_structure *s = NULL;
  mb_status st = cli_read(req.file, req.format, req.index, &s);
  if (st) return cli_fail(cmd, st);
  st = mb_hops_create(s, req.ion, &req.h);
  if (!st && req.max_length > 0) st = mb_hops_set_option(req.h, MB_HOPS_MAX_LENGTH, req.max_length);
  if (!st && req.symprec > 0) st = mb_hops_set_option(req.h, MB_HOPS_SYMPREC, req.symprec);
  if (!st && req.min_separation > 0)
    st = mb_hops_set_option(req.h, MB_HOPS_MIN_SEPARATION, req.min_separation);
  if (!st && req.max_atoms > 0) st = mb_hops_set_option(req.h, MB_HOPS_MAX_ATOMS, req.max_atoms);
  if (!st) st = mb_hops_find(req.h);
  if (st) {
    rc = cli_fail(cmd, st);
    goto cleanup;
  }
  if ((rc = gather(cmd, &req)) || (rc = barriers(cmd, &req)) || (rc = results(cmd, &req)))
    goto cleanup;
  if (req.model_missing)
    fprintf(stderr, "migbar hops: note: no model (no --model, $MIGBAR_MODEL unset and the "
            "shipped E_m model not installed): the barriers are the geometric proxy, for "
            "ranking only (docs/hops.md)\n");
  if (req.bands_dir && (rc = write_bands(cmd, &req))) goto cleanup;
  if (req.svg && (rc = write_svg(cmd, &req, s))) goto cleanup;
  if (req.json) print_json(&req);
  else print_text(&req);
cleanup:
  release(&req);
  mb_structure_free(s);
  return rc;
}
