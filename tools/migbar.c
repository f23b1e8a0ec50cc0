/* migbar: the command-line face of libmigbar. This file only dispatches to the
 * subcommands (one file each) and answers --help and --version. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* the version of the header the tool was built with (include/migbar.h) */
#define TOOL_VERSION MB_VERSION_STRING

typedef struct subcommand {
  const char *name;
  const char *summary;
  int (*run)(int argc, char **argv);
  const char *help;
} subcommand;

static const subcommand subcommands[] = {
    {"info", "describe a structure: formula, cell, volume, density, space group", cmd_info,
     cmd_info_help},
    {"convert", "convert between POSCAR, extended XYZ, CIF and JSON; supercell, wrap",
     cmd_convert, cmd_convert_help},
    {"predict", "predict a migration barrier or properties with a graph-network model",
     cmd_predict, cmd_predict_help},
    {"neb", "nudged-elastic-band barrier: built-in potential (emt, lj, morse) or dft", cmd_neb,
     cmd_neb_help},
    {"dft", "plane-wave DFT energy and forces of a structure (LDA, PBE; as ABINIT 9.6)",
     cmd_dft, cmd_dft_help},
    {"hops", "migration network of an ion: distinct hops, barriers, percolation in 1D/2D/3D",
     cmd_hops, cmd_hops_help},
};
#define NSUBCOMMANDS (sizeof subcommands / sizeof subcommands[0])

static void print_help(void) {
  fputs("Usage: migbar SUBCOMMAND [OPTION]... [ARG]...\n"
        "       migbar --help | --version\n"
        "       migbar help SUBCOMMAND\n"
        "\n"
        "Inspect and convert crystal structures, and predict ionic migration barriers in\n"
        "battery materials with a graph-network model, with libmigbar.\n"
        "\n"
        "Subcommands:\n",
        stdout);
  for (size_t k = 0; k < NSUBCOMMANDS; k++)
    printf("  %-9s %s\n", subcommands[k].name, subcommands[k].summary);
  fputs("  help      show the help of a subcommand\n"
        "\n"
        "Options:\n"
        "  -h, --help     show this help and exit\n"
        "  -V, --version  show the versions of migbar and of the linked libmigbar and exit\n"
        "\n"
        "Structure files: VASP POSCAR/CONTCAR (*.vasp, POSCAR*, CONTCAR*), extended XYZ\n"
        "(*.xyz, *.extxyz), CIF (*.cif) and the JSON \"atoms\" layout (*.json). '-' is\n"
        "standard input or output.\n"
        "\n"
        "Run 'migbar SUBCOMMAND --help' for the options of a subcommand; see also migbar(1).\n"
        "\n",
        stdout);
  fputs(cli_exit_status_help, stdout);
}

static const subcommand *find(const char *name) {
  for (size_t k = 0; k < NSUBCOMMANDS; k++)
    if (strcmp(subcommands[k].name, name) == 0) return &subcommands[k];
  return NULL;
}

static int unknown_subcommand(const char *name) {
  return cli_usage_error(NULL, "unknown subcommand '%s' (known: info, convert, predict, neb, dft, hops, help)",
                         name);
}

/* migbar help [SUBCOMMAND] */
static int help(int argc, char **argv) {
  if (argc == 1 || strcmp(argv[1], "help") == 0) {
    print_help();
    return CLI_EXIT_OK;
  }
  if (argc > 2) return cli_usage_error(NULL, "help takes one subcommand, not %d", argc - 1);
  const subcommand *sc = find(argv[1]);
  if (!sc) return unknown_subcommand(argv[1]);
  return cli_help(sc->help);
}

static int finish(int status) {
  /* A full disk or closed pipe on stdout must not go unnoticed. */
  if ((fflush(stdout) != 0 || ferror(stdout)) && status == CLI_EXIT_OK) {
    fputs("migbar: error writing to standard output\n", stderr);
    status = CLI_EXIT_FAIL;
  }
  return status;
}

/* OpenBLAS (Debian's pthread build) spins its own threads in every call; the
 * matrices of this tool are small and its parallelism is its own (--threads), so
 * BLAS runs on one thread unless the user set OPENBLAS_NUM_THREADS. Measured on
 * the DFT parity cases: 3-4x faster on 2 cores (BENCHMARKS.md). */
void openblas_set_num_threads(int num_threads);

int main(int argc, char **argv) {
  if (!getenv("OPENBLAS_NUM_THREADS")) openblas_set_num_threads(1);
  if (argc < 2) {
    fputs("Usage: migbar SUBCOMMAND [OPTION]... [ARG]...\n"
          "Try 'migbar --help' for the list of subcommands.\n",
          stderr);
    return CLI_EXIT_USAGE;
  }
  const char *first = argv[1];
  if (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0) {
    print_help();
    return finish(CLI_EXIT_OK);
  }
  if (strcmp(first, "--version") == 0 || strcmp(first, "-V") == 0) {
    printf("migbar %s (libmigbar %s)\n", TOOL_VERSION, mb_version());
    return finish(CLI_EXIT_OK);
  }
  if (strcmp(first, "help") == 0) return finish(help(argc - 1, argv + 1));
  if (first[0] == '-') return cli_usage_error(NULL, "unknown option '%s'", first);
  const subcommand *sc = find(first);
  if (!sc) return unknown_subcommand(first);
  return finish(sc->run(argc - 1, argv + 1));
}
