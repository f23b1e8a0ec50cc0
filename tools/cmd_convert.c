/* migbar convert: read one structure, optionally make a supercell and wrap the
 * atoms into the cell, write it in another format. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char cmd_convert_help[] =
    "Usage: migbar convert [OPTION]... IN OUT\n"
    "\n"
    "Read a structure from IN and write it to OUT. The formats follow from the file\n"
    "names (*.vasp, POSCAR*, CONTCAR* -> poscar; *.xyz, *.extxyz -> xyz; *.cif -> cif;\n"
    "*.json -> json) unless given; an input of unknown name is recognised by its content.\n"
    "'-' reads standard input or writes standard output (writing needs --to). Prints\n"
    "nothing on success unless --verbose.\n"
    "\n"
    "Options:\n"
    "      --from F         read IN as F: poscar, xyz, cif or json\n"
    "      --to F           write OUT as F: poscar, xyz, cif or json\n"
    "  -i, --index N        convert structure N (0-based) of a file holding several\n"
    "                       (XYZ frames, JSON array entries, CIF data blocks); default 0\n"
    "  -s, --supercell AxBxC  repeat the cell A, B and C times along its lattice vectors\n"
    "                       (atoms ordered by image, as ASE's Atoms.repeat does; N means NxNxN)\n"
    "  -w, --wrap           map every atom into the cell (fractional coordinates in [0, 1))\n"
    "  -v, --verbose        say on stderr what was written\n"
    "  -h, --help           show this help and exit\n"
    "\n"
    "Examples:\n"
    "  migbar convert examples/LiFePO4/POSCAR_initial initial.cif\n"
    "  migbar convert --supercell 2x2x2 NaCl.cif POSCAR_222\n"
    "  migbar convert --index 4 --wrap path.xyz - --to poscar\n";

enum { OPT_FROM = 1, OPT_TO, OPT_INDEX, OPT_SUPERCELL, OPT_WRAP, OPT_VERBOSE, OPT_HELP };
static const cli_option options[] = {
    {"from", 0, 1, OPT_FROM},           {"to", 0, 1, OPT_TO},
    {"index", 'i', 1, OPT_INDEX},       {"supercell", 's', 1, OPT_SUPERCELL},
    {"wrap", 'w', 0, OPT_WRAP},         {"verbose", 'v', 0, OPT_VERBOSE},
    {"help", 'h', 0, OPT_HELP},         {NULL, 0, 0, 0}};

/* Standard output: the library writes into a buffer, the tool prints it. */
static int write_stdout(const char *cmd, const mb_structure *s, mb_format format) {
  char *data = NULL;
  size_t size = 0;
  mb_status st = mb_structure_write_buffer(s, format, &data, &size);
  if (st) return cli_fail(cmd, st);
  int rc = CLI_EXIT_OK;
  if (fwrite(data, 1, size, stdout) != size || fflush(stdout) != 0)
    rc = cli_error(cmd, "error writing to standard output");
  mb_free(data);
  return rc;
}

int cmd_convert(int argc, char **argv) {
  static const char cmd[] = "convert";
  cli_parser p;
  const char *value, *in = NULL, *out = NULL;
  mb_format from = MB_FORMAT_AUTO, to = MB_FORMAT_AUTO;
  int id, index = 0, wrap = 0, verbose = 0, reps[3] = {1, 1, 1}, supercell = 0;
  mb_structure *s = NULL, *big = NULL;
  int rc;
  cli_parser_init(&p, cmd, options, argc, argv);
  while ((id = cli_next(&p, &value)) != CLI_DONE) {
    switch (id) {
    case CLI_BAD: return CLI_EXIT_USAGE;
    case OPT_HELP: return cli_help(cmd_convert_help);
    case OPT_FROM:
      if (cli_parse_format(cmd, "--from", value, &from)) return CLI_EXIT_USAGE;
      break;
    case OPT_TO:
      if (cli_parse_format(cmd, "--to", value, &to)) return CLI_EXIT_USAGE;
      break;
    case OPT_INDEX:
      if (cli_parse_index(cmd, "--index", value, &index)) return CLI_EXIT_USAGE;
      break;
    case OPT_SUPERCELL:
      if (cli_parse_supercell(cmd, "--supercell", value, reps)) return CLI_EXIT_USAGE;
      supercell = 1;
      break;
    case OPT_WRAP: wrap = 1; break;
    case OPT_VERBOSE: verbose = 1; break;
    default: /* CLI_POSITIONAL */
      if (!in)
        in = value;
      else if (!out)
        out = value;
      else
        return cli_usage_error(cmd, "unexpected argument '%s' (convert takes IN and OUT)",
                               value);
    }
  }
  if (!in || !out)
    return cli_usage_error(cmd, "%s", !in ? "no IN and OUT files given" : "no OUT file given");
  if (to == MB_FORMAT_AUTO) {
    if (strcmp(out, "-") == 0)
      return cli_usage_error(cmd, "writing to standard output needs --to poscar|xyz|cif|json");
    if (mb_format_from_path(out, &to) != MB_OK) {
      mb_clear_error();
      return cli_usage_error(cmd,
                             "cannot tell the output format from '%s'; use --to "
                             "poscar|xyz|cif|json",
                             out);
    }
  }

  rc = CLI_EXIT_FAIL;
  mb_status st = cli_read(in, from, index, &s);
  if (!st && supercell) {
    const int matrix[9] = {reps[0], 0, 0, 0, reps[1], 0, 0, 0, reps[2]};
    st = mb_structure_supercell(s, matrix, &big);
    if (!st) {
      mb_structure_free(s);
      s = big;
      big = NULL;
    }
  }
  if (!st && wrap) st = mb_structure_wrap(s);
  if (st) {
    cli_fail(cmd, st);
    goto cleanup;
  }
  if (strcmp(out, "-") == 0) {
    if ((rc = write_stdout(cmd, s, to))) goto cleanup;
  } else if ((st = mb_structure_write(s, out, to))) {
    cli_fail(cmd, st);
    goto cleanup;
  }
  if (verbose) {
    int natoms = 0;
    mb_structure_natoms(s, &natoms);
    fprintf(stderr, "migbar convert: wrote %d atoms to %s (%s)\n", natoms,
            strcmp(out, "-") == 0 ? "standard output" : out, cli_format_name(to));
  }
  rc = CLI_EXIT_OK;
cleanup:
  mb_structure_free(s);
  mb_structure_free(big);
  return rc;
}
