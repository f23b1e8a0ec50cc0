/* The readers and writers of each file format, behind mb_structure_read/write.
 *
 * A reader parses data[0..size) (NUL-terminated at data[size]); name is the file
 * name for messages ("<buffer>" when none). It reads structure number index
 * (0-based) into *out, or, when out is NULL, counts the structures into *count.
 * Every error goes through mb__parse_error (file:line) and leaves *out alone.
 * A writer appends the structure to sb. */
#ifndef MB_IO_H
#define MB_IO_H

#include "structure.h"

typedef mb_status (*mb_reader_fn)(const char *data, size_t size, const char *name,
                                  int index, mb_structure **out, int *count);
typedef mb_status (*mb_writer_fn)(const mb_structure *s, mb_strbuf *sb);

mb_status mb__read_poscar(const char *data, size_t size, const char *name, int index,
                          mb_structure **out, int *count);
mb_status mb__write_poscar(const mb_structure *s, mb_strbuf *sb);

mb_status mb__read_xyz(const char *data, size_t size, const char *name, int index,
                       mb_structure **out, int *count);
mb_status mb__write_xyz(const mb_structure *s, mb_strbuf *sb);
/* One extended-XYZ frame as ASE 3.22 reads it (the one writer of the library): lattice,
 * species and Cartesian positions (17 significant digits), then forces (eV/A, may be
 * NULL: a forces:R:3 column), the selective-dynamics flags as move_mask:L:3 when s has
 * them, and info ("energy=E image=i", may be NULL) on the comment line before pbc. */
mb_status mb__xyz_write_frame(const mb_structure *s, const double *forces, const char *info,
                              mb_strbuf *sb);

mb_status mb__read_cif(const char *data, size_t size, const char *name, int index,
                       mb_structure **out, int *count);
mb_status mb__write_cif(const mb_structure *s, mb_strbuf *sb);

mb_status mb__read_json(const char *data, size_t size, const char *name, int index,
                        mb_structure **out, int *count);
mb_status mb__write_json(const mb_structure *s, mb_strbuf *sb);

#endif
