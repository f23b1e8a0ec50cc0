/* The names of the structure file formats (migbar.h sections 3 and 11). */
#include "../core/options.h"

#define N(a) ((int)(sizeof a / sizeof *a))

const mb__name mb__format_names[] = {
  {MB_FORMAT_AUTO, "auto", "from the file name; readers also sniff the content"},
  {MB_FORMAT_POSCAR, "poscar", "VASP POSCAR/CONTCAR, VASP 5 species line"},
  {MB_FORMAT_XYZ, "xyz", "extended XYZ as ASE writes it"},
  {MB_FORMAT_CIF, "cif", "CIF 1.1 (reading expands symmetry operations)"},
  {MB_FORMAT_JSON, "json", "the JSON \"atoms\" layout of the training data"},
};
const int mb__format_nnames = N(mb__format_names);
