/* Shared helpers of the migbar command: messages, option parsing, argument
 * values, reading standard input, JSON output. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- messages ------------------------------------------------------------ */

static size_t utf8_length(const unsigned char *s);

/* text on stderr with control bytes and bytes that are not UTF-8 as \xNN: messages
 * quote arguments and file content, which must not drive the terminal. */
static void put_escaped(const char *text, size_t len) {
  const unsigned char *s = (const unsigned char *)text;
  for (size_t k = 0; k < len && s[k];) {
    size_t n = s[k] < 0x20 || s[k] == 0x7f ? 0 : utf8_length(s + k);
    if (n == 0 || k + n > len) {
      fprintf(stderr, "\\x%02x", s[k]);
      k++;
    } else {
      fwrite(s + k, 1, n, stderr);
      k += n;
    }
  }
}

static void vmessage(const char *cmd, const char *fmt, va_list ap) {
  char msg[2048];
  vsnprintf(msg, sizeof msg, fmt, ap);
  if (cmd)
    fprintf(stderr, "migbar %s: ", cmd);
  else
    fputs("migbar: ", stderr);
  put_escaped(msg, strlen(msg));
  fputc('\n', stderr);
}

/* What reading standard input found wrong (the library has no message for it). */
static char stdin_error[256];

int cli_fail(const char *cmd, mb_status st) {
  const char *msg = mb_last_error();
  if ((!msg || !*msg) && stdin_error[0]) msg = stdin_error;
  if (!msg || !*msg) msg = mb_strerror(st);
  fprintf(stderr, "migbar %s: ", cmd);
  put_escaped(msg, strlen(msg));
  fputc('\n', stderr);
  return CLI_EXIT_FAIL;
}

int cli_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vmessage(cmd, fmt, ap);
  va_end(ap);
  return CLI_EXIT_FAIL;
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vmessage(cmd, fmt, ap);
  va_end(ap);
  if (cmd)
    fprintf(stderr, "Try 'migbar %s --help' for more information.\n", cmd);
  else
    fputs("Try 'migbar --help' for more information.\n", stderr);
  return CLI_EXIT_USAGE;
}

const char cli_exit_status_help[] =
    "Exit status:\n"
    "  0  success\n"
    "  1  the operation failed (a file could not be read, parsed or written);\n"
    "     the reason is printed on stderr as \"migbar SUBCOMMAND: message\"\n"
    "  2  usage error: unknown subcommand or option, missing or bad argument\n";

void cli_warn_lines(const char *lead, const char *text) {
  while (text && *text) {
    const char *nl = strchr(text, '\n');
    int len = nl ? (int)(nl - text) : (int)strlen(text);
    fputs(lead, stderr);
    put_escaped(text, (size_t)len);
    fputc('\n', stderr);
    text += len + (nl ? 1 : 0);
  }
}

int cli_help(const char *help) {
  fputs(help, stdout);
  fputs("\n", stdout);
  fputs(cli_exit_status_help, stdout);
  return CLI_EXIT_OK;
}

/* ---- option parsing ------------------------------------------------------ */

void cli_parser_init(cli_parser *p, const char *cmd, const cli_option *options, int argc,
                     char **argv) {
  p->cmd = cmd;
  p->options = options;
  p->argc = argc;
  p->argv = argv;
  p->next = 1;
  p->positional_only = 0;
}

int cli_next(cli_parser *p, const char **value) {
  *value = NULL;
  for (;;) {
    if (p->next >= p->argc) return CLI_DONE;
    const char *arg = p->argv[p->next++];
    if (p->positional_only || arg[0] != '-' || arg[1] == '\0') {
      *value = arg;
      return CLI_POSITIONAL;
    }
    if (strcmp(arg, "--") == 0) {
      p->positional_only = 1;
      continue;
    }
    const cli_option *o = p->options;
    const char *inline_value = NULL;
    if (arg[1] == '-') {
      const char *name = arg + 2, *eq = strchr(name, '=');
      size_t len = eq ? (size_t)(eq - name) : strlen(name);
      while (o->name && (strlen(o->name) != len || strncmp(o->name, name, len) != 0)) o++;
      if (eq) inline_value = eq + 1;
    } else {
      while (o->name && (arg[2] != '\0' || o->short_name != arg[1])) o++;
    }
    if (!o->name) {
      cli_usage_error(p->cmd, "unknown option '%s'", arg);
      return CLI_BAD;
    }
    if (o->has_value) {
      if (inline_value) {
        *value = inline_value;
      } else if (p->next < p->argc) {
        *value = p->argv[p->next++];
      } else {
        cli_usage_error(p->cmd, "option '--%s' needs a value", o->name);
        return CLI_BAD;
      }
    } else if (inline_value) {
      cli_usage_error(p->cmd, "option '--%s' takes no value", o->name);
      return CLI_BAD;
    }
    return o->id;
  }
}

/* ---- argument values ----------------------------------------------------- */

int cli_parse_index(const char *cmd, const char *option, const char *text, int *value) {
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (end == text || *end != '\0' || errno || v < 0 || v > INT_MAX)
    return cli_usage_error(cmd, "%s expects a structure number 0, 1, 2, ..., not '%s'", option,
                           text);
  *value = (int)v;
  return 0;
}

int cli_parse_positive(const char *cmd, const char *option, const char *text, double *value) {
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  if (end == text || *end != '\0' || errno || !isfinite(v) || v <= 0)
    return cli_usage_error(cmd, "%s expects a positive number, not '%s'", option, text);
  *value = v;
  return 0;
}

int cli_parse_format(const char *cmd, const char *option, const char *text,
                     mb_format *format) {
  if (mb_format_from_name(text, format) != MB_OK) {
    mb_clear_error();
    return cli_usage_error(cmd, "%s: unknown format '%s'; use poscar|xyz|cif|json", option,
                           text);
  }
  return 0;
}

int cli_parse_supercell(const char *cmd, const char *option, const char *text, int reps[3]) {
  const char *s = text;
  int n = 0;
  while (n < 3) {
    char *end;
    errno = 0;
    long v = (*s >= '0' && *s <= '9') ? strtol(s, &end, 10) : -1;
    if (v < 1 || v > 1000 || errno) break;
    reps[n++] = (int)v;
    s = end;
    if (*s == '\0' || n == 3) break;
    if (*s != 'x' && *s != 'X') break;
    s++;
  }
  if (*s == '\0' && n == 1) reps[1] = reps[2] = reps[0], n = 3;
  if (*s != '\0' || n != 3)
    return cli_usage_error(cmd,
                           "%s expects AxBxC with integers 1 to 1000 (e.g. 2x2x1), not '%s'",
                           option, text);
  return 0;
}

const char *cli_format_name(mb_format format) {
  switch (format) {
  case MB_FORMAT_POSCAR: return "poscar";
  case MB_FORMAT_XYZ: return "xyz";
  case MB_FORMAT_CIF: return "cif";
  case MB_FORMAT_JSON: return "json";
  default: return "auto";
  }
}

/* ---- reading ------------------------------------------------------------- */

/* Standard input, whole, as the library reads a stream: at most MB_TEXT_FILE_LIMIT
 * bytes and no NUL byte, so `yes | migbar info -` or `migbar info - </dev/zero`
 * stop with a message instead of taking all memory. */
static mb_status read_stdin(char **data, size_t *size) {
  size_t len = 0, cap = 65536;
  char *buf = malloc(cap + 1);
  mb_status st = MB_OK;
  stdin_error[0] = '\0';
  if (!buf) return MB_ERR_NOMEM;
  for (;;) {
    if (len == cap) {
      if (cap > MB_TEXT_FILE_LIMIT) {
        snprintf(stdin_error, sizeof stdin_error,
                 "<stdin>: more than %zu MiB, the limit for a structure file; not read further",
                 MB_TEXT_FILE_LIMIT >> 20);
        st = MB_ERR_RANGE;
        goto cleanup;
      }
      size_t grown = cap <= MB_TEXT_FILE_LIMIT / 2 ? 2 * cap : MB_TEXT_FILE_LIMIT + 1;
      char *p = realloc(buf, grown + 1);
      if (!p) {
        st = MB_ERR_NOMEM;
        goto cleanup;
      }
      buf = p;
      cap = grown;
    }
    size_t got = fread(buf + len, 1, cap - len, stdin);
    const char *nul = memchr(buf + len, '\0', got);
    if (nul) {
      snprintf(stdin_error, sizeof stdin_error,
               "<stdin>: a NUL byte at byte %zu: binary data, not a structure file",
               (size_t)(nul - buf));
      st = MB_ERR_PARSE;
      goto cleanup;
    }
    len += got;
    if (got == 0) break;
  }
  if (ferror(stdin)) {
    st = MB_ERR_IO;
    goto cleanup;
  }
  buf[len] = '\0';
  *data = buf;
  *size = len;
  return MB_OK;
cleanup:
  free(buf);
  return st;
}

mb_status cli_read(const char *path, mb_format format, int index, mb_structure **out) {
  if (strcmp(path, "-") != 0) return mb_structure_read_frame(path, format, index, out);
  char *data = NULL;
  size_t size = 0;
  mb_status st = read_stdin(&data, &size);
  if (st) {
    mb_clear_error(); /* cli_fail then prints the status text */
    return st;
  }
  st = mb_structure_read_buffer(data, size, format, "<stdin>", index, out);
  free(data);
  return st;
}

/* ---- JSON ---------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence starting at s, 0 when it is not one
 * (stray continuation byte, overlong form, surrogate, beyond U+10FFFF). */
static size_t utf8_length(const unsigned char *s) {
  unsigned c = s[0], cp;
  size_t n;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF)
    n = 2;
  else if ((c & 0xF0) == 0xE0)
    n = 3;
  else if (c >= 0xF0 && c <= 0xF4)
    n = 4;
  else
    return 0;
  for (size_t k = 1; k < n; k++)
    if ((s[k] & 0xC0) != 0x80) return 0; /* also stops at the NUL */
  if (n == 3) {
    cp = ((c & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
    if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  } else if (n == 4) {
    cp = ((c & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3Fu);
    if (cp < 0x10000 || cp > 0x10FFFF) return 0;
  }
  return n;
}

void cli_json_string(FILE *f, const char *str) {
  const unsigned char *s = (const unsigned char *)str;
  fputc('"', f);
  while (*s) {
    unsigned c = *s;
    size_t n = utf8_length(s);
    if (n == 0) {
      fputs("\\ufffd", f);
      s++;
      continue;
    }
    if (n > 1) {
      fwrite(s, 1, n, f);
    } else if (c == '"' || c == '\\') {
      fputc('\\', f);
      fputc((int)c, f);
    } else if (c == '\n') {
      fputs("\\n", f);
    } else if (c == '\t') {
      fputs("\\t", f);
    } else if (c == '\r') {
      fputs("\\r", f);
    } else if (c < 0x20 || c == 0x7F) {
      fprintf(f, "\\u%04x", c);
    } else {
      fputc((int)c, f);
    }
    s += n;
  }
  fputc('"', f);
}

void cli_json_number(FILE *f, double x) {
  if (isfinite(x))
    fprintf(f, "%.10g", x);
  else
    fputs("null", f);
}

/* ---- the shipped model ------------------------------------------------------- */

int cli_default_model(char *path, size_t size, char *bindir, size_t bindir_size) {
  snprintf(bindir, bindir_size, "BINDIR");
  const char *env = getenv("MIGBAR_MODEL");
  if (env && *env) {
    snprintf(path, size, "%s", env);
    return 0;
  }
  static const char *const rel[] = {"../share/migbar/models/em/ensemble.json",
                                    "../models/em/ensemble.json",
                                    "../../models/em/ensemble.json"};
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return -1;
  exe[n] = '\0';
  char *slash = strrchr(exe, '/');
  if (slash) *slash = '\0';
  snprintf(bindir, bindir_size, "%s", exe);
  int libtool = slash && strlen(exe) >= 6 && !strcmp(exe + strlen(exe) - 6, "/.libs");
  for (size_t k = 0; k < sizeof rel / sizeof rel[0]; k++) {
    if (k == 2 && !libtool) continue;
    int w = snprintf(path, size, "%s/%s", exe, rel[k]);
    if (w > 0 && (size_t)w < size && access(path, R_OK) == 0) return 0;
  }
  return -1;
}

/* ---- directories --------------------------------------------------------------- */

int cli_make_dir(const char *cmd, const char *path) {
  struct stat sb;
  if (mkdir(path, 0777) == 0 || (errno == EEXIST && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)))
    return 0;
  return cli_error(cmd, "%s: cannot create the directory: %s", path,
                   errno == EEXIST ? "a file of that name exists" : strerror(errno));
}

int cli_make_dirs(const char *cmd, const char *path) {
  char buf[4096];
  size_t n = strlen(path);
  if (n >= sizeof buf) return cli_error(cmd, "%s: the name is too long", path);
  memcpy(buf, path, n + 1);
  for (size_t k = 1; k < n; k++) {
    if (buf[k] != '/' || buf[k - 1] == '/') continue;
    buf[k] = '\0';
    mkdir(buf, 0777); /* errors show in the last mkdir */
    buf[k] = '/';
  }
  return cli_make_dir(cmd, path);
}
