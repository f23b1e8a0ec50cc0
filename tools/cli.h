/* Shared helpers of the migbar command: exit codes, error messages, option
 * parsing, number and format arguments, JSON output, and the subcommands. */
#ifndef MIGBAR_CLI_H
#define MIGBAR_CLI_H

#include <stdio.h>

#include "migbar.h"

#if defined(__GNUC__)
#define CLI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CLI_PRINTF(a, b)
#endif

/* Exit status of the migbar command (documented in --help and migbar(1)). */
enum {
  CLI_EXIT_OK = 0,     /* success */
  CLI_EXIT_FAIL = 1,   /* the operation failed: unreadable or malformed file, write error */
  CLI_EXIT_USAGE = 2,  /* unknown subcommand or option, missing or bad argument */
  CLI_EXIT_NOT_CONVERGED = 3 /* neb: no convergence within --max-steps (outputs written);
                                dft: the SCF did not converge within --max-scf */
};

/* "migbar CMD: <mb_last_error()>" on stderr (the strerror of st when the library
 * left no message); returns CLI_EXIT_FAIL. */
int cli_fail(const char *cmd, mb_status st);
/* "migbar CMD: <message>" and a pointer to --help on stderr; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) CLI_PRINTF(2, 3);
/* Each line of text (warnings from mb_ensemble_check_hop) on stderr after lead, e.g.
 * "migbar: warning: "; nothing for NULL or "". */
void cli_warn_lines(const char *lead, const char *text);
/* "migbar CMD: <message>" on stderr, for a failure the tool itself detects;
 * returns CLI_EXIT_FAIL. */
int cli_error(const char *cmd, const char *fmt, ...) CLI_PRINTF(2, 3);

/* The "Exit status:" section of every help text. */
extern const char cli_exit_status_help[];
/* A subcommand's help text followed by the exit status section, on stdout;
 * returns CLI_EXIT_OK. */
int cli_help(const char *help);

/* ---- option parsing --------------------------------------------------------
 * Long options "--name VALUE" or "--name=VALUE", short options "-x VALUE"
 * (no bundling). "-" alone is a positional argument (stdin/stdout); "--" ends
 * the options. A table ends with an entry whose name is NULL. */
typedef struct cli_option {
  const char *name; /* long name, without "--" */
  char short_name;  /* 0 when none */
  int has_value;
  int id;           /* > 0, returned by cli_next */
} cli_option;

typedef struct cli_parser {
  const char *cmd; /* for messages: "info", "convert" */
  const cli_option *options;
  int argc;
  char **argv;
  int next;
  int positional_only;
} cli_parser;

enum { CLI_DONE = 0, CLI_POSITIONAL = -1, CLI_BAD = -2 };

/* Start after argv[0] (the subcommand's name). */
void cli_parser_init(cli_parser *p, const char *cmd, const cli_option *options, int argc,
                     char **argv);
/* Next option id (> 0) with *value its argument (or NULL), CLI_POSITIONAL with
 * *value the argument, CLI_DONE at the end, or CLI_BAD after printing a usage
 * error. */
int cli_next(cli_parser *p, const char **value);
/* Strict argument values; on error print a usage message naming the option and
 * return CLI_EXIT_USAGE, else 0. */
int cli_parse_index(const char *cmd, const char *option, const char *text, int *value);
int cli_parse_positive(const char *cmd, const char *option, const char *text, double *value);
int cli_parse_format(const char *cmd, const char *option, const char *text,
                     mb_format *format);
/* "AxBxC" (or "N" for NxNxN) with positive integers. */
int cli_parse_supercell(const char *cmd, const char *option, const char *text, int reps[3]);

/* Name of a format as --format spells it ("poscar"), "auto" for MB_FORMAT_AUTO. */
const char *cli_format_name(mb_format format);

/* Read structure number index from path; "-" reads standard input. */
mb_status cli_read(const char *path, mb_format format, int index, mb_structure **out);

/* ---- JSON output ---------------------------------------------------------
 * A JSON string literal with escaping; bytes that are not valid UTF-8 become
 * U+FFFD so that the output always parses. */
void cli_json_string(FILE *f, const char *s);
/* A JSON number (%.10g), or null when not finite. */
void cli_json_number(FILE *f, double x);

/* The shipped E_m model: $MIGBAR_MODEL, else next to the executable, installed
 * (BINDIR/../share/migbar/models/em/ensemble.json) or in a build tree (../models/em,
 * and ../../models/em from libtool's .libs/). Returns 0 with its path in path when
 * found, else -1; either way bindir holds the executable's folder (for messages). */
int cli_default_model(char *path, size_t size, char *bindir, size_t bindir_size);

/* Create a directory (an existing one is fine), or it and any missing parents (as
 * mkdir -p): 0, or CLI_EXIT_FAIL after a message. */
int cli_make_dir(const char *cmd, const char *path);
int cli_make_dirs(const char *cmd, const char *path);

/* ---- subcommands ---------------------------------------------------------
 * Each takes argv[0] = its own name and returns an exit status. */
int cmd_info(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_predict(int argc, char **argv);

/* MPI (cli_mpi.c; no-ops in builds without MPI): start (MPI_Init unless done)
 * and return the number of ranks, this one in *rank; the communicator as an
 * MPI Fortran handle for mb_band_set_mpi; whether flag is set on any rank (a
 * collective call: every rank must make it); finish (MPI_Finalize). */
int cli_mpi_start(int *rank);
int cli_mpi_comm(void);
int cli_mpi_any(int flag);
void cli_mpi_finish(void);
int cmd_neb(int argc, char **argv);
int cmd_dft(int argc, char **argv);
int cmd_hops(int argc, char **argv);

/* ---- DFT options (cmd_dft.c), shared by dft and neb --potential dft ------- */
#define CLI_DFT_MAX_PSEUDO 16
#define CLI_DFT_MAX_MAGMOM 4096
#define CLI_DFT_MAX_HUBBARD 16
typedef struct cli_dft_request {
  int has_ecut, has_kpts;
  double ecut;           /* eV */
  double ecut_rho;       /* eV, 0 = the default 4 x ecut */
  int kpts[3];
  double kshift[3];
  int xc;                /* an mb_xc; -1 = not given, -2 = xc_name */
  const char *xc_name;   /* a functional by name (mb_functional_create: "PBEsol") */
  int smearing;          /* an mb_smearing */
  double width;          /* eV */
  const char *pseudo[CLI_DFT_MAX_PSEUDO]; /* "EL=FILE" arguments */
  int npseudo;
  const char *pseudo_dir;
  double scf_tol;        /* eV; 0 = default */
  int max_scf, extra_bands, threads; /* -1 = default */
  double charge;         /* net charge, e (0 = neutral) */
  int spin;              /* --spin, --magmom or --moment given */
  int nmagmom;           /* --magmom LIST (per atom, N*V repeats): how many values */
  double magmom[CLI_DFT_MAX_MAGMOM];
  int fix_moment;        /* --moment M given */
  double moment;         /* mu_B */
  const char *hubbard[CLI_DFT_MAX_HUBBARD]; /* "EL:L:U_EV" arguments (DFT+U) */
  int nhubbard;
} cli_dft_request;
void cli_dft_init(cli_dft_request *r);
/* The DFT option of long name name ("ecut", "kpts", "kshift", "functional",
 * "smearing", "pseudo", "pseudo-dir", "scf-tol", "max-scf", "extra-bands", "threads",
 * "dft-threads", "charge", "hubbard", "ecut-rho", ...) into r: 0, CLI_EXIT_USAGE after a message, or -1 when name is
 * not a DFT option. */
int cli_dft_take(const char *cmd, const char *name, const char *value, cli_dft_request *r);
/* The required options are there (--ecut, --kpts, --functional): 0 or CLI_EXIT_USAGE. */
int cli_dft_check(const char *cmd, const cli_dft_request *r);
/* --magmom gave natoms values (when given): 0 or CLI_EXIT_USAGE after a message. */
int cli_dft_check_atoms(const char *cmd, const cli_dft_request *r, int natoms);
/* An mb_dft of s with the options of r (cli_dft_check_atoms first). */
mb_status cli_dft_make(const cli_dft_request *r, const mb_structure *s, mb_dft **out);
/* DFT+U results of a computed d (r's --hubbard shells): E_U and each shell's electrons,
 * as text lines or as the JSON members "hubbard_energy" and "hubbard" (an array of
 * {"atom", "element", "shell", "electrons", "occupations"}), with a leading ", ".
 * Nothing without --hubbard. */
void cli_dft_print_hubbard(FILE *out, const cli_dft_request *r, const mb_dft *d,
                           const mb_structure *s, int json);

extern const char cmd_info_help[];
extern const char cmd_convert_help[];
extern const char cmd_predict_help[];
extern const char cmd_neb_help[];
extern const char cmd_dft_help[];
extern const char cmd_hops_help[];

#endif
