/* migbar predict: the outputs of a graph-network model (E_m for a barrier model)
 * for one structure or for the hop between two, as text or as one JSON object. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char cmd_predict_help[] =
    "Usage: migbar predict --model MODEL [OPTION]... STRUCTURE\n"
    "       migbar predict --model MODEL [OPTION]... INITIAL FINAL\n"
    "\n"
    "Predict the outputs of the graph-network MODEL (safetensors weights, docs/model.md).\n"
    "\n"
    "With one STRUCTURE, predict its properties. A crystal model reads it as it is; a\n"
    "band model (a migration-barrier model) needs --nband N, the number of leading atoms\n"
    "of STRUCTURE that are the images of the migrating ion (5 in the em data set, whose\n"
    "JSON entries are such bands).\n"
    "\n"
    "With INITIAL and FINAL, two structures that differ in the position of one ion,\n"
    "predict the barrier of that hop with a band model: the band of images of the ion is\n"
    "built between its two sites and \"E_m = X.XXX eV\" is printed, then the other outputs.\n"
    "\n"
    "Each output is printed as \"NAME = VALUE UNITS\" with the units of the model's\n"
    "metadata (target_units); the barrier output (named em) as \"E_m = VALUE eV\".\n"
    "\n"
    "Options:\n"
    "  -m, --model MODEL   the model file (required for now; a later release ships a\n"
    "                      default model)\n"
    "  -n, --nband N       the first N atoms of STRUCTURE are band atoms (one STRUCTURE)\n"
    "      --ion INDEX     the migrating ion, its 0-based atom index in INITIAL (default:\n"
    "                      the one atom that moves by more than 0.1 A)\n"
    "  -f, --format F      read the files as F: poscar, xyz, cif or json (default: from\n"
    "                      the file names, else from the content)\n"
    "  -i, --index N       read structure N (0-based) of files holding several (XYZ\n"
    "                      frames, JSON array entries, CIF data blocks); default 0\n"
    "  -j, --json          print one JSON object instead of text\n"
    "  -h, --help          show this help and exit\n"
    "\n"
    "Examples:\n"
    "  migbar predict --model em.safetensors POSCAR_initial POSCAR_final\n"
    "  migbar predict --model em.safetensors --ion 12 --json POSCAR_initial POSCAR_final\n"
    "  migbar predict --model em.safetensors --index 3 --nband 5 train.json\n"
    "  migbar predict --model mpt.safetensors NaCl.cif\n";

enum { OPT_MODEL = 1, OPT_NBAND, OPT_ION, OPT_FORMAT, OPT_INDEX, OPT_JSON, OPT_HELP };
static const cli_option options[] = {
    {"model", 'm', 1, OPT_MODEL}, {"nband", 'n', 1, OPT_NBAND}, {"ion", 0, 1, OPT_ION},
    {"format", 'f', 1, OPT_FORMAT}, {"index", 'i', 1, OPT_INDEX}, {"json", 'j', 0, OPT_JSON},
    {"help", 'h', 0, OPT_HELP},   {NULL, 0, 0, 0}};

#define UNITS_SIZE 64

/* What predict was asked, and what it found, so that text and JSON show the same. */
typedef struct request {
  const char *model_path;
  const char *file[2]; /* STRUCTURE, or INITIAL and FINAL */
  int nfiles;
  mb_format format;
  int index;
  int nband, ion; /* -1: not given */
  int json;
  int is_band;
  int noutputs;
  double *outputs;
  const char **names;
  char (*units)[UNITS_SIZE];
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

/* Units of output p from the model's metadata JSON: the p-th string of the
 * "target_units" array, "" when there is none. The metadata may hold the
 * architecture as a nested object or as a JSON text inside a string (that is
 * how safetensors stores it), so the array's quotes may be escaped (\"); unit
 * names are plain ASCII, and a backslash escape inside one is copied as the
 * character it escapes. */
static void units_of(const char *json, int p, char *out, size_t size) {
  static const char key[] = "target_units";
  out[0] = '\0';
  const char *k = json ? strstr(json, key) : NULL;
  if (!k) return;
  k += sizeof key - 1;
  while (*k && *k != '[') { /* the key's closing quote, the colon, blanks */
    if (*k == ',' || *k == '{' || *k == '}') return;
    k++;
  }
  if (!*k) return;
  k++;
  for (int item = 0;; item++) {
    while (*k == ' ' || *k == ',' || *k == '\n' || *k == '\t' || *k == '\r') k++;
    int escaped = k[0] == '\\' && k[1] == '"';
    if (!escaped && k[0] != '"') return; /* ']' or something unexpected */
    k += escaped ? 2 : 1;
    size_t n = 0;
    for (;;) {
      if (!*k) return;
      if (escaped ? (k[0] == '\\' && k[1] == '"') : k[0] == '"') break;
      if (k[0] == '\\' && k[1]) k++;
      if (item == p && n + 1 < size) out[n++] = *k;
      k++;
    }
    k += escaped ? 2 : 1;
    if (item == p) {
      out[n] = '\0';
      return;
    }
  }
}

/* Output names and units of the loaded model; allocates req->outputs/names/units. */
static mb_status describe_model(const mb_model *m, request *req) {
  char *meta = NULL;
  mb_status st;
  if ((st = mb_model_noutputs(m, &req->noutputs)) ||
      (st = mb_model_is_band_model(m, &req->is_band)))
    return st;
  size_t p = req->noutputs > 0 ? (size_t)req->noutputs : 1;
  req->outputs = calloc(p, sizeof *req->outputs);
  req->names = calloc(p, sizeof *req->names);
  req->units = calloc(p, sizeof *req->units);
  if (!req->outputs || !req->names || !req->units) return MB_ERR_NOMEM;
  if ((st = mb_model_metadata(m, &meta))) return st;
  for (int k = 0; k < req->noutputs && !st; k++) {
    st = mb_model_output_name(m, k, &req->names[k]);
    units_of(meta, k, req->units[k], UNITS_SIZE);
  }
  mb_free(meta);
  return st;
}

static void print_text(const request *req) {
  for (int k = 0; k < req->noutputs; k++) {
    const char *u = req->units[k];
    if (strcmp(req->names[k], "em") == 0)
      printf("E_m = %.3f %s\n", req->outputs[k], *u ? u : "eV");
    else
      printf("%s = %.6g%s%s\n", req->names[k], req->outputs[k], *u ? " " : "", u);
  }
}

static void print_json(const request *req) {
  FILE *f = stdout;
  fputs("{\"model\": ", f);
  cli_json_string(f, req->model_path);
  fprintf(f, ", \"band_model\": %s", req->is_band ? "true" : "false");
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
  fputs(", \"outputs\": {", f);
  for (int k = 0; k < req->noutputs; k++) {
    cli_json_string(f, req->names[k]);
    fputs(": ", f);
    cli_json_number(f, req->outputs[k]);
    if (k + 1 < req->noutputs) fputs(", ", f);
  }
  fputs("}, \"units\": {", f);
  for (int k = 0; k < req->noutputs; k++) {
    cli_json_string(f, req->names[k]);
    fputs(": ", f);
    cli_json_string(f, req->units[k]);
    if (k + 1 < req->noutputs) fputs(", ", f);
  }
  fputs("}}\n", f);
}

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
    case OPT_FORMAT:
      if (cli_parse_format(cmd, "--format", value, &req->format)) return CLI_EXIT_USAGE;
      break;
    case OPT_INDEX:
      if (cli_parse_index(cmd, "--index", value, &req->index)) return CLI_EXIT_USAGE;
      break;
    case OPT_JSON: req->json = 1; break;
    default: /* CLI_POSITIONAL */
      if (req->nfiles == 2)
        return cli_usage_error(cmd, "unexpected argument '%s' (predict reads STRUCTURE or "
                               "INITIAL FINAL)", value);
      req->file[req->nfiles++] = value;
    }
  }
  if (!req->model_path)
    return cli_usage_error(cmd, "no --model given (a default model ships in a later "
                           "release; until then name the weights file)");
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
  mb_model *model = NULL;
  mb_structure *s[2] = {NULL, NULL};
  mb_status st;
  int rc, done = 0;
  req.format = MB_FORMAT_AUTO;
  req.nband = req.ion = -1;
  rc = parse_args(cmd, argc, argv, &req, &done);
  if (rc || done) goto cleanup;

  rc = CLI_EXIT_FAIL;
  if ((st = mb_model_load(req.model_path, &model)) || (st = describe_model(model, &req))) {
    cli_fail(cmd, st);
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
  if (req.nfiles == 1)
    st = mb_model_predict_structure(model, s[0], req.nband < 0 ? 0 : req.nband, req.outputs);
  else
    st = mb_model_predict_band(model, s[0], s[1], req.ion, req.outputs);
  if (st) {
    cli_fail(cmd, st);
    goto cleanup;
  }
  mb_clear_error();
  if (req.json)
    print_json(&req);
  else
    print_text(&req);
  rc = CLI_EXIT_OK;
cleanup:
  mb_structure_free(s[0]);
  mb_structure_free(s[1]);
  mb_model_free(model);
  free(req.outputs);
  free(req.names);
  free(req.units);
  return rc;
}
