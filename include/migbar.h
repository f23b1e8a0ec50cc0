/*
 * migbar.h - the one public header of libmigbar.
 *
 * libmigbar estimates ionic migration barriers (E_m) in battery materials, by a
 * graph network trained on DFT nudged-elastic-band barriers, or from first
 * principles by climbing-image NEB over pluggable force providers.
 *
 * Read this header top to bottom as a manual:
 *   1. version and export macros
 *   2. status codes, error messages, logging
 *   3. structures (mb_structure): a periodic crystal, its files and symmetry
 *   4. neighbour lists (mb_neighbors)
 *   5. crystal graphs and graph-network models (mb_graph, mb_model)
 *   6. handles filled in by later releases (band, functional, dft)
 *
 * Conventions, the same for every function:
 *   - Units at the API are Angstrom and eV. Lattices are 3x3 row-major arrays of
 *     row vectors (lattice[3*i + k] is component k of lattice vector i).
 *   - Every fallible call returns an mb_status and writes results through
 *     out-parameters; on failure the out-parameters are left untouched and
 *     mb_last_error() says what went wrong and where (file:line for parsers).
 *   - Handles are opaque. The caller owns every handle it creates and frees it
 *     with the matching *_free function, which accepts NULL. Buffers the library
 *     allocates for the caller are released with mb_free().
 *   - The library never prints, exits or aborts on user input.
 *
 * Threads: libmigbar has no global mutable state. Distinct handles may be used
 * from distinct threads at the same time. A const handle (a structure that is only
 * read, a neighbour list, a loaded model) may be shared read-only by any number of
 * threads. A handle being modified belongs to one thread at a time. The message
 * returned by mb_last_error() is per thread.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef MIGBAR_H
#define MIGBAR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------
 * 1. Version and export macros
 * ------------------------------------------------------------------------- */

#define MB_VERSION_MAJOR 0
#define MB_VERSION_MINOR 1
#define MB_VERSION_PATCH 0
#define MB_VERSION_STRING "0.1.0"
/* 10000*major + 100*minor + patch, comparable with mb_version_number(). */
#define MB_VERSION_NUMBER \
  (MB_VERSION_MAJOR * 10000 + MB_VERSION_MINOR * 100 + MB_VERSION_PATCH)

#if defined(MB_BUILDING_LIBRARY) && defined(__GNUC__)
#define MB_API __attribute__((visibility("default")))
#else
#define MB_API
#endif

/* Version of the library actually linked (may differ from the header's). */
MB_API const char *mb_version(void);
MB_API int mb_version_number(void);

/* ---------------------------------------------------------------------------
 * 2. Status codes, error messages, logging
 *
 * Status values are part of the ABI: never renumbered, never reused.
 * ------------------------------------------------------------------------- */

typedef enum mb_status {
  MB_OK = 0,
  MB_ERR_NOMEM = 1,            /* out of memory */
  MB_ERR_INVALID_ARG = 2,      /* NULL handle, bad size, bad option value */
  MB_ERR_IO = 3,               /* a file could not be opened, read or written */
  MB_ERR_PARSE = 4,            /* malformed input file (message has file:line) */
  MB_ERR_UNSUPPORTED = 5,      /* valid input the library does not handle */
  MB_ERR_RANGE = 6,            /* an index or value out of its range */
  MB_ERR_GEOMETRY = 7,         /* singular or degenerate cell, overlapping atoms */
  MB_ERR_SYMMETRY = 8,         /* symmetry search failed */
  MB_ERR_NOT_CONVERGED = 9,    /* an iterative method did not converge */
  MB_ERR_MODEL = 10,           /* a model file is invalid or does not match */
  MB_ERR_BUFFER_TOO_SMALL = 11,/* a caller's buffer is too small */
  MB_ERR_CALLBACK = 12,        /* a user callback reported failure */
  MB_ERR_INTERNAL = 13         /* a bug in libmigbar: please report it */
} mb_status;

/* One-line description of a status code; never NULL. */
MB_API const char *mb_strerror(mb_status status);

/* Message of the last failing call on the calling thread ("" if none). The
 * pointer stays valid until the next libmigbar call on this thread. */
MB_API const char *mb_last_error(void);

/* Forget the calling thread's last error message. */
MB_API void mb_clear_error(void);

/* Release a buffer the library allocated for the caller (NULL is a no-op). */
MB_API void mb_free(void *ptr);

/* Log levels for progress reports of long operations. */
typedef enum mb_log_level {
  MB_LOG_ERROR = 0,
  MB_LOG_WARNING = 1,
  MB_LOG_INFO = 2,    /* progress: one line per iteration of a long run */
  MB_LOG_DEBUG = 3
} mb_log_level;

/* A log callback receives one complete line (no trailing newline) and the user
 * pointer it was registered with. Handles that run long operations (band, dft,
 * model) take one through their own *_set_log function; there is no global
 * logger. The callback is called from the thread running the operation. */
typedef void (*mb_log_fn)(mb_log_level level, const char *message, void *user);

/* ---------------------------------------------------------------------------
 * 3. Structures
 *
 * An mb_structure is a 3D-periodic crystal: a lattice (Angstrom, row vectors),
 * atoms with atomic numbers and positions, and optional per-coordinate
 * "selective dynamics" flags (VASP's T/F: 1 = free to move, 0 = fixed).
 * Positions are stored fractional (so wrapping is exact); getters convert.
 * ------------------------------------------------------------------------- */

typedef struct mb_structure mb_structure;

typedef enum mb_coords {
  MB_COORDS_FRACTIONAL = 0,   /* in units of the lattice vectors */
  MB_COORDS_CARTESIAN = 1     /* Angstrom */
} mb_coords;

/* Create from a lattice (9 doubles, Angstrom), natoms >= 1 positions
 * (3*natoms doubles, fractional or Cartesian) and atomic numbers (1..118).
 * Fails with MB_ERR_GEOMETRY for a singular or left-handed-degenerate cell. */
MB_API mb_status mb_structure_create(const double lattice[9], int natoms,
                                     const double *positions, mb_coords coords,
                                     const int *numbers, mb_structure **out);

/* As mb_structure_create, with chemical symbols ("Li", "Fe", ...). */
MB_API mb_status mb_structure_create_symbols(const double lattice[9], int natoms,
                                             const double *positions, mb_coords coords,
                                             const char *const *symbols,
                                             mb_structure **out);

MB_API void mb_structure_free(mb_structure *s);
MB_API mb_status mb_structure_copy(const mb_structure *s, mb_structure **out);

MB_API mb_status mb_structure_natoms(const mb_structure *s, int *natoms);
MB_API mb_status mb_structure_lattice(const mb_structure *s, double lattice[9]);
/* 3*natoms doubles. */
MB_API mb_status mb_structure_positions(const mb_structure *s, mb_coords coords,
                                        double *positions);
/* natoms ints. */
MB_API mb_status mb_structure_numbers(const mb_structure *s, int *numbers);
/* Symbol of atom i; the string is static and never freed. */
MB_API mb_status mb_structure_symbol(const mb_structure *s, int i, const char **symbol);

MB_API mb_status mb_structure_set_positions(mb_structure *s, const double *positions,
                                            mb_coords coords);
/* Replace the lattice; with scale_atoms != 0 the fractional positions are kept,
 * otherwise the Cartesian ones. */
MB_API mb_status mb_structure_set_lattice(mb_structure *s, const double lattice[9],
                                          int scale_atoms);

/* Selective dynamics: flags is 3*natoms ints, 1 = coordinate free, 0 = fixed.
 * set with flags == NULL removes them; *has is 0 when none are set (then the
 * getter writes all 1). */
MB_API mb_status mb_structure_set_selective(mb_structure *s, const int *flags);
MB_API mb_status mb_structure_selective(const mb_structure *s, int *flags, int *has);

/* Map every atom into the cell: fractional coordinates in [0, 1). */
MB_API mb_status mb_structure_wrap(mb_structure *s);

/* Supercell from an integer matrix P (row-major, det(P) > 0): new lattice rows
 * are P times the old ones. Atoms are ordered by image, then original atom,
 * with images in lexicographic order of their lattice translation, as ASE's
 * Atoms.repeat orders them for a diagonal P. */
MB_API mb_status mb_structure_supercell(const mb_structure *s, const int matrix[9],
                                        mb_structure **out);

/* Minimum-image vector from atom i to atom j (Angstrom), exact for any cell
 * shape, and its length. */
MB_API mb_status mb_structure_displacement(const mb_structure *s, int i, int j,
                                           double vector[3]);
MB_API mb_status mb_structure_distance(const mb_structure *s, int i, int j,
                                       double *distance);

/* Chemical formula in Hill order (C, H, then alphabetical; alphabetical when
 * there is no carbon), e.g. "FeLiO4P". reduced != 0 divides the counts by
 * their greatest common divisor. Fails with MB_ERR_BUFFER_TOO_SMALL. */
MB_API mb_status mb_structure_formula(const mb_structure *s, int reduced, char *buffer,
                                      size_t size);

MB_API mb_status mb_structure_volume(const mb_structure *s, double *volume_A3);
/* Mass density from standard atomic weights, g/cm^3. */
MB_API mb_status mb_structure_density(const mb_structure *s, double *density_g_cm3);

/* Space group by spglib with tolerance symprec (Angstrom; 1e-3 is a good
 * default): the number (1..230) and the Hermann-Mauguin symbol, e.g. "Pnma".
 * symbol may be NULL; otherwise size >= 16 is enough. */
MB_API mb_status mb_structure_spacegroup(const mb_structure *s, double symprec,
                                         int *number, char *symbol, size_t size);

/* Atomic number of a chemical symbol (case-sensitive, "Fe"), and back. */
MB_API mb_status mb_element_number(const char *symbol, int *number);
MB_API mb_status mb_element_symbol(int number, const char **symbol);
/* Standard atomic weight (u), as tabulated by IUPAC. */
MB_API mb_status mb_element_mass(int number, double *mass);

/* ---- Files ------------------------------------------------------------- */

typedef enum mb_format {
  MB_FORMAT_AUTO = 0,    /* from the file name (readers also sniff the content) */
  MB_FORMAT_POSCAR = 1,  /* VASP POSCAR/CONTCAR, VASP 5 species line */
  MB_FORMAT_XYZ = 2,     /* extended XYZ as ASE writes it */
  MB_FORMAT_CIF = 3,     /* CIF 1.1 (reading expands symmetry operations) */
  MB_FORMAT_JSON = 4     /* the JSON "atoms" layout of the training data */
} mb_format;

/* Format from a file name: *.vasp, POSCAR*, CONTCAR* -> POSCAR; *.xyz, *.extxyz
 * -> XYZ; *.cif -> CIF; *.json -> JSON. MB_ERR_UNSUPPORTED when unknown. */
MB_API mb_status mb_format_from_path(const char *path, mb_format *format);
/* "poscar", "xyz", "cif", "json" (as used by --format). */
MB_API mb_status mb_format_from_name(const char *name, mb_format *format);

/* Read the first structure of a file. Errors name the file and line. */
MB_API mb_status mb_structure_read(const char *path, mb_format format,
                                   mb_structure **out);
/* Read structure number index (0-based) of a multi-structure file: the frames
 * of an extended XYZ file, the entries of a JSON array, the data blocks of a
 * CIF. POSCAR holds one structure. */
MB_API mb_status mb_structure_read_frame(const char *path, mb_format format, int index,
                                         mb_structure **out);
/* Number of structures in a file. */
MB_API mb_status mb_structure_count_frames(const char *path, mb_format format,
                                           int *count);
/* Parse from memory; name is used in error messages (may be NULL). format may
 * not be MB_FORMAT_AUTO unless name has a known extension. */
MB_API mb_status mb_structure_read_buffer(const char *data, size_t size,
                                          mb_format format, const char *name, int index,
                                          mb_structure **out);

/* Write a structure. */
MB_API mb_status mb_structure_write(const mb_structure *s, const char *path,
                                    mb_format format);
/* Write into a new NUL-terminated buffer (*size excludes the NUL); release it
 * with mb_free(). */
MB_API mb_status mb_structure_write_buffer(const mb_structure *s, mb_format format,
                                           char **data, size_t *size);

/* ---------------------------------------------------------------------------
 * 4. Neighbour lists
 *
 * A full periodic neighbour list (each pair appears as i->j and j->i), built by
 * cell lists in O(N) for any triclinic cell, including very skewed cells and
 * cells smaller than the cutoff (then an atom may neighbour its own images).
 * Pair p goes from atom i[p] to atom j[p] in the image shifted by the integer
 * lattice vector shift[3p..3p+2]:
 *     vector[p] = r[j] + shift . lattice - r[i],   distance[p] = |vector[p]|
 * Pairs are grouped by i (ascending), and within one i sorted by distance, then
 * j, then shift. An atom is never its own neighbour at zero shift.
 * ------------------------------------------------------------------------- */

typedef struct mb_neighbors mb_neighbors;

/* All pairs with 0 < distance <= cutoff (Angstrom). A list that would not fit
 * (over 1e9 pairs, or more than physical memory) is refused with MB_ERR_RANGE
 * or MB_ERR_NOMEM before anything is built. */
MB_API mb_status mb_neighbors_cutoff(const mb_structure *s, double cutoff,
                                     mb_neighbors **out);

/* For each atom its k nearest neighbours (1 <= k <= 100000, natoms*k <= 5e7,
 * else MB_ERR_RANGE); atoms tied with the k-th at its distance (within 1e-8 A)
 * are all included, so the list does not depend on the order of atoms. */
MB_API mb_status mb_neighbors_knn(const mb_structure *s, int k, mb_neighbors **out);

MB_API void mb_neighbors_free(mb_neighbors *nl);

MB_API mb_status mb_neighbors_count(const mb_neighbors *nl, size_t *npairs);
/* Copy the pairs out; any pointer may be NULL. i, j: npairs ints; shift:
 * 3*npairs ints; distance: npairs doubles; vector: 3*npairs doubles. */
MB_API mb_status mb_neighbors_pairs(const mb_neighbors *nl, int *i, int *j, int *shift,
                                    double *distance, double *vector);
/* First pair of each atom: natoms+1 entries, pairs of atom a are
 * first[a] .. first[a+1]-1. */
MB_API mb_status mb_neighbors_first(const mb_neighbors *nl, size_t *first);

/* ---------------------------------------------------------------------------
 * 5. Crystal graphs and graph-network models
 *
 * An mb_graph is the ALIGNN-style graph of a structure (docs/model.md, section
 * 1): k-nearest-neighbour directed edges in both directions and the line graph
 * of bond pairs with their angle cosines. An mb_model is a loaded graph network
 * (safetensors weights); a loaded model is read-only and may be shared by any
 * number of threads predicting at once.
 * ------------------------------------------------------------------------- */

typedef struct mb_graph mb_graph;
typedef struct mb_model mb_model;

/* Graph of s with k nearest neighbours (k >= 1; ALIGNN uses 12); the first
 * nband atoms (0 <= nband <= natoms) are band atoms. */
MB_API mb_status mb_graph_create(const mb_structure *s, int k, int nband, mb_graph **out);
MB_API void mb_graph_free(mb_graph *g);
MB_API mb_status mb_graph_sizes(const mb_graph *g, int *natoms, size_t *nedges,
                                size_t *ntriplets);
/* Edge e goes from atom src[e] to atom dst[e]; vector[3e..3e+2] points from the
 * source (in its periodic image) to the destination (Angstrom). Any pointer
 * may be NULL. */
MB_API mb_status mb_graph_edges(const mb_graph *g, int *src, int *dst, double *vector);
/* Triplet t joins edge a[t] = (u -> v) to edge b[t] = (v -> w); cosine[t] is
 * the bond-angle cosine at v. Any pointer may be NULL. */
MB_API mb_status mb_graph_triplets(const mb_graph *g, int *a, int *b, double *cosine);

/* Load a model from a safetensors file; checks every tensor name, shape and
 * dtype against the architecture in its metadata (docs/model.md). */
MB_API mb_status mb_model_load(const char *path, mb_model **out);
MB_API void mb_model_free(mb_model *m);
/* The model's metadata (architecture, targets, training provenance) as a JSON
 * object in a new buffer; release it with mb_free(). */
MB_API mb_status mb_model_metadata(const mb_model *m, char **json);
/* Number of outputs (properties) P, and the name of output p. */
MB_API mb_status mb_model_noutputs(const mb_model *m, int *noutputs);
MB_API mb_status mb_model_output_name(const mb_model *m, int p, const char **name);
/* 1 when the model reads a migration band (attention over band atoms or band
 * flags), 0 when it reads plain crystals. */
MB_API mb_status mb_model_is_band_model(const mb_model *m, int *is_band);

/* Predict the P outputs (target units) for a structure whose first nband atoms
 * are band atoms (nband = 0 for a plain crystal). A band model
 * (mb_model_is_band_model) needs nband >= 1; nband outside 0..natoms is
 * MB_ERR_INVALID_ARG. */
MB_API mb_status mb_model_predict_structure(const mb_model *m, const mb_structure *s,
                                            int nband, double *outputs);
/* E_m and the other outputs for the hop between two structures that differ in
 * the position of one ion: ion = its index, or -1 to find the one atom that
 * moves. The band is built as in docs/model.md, section 4. Fails with
 * MB_ERR_INVALID_ARG for a model that reads plain crystals, or for structures
 * whose atom counts or species order differ or whose lattices differ by more
 * than 1e-6 relative; MB_ERR_RANGE for ion outside -1..natoms-1;
 * MB_ERR_GEOMETRY unless exactly one atom (the given ion, if any) moves more
 * than 0.1 A (minimum image). */
MB_API mb_status mb_model_predict_band(const mb_model *m, const mb_structure *initial,
                                       const mb_structure *final, int ion,
                                       double *outputs);
/* Predict n structures (nband[i] band atoms each; nband may be NULL for all 0)
 * with up to nthreads threads (0 = one per core); outputs is n*P doubles. The
 * result does not depend on nthreads. Set OPENBLAS_NUM_THREADS=1 when
 * nthreads > 1 to avoid oversubscription; libmigbar does not change that
 * global setting. */
MB_API mb_status mb_model_predict_batch(const mb_model *m, int n,
                                        const mb_structure *const *structures,
                                        const int *nband, int nthreads, double *outputs);

/* ---------------------------------------------------------------------------
 * 6. Handles of later releases (declared now so that the names are reserved)
 * ------------------------------------------------------------------------- */

typedef struct mb_band mb_band;             /* a NEB band of images */
typedef struct mb_functional mb_functional; /* an exchange-correlation functional */
typedef struct mb_dft mb_dft;               /* a plane-wave Kohn-Sham DFT run */

#ifdef __cplusplus
}
#endif

#endif /* MIGBAR_H */
