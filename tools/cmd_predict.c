/* migbar predict: the outputs of a graph-network model or ensemble (E_m and its spread for
 * a barrier model) for one structure, for the hop between two, or streamed as JSON lines
 * for every entry of a JSON data set. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"

const char cmd_predict_help[] =
    "Usage: migbar predict [--model MODEL] [OPTION]... INITIAL FINAL\n"
    "       migbar predict [--model MODEL] [OPTION]... STRUCTURE\n"
    "       migbar predict [--model MODEL] [OPTION]... --dataset FILE.json\n"
    "\n"
    "Predict the migration barrier E_m (eV) of an ion hop, or the outputs of another\n"
    "graph-network model, with an ensemble of models: the prediction is the members'\n"
    "mean, its uncertainty their spread (docs/model.md).\n"
    "\n"
    "With INITIAL and FINAL, two structures of the same atoms and cell that differ in the\n"
    "position of one ion, the band of images of that ion is built between its two sites\n"
    "and \"E_m = 0.512 +/- 0.043 eV\" is printed (mean +/- spread; a single model prints\n"
    "no spread). Warnings about what the training data does not cover (elements it\n"
    "never saw, a hop longer than any in it) go to stderr as \"migbar: warning: ...\".\n"
    "\n"
    "With one STRUCTURE, predict its properties: a crystal model reads it as it is; a\n"
    "band model needs --nband N, the number of leading atoms that are the images of the\n"
    "migrating ion (5 in the em data set, whose JSON entries are such bands).\n"
    "\n"
    "With --dataset, read a JSON array of entries in the layout of the em data set and\n"
    "print one JSON line per entry, in order, as it is computed:\n"
    "  {\"jid\": ..., \"em\": 0.512, \"std\": 0.043}\n"
    "(jid as the entry has it, null if none; \"error\" instead of values for an entry\n"
    "that cannot be predicted). A progress bar is drawn on stderr when it is a terminal.\n"
    "\n"
    "Options:\n"
    "  -m, --model MODEL   an ensemble manifest (.json) or one model (.safetensors);\n"
    "                      default: $MIGBAR_MODEL, else the shipped E_m model\n"
    "                      (PREFIX/share/migbar/models/em/ensemble.json)\n"
    "      --ion INDEX     the migrating ion, its 0-based atom index in INITIAL (default:\n"
    "                      the one atom that moves by more than 0.1 A)\n"
    "  -n, --nband N       the first N atoms of STRUCTURE (or of each --dataset entry;\n"
    "                      default 5 there) are the images of the migrating ion\n"
    "      --dataset FILE  predict every entry of the JSON array FILE ('-': stdin)\n"
    "      --threads N     threads for --dataset (default 0: one per core); set\n"
    "                      OPENBLAS_NUM_THREADS=1 to keep OpenBLAS from adding more\n"
    "  -T, --temperature T with --d0: also print D = D0 exp(-E_m / kB T), T in kelvin\n"
    "      --d0 D0         the prefactor of D (D is printed in the units of D0)\n"
    "  -f, --format F      read the files as F: poscar, xyz, cif or json (default: from\n"
    "                      the file names, else from the content)\n"
    "  -i, --index N       read structure N (0-based) of files holding several (XYZ\n"
    "                      frames, JSON array entries, CIF data blocks); default 0\n"
    "  -j, --json          print one JSON object instead of text\n"
    "  -h, --help          show this help and exit\n"
    "\n"
    "Examples:\n"
    "  migbar predict POSCAR_initial POSCAR_final\n"
    "  migbar predict --temperature 300 --d0 1e-3 POSCAR_initial POSCAR_final\n"
    "  migbar predict --model em.safetensors --ion 12 --json POSCAR_initial POSCAR_final\n"
    "  migbar predict --dataset test.json > predictions.jsonl\n"
    "  migbar predict --model mpt.safetensors NaCl.cif\n";

enum {
  OPT_MODEL = 1, OPT_NBAND, OPT_ION, OPT_FORMAT, OPT_INDEX, OPT_JSON, OPT_HELP, OPT_DATASET,
  OPT_THREADS, OPT_TEMPERATURE, OPT_D0
};
static const cli_option options[] = {
    {"model", 'm', 1, OPT_MODEL},     {"nband", 'n', 1, OPT_NBAND},
    {"ion", 0, 1, OPT_ION},           {"format", 'f', 1, OPT_FORMAT},
    {"index", 'i', 1, OPT_INDEX},     {"json", 'j', 0, OPT_JSON},
    {"help", 'h', 0, OPT_HELP},       {"dataset", 0, 1, OPT_DATASET},
    {"threads", 0, 1, OPT_THREADS},   {"temperature", 'T', 1, OPT_TEMPERATURE},
    {"d0", 0, 1, OPT_D0},             {NULL, 0, 0, 0}};

#define UNITS_SIZE 64
#define MODEL_PATH_SIZE 4096
/* Boltzmann constant, eV/K (CODATA 2018, exact). */
#define KB_EV 8.617333262e-5
/* Entries predicted per call when streaming a data set. */
#define CHUNK 16

/* What predict was asked, and what it found, so that text and JSON show the same. */
typedef struct request {
  const char *model_path;
  char default_model[MODEL_PATH_SIZE];
  const char *file[2]; /* STRUCTURE, or INITIAL and FINAL */
  int nfiles;
  const char *dataset;
  int threads;
  mb_format format;
  int index;
  int nband, ion; /* -1: not given */
  int json;
  double temperature, d0; /* 0: not given */
  int is_band, nmembers;
  int noutputs, em;   /* em: index of the output named em, or -1 */
  double *outputs, *std;
  const char **names;
  char (*units)[UNITS_SIZE];
  char *warnings;     /* from mb_ensemble_check_hop, or NULL */
} request;

static int parse_count(const char *cmd, const char *option, const char *text,
                       const char *what, int *value) {
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (end == text || *end != '\0' || errno || v < 0 || v > INT_MAX)
    return cli_usage_error(cmd, "%s expects %s 0, 1, 2, ..., not '%s'", option, what, text);
  *value = (int)v;
  return 0;
}

/* ---- the model ----------------------------------------------------------------- */

/* The shipped model when --model is not given (cli_default_model). Returns 0 when
 * found; otherwise prints where it looked and returns an exit status. */
static int find_default_model(const char *cmd, request *req) {
  char bindir[MODEL_PATH_SIZE];
  if (cli_default_model(req->default_model, sizeof req->default_model, bindir,
                        sizeof bindir) == 0) {
    req->model_path = req->default_model;
    return 0;
  }
  return cli_error(cmd, "no --model given, and the shipped E_m model is not available (not "
                   "in $MIGBAR_MODEL, nor in %s/../share/migbar/models/em/ensemble.json); "
                   "give --model MODEL (an ensemble manifest or a .safetensors file) or set "
                   "MIGBAR_MODEL", bindir);
}

/* Output names and units of the loaded ensemble (all members share them); allocates
 * req->outputs/std/names/units. */
static mb_status describe_model(const mb_ensemble *e, request *req) {
  const mb_model *m = NULL;
  mb_status st;
  if ((st = mb_ensemble_size(e, &req->nmembers)) || (st = mb_ensemble_member(e, 0, &m)) ||
      (st = mb_model_noutputs(m, &req->noutputs)) || (st = mb_model_is_band_model(m, &req->is_band)))
    return st;
  size_t p = req->noutputs > 0 ? (size_t)req->noutputs : 1;
  req->outputs = calloc(p, sizeof *req->outputs);
  req->std = calloc(p, sizeof *req->std);
  req->names = calloc(p, sizeof *req->names);
  req->units = calloc(p, sizeof *req->units);
  if (!req->outputs || !req->std || !req->names || !req->units) return MB_ERR_NOMEM;
  req->em = -1;
  for (int k = 0; k < req->noutputs && !st; k++) {
    const char *units = "";
    if (!(st = mb_model_output_name(m, k, &req->names[k])) &&
        !(st = mb_model_output_units(m, k, &units)))
      snprintf(req->units[k], UNITS_SIZE, "%s", units);
    if (!st && req->em < 0 && strcmp(req->names[k], "em") == 0) req->em = k;
  }
  return st;
}

static double diffusivity(const request *req, double em) {
  return req->d0 * exp(-em / (KB_EV * req->temperature));
}

/* ---- one structure or one hop ------------------------------------------------------ */

static void print_text(const request *req) {
  for (int k = 0; k < req->noutputs; k++) {
    const char *u = req->units[k];
    int spread = req->nmembers > 1;
    if (k == req->em) {
      printf("E_m = %.3f", req->outputs[k]);
      if (spread) printf(" +/- %.3f", req->std[k]);
      printf(" %s\n", *u ? u : "eV");
    } else {
      printf("%s = %.6g", req->names[k], req->outputs[k]);
      if (spread) printf(" +/- %.2g", req->std[k]);
      printf("%s%s\n", *u ? " " : "", u);
    }
  }
  if (req->temperature > 0 && req->em >= 0) {
    double em = req->outputs[req->em], s = req->std[req->em];
    printf("D = %.3g at T = %g K (units of D0 = %g)", diffusivity(req, em), req->temperature,
           req->d0);
    if (req->nmembers > 1)
      printf("; %.3g to %.3g for E_m +/- spread", diffusivity(req, em + s),
             diffusivity(req, em - s));
    putchar('\n');
  }
}

static void print_json_map(FILE *f, const request *req, const double *values) {
  fputc('{', f);
  for (int k = 0; k < req->noutputs; k++) {
    cli_json_string(f, req->names[k]);
    fputs(": ", f);
    cli_json_number(f, values[k]);
    if (k + 1 < req->noutputs) fputs(", ", f);
  }
  fputc('}', f);
}

/* The lines of warnings as a JSON array of strings. */
static void json_lines(FILE *f, const char *w) {
  fputc('[', f);
  for (const char *first = w; w && *w;) {
    const char *nl = strchr(w, '\n');
    size_t len = nl ? (size_t)(nl - w) : strlen(w);
    char line[1024];
    snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), w);
    if (w != first) fputs(", ", f);
    cli_json_string(f, line);
    w += len + (nl ? 1 : 0);
  }
  fputc(']', f);
}

static void print_json(const request *req) {
  FILE *f = stdout;
  fputs("{\"model\": ", f);
  cli_json_string(f, req->model_path);
  fprintf(f, ", \"members\": %d, \"band_model\": %s", req->nmembers,
          req->is_band ? "true" : "false");
  if (req->nfiles == 1) {
    fputs(", \"structure\": ", f);
    cli_json_string(f, req->file[0]);
  } else {
    fputs(", \"initial\": ", f);
    cli_json_string(f, req->file[0]);
    fputs(", \"final\": ", f);
    cli_json_string(f, req->file[1]);
  }
  fprintf(f, ", \"index\": %d, \"nband\": ", req->index);
  if (req->nfiles == 1)
    fprintf(f, "%d", req->nband < 0 ? 0 : req->nband);
  else
    fputs("null", f);
  fputs(", \"ion\": ", f);
  if (req->ion >= 0)
    fprintf(f, "%d", req->ion);
  else
    fputs("null", f);
  fputs(", \"outputs\": ", f);
  print_json_map(f, req, req->outputs);
  fputs(", \"std\": ", f);
  print_json_map(f, req, req->std);
  fputs(", \"units\": {", f);
  for (int k = 0; k < req->noutputs; k++) {
    cli_json_string(f, req->names[k]);
    fputs(": ", f);
    cli_json_string(f, req->units[k]);
    if (k + 1 < req->noutputs) fputs(", ", f);
  }
  fputs("}, \"warnings\": ", f);
  json_lines(f, req->warnings);
  if (req->temperature > 0 && req->em >= 0) {
    fprintf(f, ", \"temperature\": %.10g, \"d0\": %.10g, \"D\": ", req->temperature, req->d0);
    cli_json_number(f, diffusivity(req, req->outputs[req->em]));
  }
  fputs("}\n", f);
}

/* ---- a data set, streamed ------------------------------------------------------------ */

/* The whole of a file ("-": stdin), NUL-terminated, at most MB_TEXT_FILE_LIMIT bytes
 * (EFBIG beyond: a pipe that never ends must not take all memory). */
static char *read_all(const char *path, size_t *size) {
  FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
  if (!f) return NULL;
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap), *p;
  int big = 0;
  while (buf) {
    len += fread(buf + len, 1, cap - len - 1, f);
    if (len + 1 < cap) break;
    if (cap >= MB_TEXT_FILE_LIMIT) { /* full, and doubling would pass the limit */
      big = 1;
      break;
    }
    if (!(p = realloc(buf, cap *= 2))) free(buf);
    buf = p;
  }
  int err = ferror(f);
  if (f != stdin) fclose(f);
  if (!buf || err || big) {
    free(buf);
    if (!err) errno = big ? EFBIG : ENOMEM;
    return NULL;
  }
  buf[len] = '\0';
  *size = len;
  return buf;
}

/* A JSON value printed back with every number to 17 significant digits, so that it
 * reads back as the same doubles (cJSON's printer keeps 15 digits whenever they read
 * back within a relative DBL_EPSILON); strings, literals and layout through cJSON. */
static void print_exact(FILE *f, const cJSON *v) {
  const cJSON *x;
  if (cJSON_IsNumber(v)) {
    fprintf(f, "%.17g", v->valuedouble);
  } else if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
    int obj = cJSON_IsObject(v), first = 1;
    fputc(obj ? '{' : '[', f);
    cJSON_ArrayForEach(x, v) {
      if (!first) fputc(',', f);
      first = 0;
      if (obj) {
        cJSON *key = cJSON_CreateString(x->string);
        char *k = key ? cJSON_PrintUnformatted(key) : NULL;
        fprintf(f, "%s:", k ? k : "\"\"");
        cJSON_free(k);
        cJSON_Delete(key);
      }
      print_exact(f, x);
    }
    fputc(obj ? '}' : ']', f);
  } else {
    char *t = cJSON_PrintUnformatted(v);
    fputs(t ? t : "null", f);
    cJSON_free(t);
  }
}

/* print_exact into a new string (free()), NULL when out of memory. */
static char *exact_text(const cJSON *v) {
  char *out = NULL;
  size_t size = 0;
  FILE *f = open_memstream(&out, &size);
  if (!f) return NULL;
  print_exact(f, v);
  if (fclose(f) != 0) {
    free(out);
    return NULL;
  }
  return out;
}

/* The hop of a band entry (the first nband atoms are images of one ion): initial = host +
 * image 0, final = host + image nband-1, for the warnings of mb_ensemble_check_hop. */
static mb_status band_warnings(const mb_ensemble *e, const mb_structure *band, int nband,
                               char **warnings) {
  int n;
  double lat[9];
  mb_status st;
  *warnings = NULL;
  if (nband < 2 || (st = mb_structure_natoms(band, &n)) || n <= nband ||
      (st = mb_structure_lattice(band, lat)))
    return MB_OK;
  int m = n - nband + 1;
  double *f = malloc(sizeof *f * 3 * (size_t)n);
  int *z = malloc(sizeof *z * (size_t)n);
  mb_structure *a = NULL, *b = NULL;
  st = MB_ERR_NOMEM;
  if (f && z && !(st = mb_structure_positions(band, MB_COORDS_FRACTIONAL, f)) &&
      !(st = mb_structure_numbers(band, z))) {
    double *hf = f + 3 * (nband - 1);
    int *hz = z + nband - 1;
    st = mb_structure_create(lat, m, hf, MB_COORDS_FRACTIONAL, hz, &b); /* image nband-1 */
    memcpy(hf, f, 3 * sizeof *f);
    hz[0] = z[0];
    if (!st) st = mb_structure_create(lat, m, hf, MB_COORDS_FRACTIONAL, hz, &a); /* image 0 */
    if (!st) st = mb_ensemble_check_hop(e, a, b, 0, warnings);
  }
  mb_structure_free(a);
  mb_structure_free(b);
  free(f);
  free(z);
  return st;
}

/* One JSON line: jid, each output and its spread ("std" for a one-output model, else
 * "NAME_std"; null after an error, which is given as "error"), and the warnings. */
static void print_line(const request *req, const char *jid, const double *mean,
                       const double *std, const char *error, const char *warnings) {
  printf("{\"jid\": %s", jid);
  for (int k = 0; k < req->noutputs; k++) {
    char key[256];
    snprintf(key, sizeof key, "%s_std", req->names[k]);
    printf(", ");
    cli_json_string(stdout, req->names[k]);
    printf(": ");
    cli_json_number(stdout, error ? NAN : mean[k]);
    printf(", ");
    cli_json_string(stdout, req->noutputs == 1 ? "std" : key);
    printf(": ");
    cli_json_number(stdout, error ? NAN : std[k]);
  }
  if (!error && req->temperature > 0 && req->em >= 0) {
    printf(", \"D\": ");
    cli_json_number(stdout, diffusivity(req, mean[req->em]));
  }
  if (error) {
    printf(", \"error\": ");
    cli_json_string(stdout, error);
  }
  if (warnings && *warnings) {
    printf(", \"warnings\": ");
    json_lines(stdout, warnings);
  }
  printf("}\n");
}

static void progress(int done, int total, int tty) {
  if (!tty) return;
  int width = 40, fill = total ? (int)((long)done * width / total) : width;
  fprintf(stderr, "\r[%.*s%*s] %d/%d", fill, "########################################",
          width - fill, "", done, total);
  if (done == total) fputs("\n", stderr);
  fflush(stderr);
}

/* Predict entries [first, first + n) of the data set and print their lines; returns the
 * number of entries that failed. */
/* Entries first .. first+n-1 of the data set: text[i] the entry as JSON, jids[i] its
 * top-level "jid" as JSON ("null" when none). */
static int predict_chunk(const mb_ensemble *e, const request *req, const char *name,
                         char *const *text, char *const *jids, int first, int n) {
  mb_structure *s[CHUNK] = {NULL};
  char msg[CHUNK][512], jid[CHUNK][128], *warn[CHUNK] = {NULL};
  int nb[CHUNK], ok[CHUNK], failed = 0, P = req->noutputs;
  double *mean = calloc((size_t)CHUNK * P, sizeof *mean), *std = calloc((size_t)CHUNK * P, sizeof *std);
  int nband = req->nband >= 0 ? req->nband : req->is_band ? 5 : 0;
  for (int i = 0; i < n; i++) {
    char where[1100];
    int idx = first + i;
    snprintf(jid[i], sizeof jid[i], "%s", jids[idx] ? jids[idx] : "null");
    snprintf(where, sizeof where, "%s[%d]", name, idx);
    nb[i] = nband;
    ok[i] = mb_structure_read_buffer(text[idx], strlen(text[idx]), MB_FORMAT_JSON, where, 0,
                                     &s[i]) == MB_OK;
    if (!ok[i]) snprintf(msg[i], sizeof msg[i], "%s", mb_last_error());
    else if (req->is_band && band_warnings(e, s[i], nband, &warn[i]) != MB_OK) warn[i] = NULL;
  }
  /* all readable entries in one call; if that fails, one by one to find the culprits */
  const mb_structure *list[CHUNK];
  int m = 0, map[CHUNK];
  for (int i = 0; i < n; i++)
    if (ok[i]) map[m] = i, list[m++] = s[i];
  double *bm = calloc((size_t)CHUNK * P, sizeof *bm), *bs = calloc((size_t)CHUNK * P, sizeof *bs);
  int batch_ok = mean && std && bm && bs &&
                 mb_ensemble_predict_batch(e, m, list, nb, req->threads, bm, bs) == MB_OK;
  for (int j = 0; j < m; j++) {
    int i = map[j];
    if (batch_ok) {
      memcpy(&mean[(size_t)i * P], &bm[(size_t)j * P], sizeof *bm * P);
      memcpy(&std[(size_t)i * P], &bs[(size_t)j * P], sizeof *bs * P);
    } else if (!mean || !std ||
               mb_ensemble_predict_batch(e, 1, &list[j], &nb[i], req->threads,
                                         &mean[(size_t)i * P], &std[(size_t)i * P]) != MB_OK) {
      ok[i] = 0;
      snprintf(msg[i], sizeof msg[i], "%s", mean && std ? mb_last_error() : "out of memory");
    }
  }
  for (int i = 0; i < n; i++) {
    if (!ok[i]) {
      failed++;
      fprintf(stderr, "%smigbar predict: entry %d (jid %s): %s\n", isatty(2) ? "\r" : "",
              first + i, jid[i], msg[i]);
    }
    print_line(req, jid[i], ok[i] ? &mean[(size_t)i * P] : NULL, ok[i] ? &std[(size_t)i * P] : NULL,
               ok[i] ? NULL : msg[i], warn[i]);
    mb_free(warn[i]);
    mb_structure_free(s[i]);
  }
  free(mean), free(std), free(bm), free(bs);
  return failed;
}

static int predict_dataset(const char *cmd, const mb_ensemble *e, const request *req) {
  size_t size = 0;
  char *data = read_all(req->dataset, &size);
  if (!data && errno == EFBIG)
    return cli_error(cmd, "%s: more than %zu MiB, the limit for a data set file", req->dataset,
                     MB_TEXT_FILE_LIMIT >> 20);
  if (!data) return cli_error(cmd, "%s: cannot read: %s", req->dataset, strerror(errno));
  /* the array and its entries by cJSON; each entry goes to the library's JSON reader */
  const char *err = NULL;
  cJSON *root = cJSON_ParseWithLengthOpts(data, size, &err, 0);
  char **text = NULL, **jids = NULL;
  int n = 0, rc = CLI_EXIT_FAIL, failed = 0;
  if (!root) {
    long line = 1;
    for (const char *q = data; err && q < err && *q; q++) line += *q == '\n';
    cli_error(cmd, "%s:%ld: not valid JSON", req->dataset, line);
    goto done;
  }
  if (!cJSON_IsArray(root)) {
    cli_error(cmd, "%s: expected a JSON array of entries (the layout of the em data set)",
              req->dataset);
    goto done;
  }
  int count = cJSON_GetArraySize(root);
  text = calloc((size_t)count + 1, sizeof *text);
  jids = calloc((size_t)count + 1, sizeof *jids);
  if (!text || !jids) {
    cli_error(cmd, "out of memory");
    goto done;
  }
  const cJSON *entry;
  cJSON_ArrayForEach(entry, root) {
    if (!cJSON_IsObject(entry)) {
      cli_error(cmd, "%s: entry %d is not a JSON object", req->dataset, n);
      goto done;
    }
    const cJSON *jid = cJSON_GetObjectItemCaseSensitive(entry, "jid");
    text[n] = exact_text(entry);
    jids[n] = jid ? cJSON_PrintUnformatted(jid) : NULL; /* NULL: printed as null */
    if (!text[n++] || (jid && !jids[n - 1])) {
      cli_error(cmd, "out of memory");
      goto done;
    }
  }
  int tty = isatty(2);
  progress(0, n, tty);
  for (int first = 0; first < n; first += CHUNK) {
    int m = n - first < CHUNK ? n - first : CHUNK;
    failed += predict_chunk(e, req, req->dataset, text, jids, first, m);
    fflush(stdout);
    progress(first + m, n, tty);
  }
  if (failed) cli_error(cmd, "%d of %d entries could not be predicted", failed, n);
  rc = failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
done:
  for (int i = 0; text && jids && i < n; i++) {
    free(text[i]);
    cJSON_free(jids[i]);
  }
  free(text), free(jids);
  cJSON_Delete(root);
  free(data);
  return rc;
}

/* ---- the command --------------------------------------------------------------------- */

/* Options and arguments into req; returns 0 or an exit status (help or usage error). */
static int parse_args(const char *cmd, int argc, char **argv, request *req, int *done) {
  cli_parser p;
  const char *value;
  int id;
  cli_parser_init(&p, cmd, options, argc, argv);
  while ((id = cli_next(&p, &value)) != CLI_DONE) {
    switch (id) {
    case CLI_BAD: return CLI_EXIT_USAGE;
    case OPT_HELP: *done = 1; return cli_help(cmd_predict_help);
    case OPT_MODEL: req->model_path = value; break;
    case OPT_NBAND:
      if (parse_count(cmd, "--nband", value, "a number of atoms", &req->nband))
        return CLI_EXIT_USAGE;
      break;
    case OPT_ION:
      if (parse_count(cmd, "--ion", value, "an atom index", &req->ion)) return CLI_EXIT_USAGE;
      break;
    case OPT_THREADS:
      if (parse_count(cmd, "--threads", value, "a number of threads", &req->threads))
        return CLI_EXIT_USAGE;
      break;
    case OPT_TEMPERATURE:
      if (cli_parse_positive(cmd, "--temperature", value, &req->temperature))
        return CLI_EXIT_USAGE;
      break;
    case OPT_D0:
      if (cli_parse_positive(cmd, "--d0", value, &req->d0)) return CLI_EXIT_USAGE;
      break;
    case OPT_DATASET: req->dataset = value; break;
    case OPT_FORMAT:
      if (cli_parse_format(cmd, "--format", value, &req->format)) return CLI_EXIT_USAGE;
      break;
    case OPT_INDEX:
      if (cli_parse_index(cmd, "--index", value, &req->index)) return CLI_EXIT_USAGE;
      break;
    case OPT_JSON: req->json = 1; break;
    default: /* CLI_POSITIONAL */
      if (req->nfiles == 2 || req->dataset)
        return cli_usage_error(cmd, "unexpected argument '%s' (predict reads STRUCTURE, "
                               "INITIAL FINAL or --dataset FILE)", value);
      req->file[req->nfiles++] = value;
    }
  }
  if ((req->temperature > 0) != (req->d0 > 0))
    return cli_usage_error(cmd, "--temperature and --d0 go together (D = D0 exp(-E_m / kB T))");
  if (req->dataset) {
    if (req->nfiles)
      return cli_usage_error(cmd, "unexpected argument '%s': --dataset reads its structures "
                             "from FILE", req->file[0]);
    if (req->ion >= 0 || req->json || req->index || req->format != MB_FORMAT_AUTO)
      return cli_usage_error(cmd, "--ion, --json, --index and --format are not for --dataset "
                             "(its output is JSON lines already)");
    return 0;
  }
  if (req->threads) return cli_usage_error(cmd, "--threads is for --dataset");
  if (req->nfiles == 0) return cli_usage_error(cmd, "no STRUCTURE given");
  if (req->nfiles == 2) {
    if (req->nband >= 0)
      return cli_usage_error(cmd, "--nband is for one STRUCTURE; a hop INITIAL FINAL builds "
                             "its own band");
    if (strcmp(req->file[0], "-") == 0 && strcmp(req->file[1], "-") == 0)
      return cli_usage_error(cmd, "INITIAL and FINAL cannot both be standard input");
  } else if (req->ion >= 0) {
    return cli_usage_error(cmd, "--ion is for a hop: give INITIAL and FINAL");
  }
  return 0;
}

int cmd_predict(int argc, char **argv) {
  static const char cmd[] = "predict";
  request req = {0};
  mb_ensemble *model = NULL;
  mb_structure *s[2] = {NULL, NULL};
  mb_status st;
  int rc, done = 0;
  req.format = MB_FORMAT_AUTO;
  req.nband = req.ion = -1;
  rc = parse_args(cmd, argc, argv, &req, &done);
  if (rc || done) goto cleanup;

  rc = CLI_EXIT_FAIL;
  if (!req.model_path && find_default_model(cmd, &req)) goto cleanup;
  if ((st = mb_ensemble_load(req.model_path, &model)) || (st = describe_model(model, &req))) {
    cli_fail(cmd, st);
    goto cleanup;
  }
  if (req.temperature > 0 && req.em < 0) {
    rc = cli_usage_error(cmd, "%s has no output named em: --temperature and --d0 need a "
                         "barrier model", req.model_path);
    goto cleanup;
  }
  if (req.dataset) {
    rc = predict_dataset(cmd, model, &req);
    goto cleanup;
  }
  if (req.nfiles == 2 && !req.is_band) {
    cli_error(cmd, "%s is a crystal model; a hop INITIAL FINAL needs a band (barrier) model",
              req.model_path);
    goto cleanup;
  }
  if (req.nfiles == 1 && req.is_band && req.nband < 0) {
    rc = cli_usage_error(cmd, "%s is a band model: give --nband N (the first N atoms of "
                         "STRUCTURE are the images of the migrating ion, 5 in the em data "
                         "set), or INITIAL FINAL", req.model_path);
    goto cleanup;
  }
  for (int k = 0; k < req.nfiles; k++) {
    if ((st = cli_read(req.file[k], req.format, req.index, &s[k]))) {
      cli_fail(cmd, st);
      goto cleanup;
    }
  }
  if (req.nfiles == 1) {
    const mb_structure *list[1] = {s[0]};
    int nb = req.nband < 0 ? 0 : req.nband;
    st = mb_ensemble_predict_batch(model, 1, list, &nb, 1, req.outputs, req.std);
    /* a band whose end images do not make a valid hop still gets its prediction;
     * it just has no domain warnings (as for --dataset entries) */
    if (!st && req.is_band && band_warnings(model, s[0], nb, &req.warnings) != MB_OK)
      req.warnings = NULL;
  } else {
    st = mb_ensemble_check_hop(model, s[0], s[1], req.ion, &req.warnings);
    if (!st) st = mb_ensemble_predict_band(model, s[0], s[1], req.ion, req.outputs, req.std);
  }
  if (st) {
    cli_fail(cmd, st);
    goto cleanup;
  }
  mb_clear_error();
  cli_warn_lines("migbar: warning: ", req.warnings);
  if (req.json)
    print_json(&req);
  else
    print_text(&req);
  rc = CLI_EXIT_OK;
cleanup:
  mb_structure_free(s[0]);
  mb_structure_free(s[1]);
  mb_ensemble_free(model);
  mb_free(req.warnings);
  free(req.outputs);
  free(req.std);
  free(req.names);
  free(req.units);
  return rc;
}
