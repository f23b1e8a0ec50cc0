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
 *   6. ensembles of models: E_m with an uncertainty (mb_ensemble)
 *   7. migration networks: the hops of a mobile ion and their percolation (mb_hops)
 *   8. force providers: built-in potentials (mb_potential) and callbacks
 *   9. nudged-elastic-band runs (mb_band)
 *  10. plane-wave Kohn-Sham DFT (mb_dft)
 *  11. handles filled in by later releases (functional)
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
#define MB_VERSION_MINOR 6
#define MB_VERSION_PATCH 0
#define MB_VERSION_STRING "0.6.0"
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
  MB_ERR_INTERNAL = 13,        /* a bug in libmigbar: please report it */
  MB_ERR_STOPPED = 14          /* a long run was stopped by its step callback */
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
  MB_FORMAT_CIF = 3,     /* CIF 1.1 (reading expands symmetry operations; the
                            element of a site comes from _atom_site_type_symbol in
                            any case with its charge stripped, "CA", "O2-", else
                            from the element its label starts with; see below) */
  MB_FORMAT_JSON = 4     /* the JSON "atoms" layout of the training data */
} mb_format;

/* Format from a file name: *.vasp, POSCAR*, CONTCAR* -> POSCAR; *.xyz, *.extxyz
 * -> XYZ; *.cif -> CIF; *.json -> JSON. MB_ERR_UNSUPPORTED when unknown. */
MB_API mb_status mb_format_from_path(const char *path, mb_format *format);
/* "poscar", "xyz", "cif", "json" (as used by --format). */
MB_API mb_status mb_format_from_name(const char *name, mb_format *format);

/* CIF species: a type symbol is an element symbol in any case ("Fe", "FE") with
 * an optional charge ("Fe2+", "O2-"); a label is an element symbol followed by
 * anything ("Fe1", "O12a"). In a block whose labels are all upper case, "CA1" and
 * "NB" are Ca and Nb; among mixed-case labels an upper-case pair that reads as two
 * elements ("CO1": C or Co) is refused with MB_ERR_PARSE and its line. Aliases:
 * "Wat"/"WAT" (water oxygen in AMCSD files) is O, "D" is H. A label that starts
 * with no element symbol ("Oxy") is refused unless a type symbol names the element.
 *
 * Text files (structures, ensemble manifests, pseudopotentials) are read whole,
 * up to MB_TEXT_FILE_LIMIT bytes: a larger regular file is refused with
 * MB_ERR_RANGE before it is read, a pipe, FIFO or device as soon as it has
 * delivered more; a NUL byte (binary data, /dev/zero) is refused with
 * MB_ERR_PARSE where it is met. The message names the file and the limit. */
#define MB_TEXT_FILE_LIMIT ((size_t)256 << 20) /* 256 MiB */

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
 * dtype against the architecture in its metadata (docs/model.md), and that every
 * weight is finite (a NaN or infinity is refused, naming the tensor). The file is
 * read header first: the header length and JSON header are checked against the
 * file's size before any tensor data is read, and a file (or pipe) holding more
 * than its header describes, or more than MB_MODEL_FILE_LIMIT bytes, is refused. */
#define MB_MODEL_FILE_LIMIT ((size_t)2 << 30) /* 2 GiB */
MB_API mb_status mb_model_load(const char *path, mb_model **out);
MB_API void mb_model_free(mb_model *m);
/* The model's metadata (architecture, targets, training provenance) as a JSON
 * object in a new buffer; release it with mb_free(). */
MB_API mb_status mb_model_metadata(const mb_model *m, char **json);
/* Number of outputs (properties) P, the name of output p and its units ("eV";
 * "" when the model file gives none); the strings live as long as the model. */
MB_API mb_status mb_model_noutputs(const mb_model *m, int *noutputs);
MB_API mb_status mb_model_output_name(const mb_model *m, int p, const char **name);
MB_API mb_status mb_model_output_units(const mb_model *m, int p, const char **units);
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
 * 6. Ensembles of models
 *
 * An mb_ensemble is several models of the same outputs (the shipped E_m model is
 * the ten cross-validation graph networks and a descriptor forest): the
 * prediction is their (weighted) mean, the uncertainty their spread (sample
 * standard deviation times a calibration factor fitted on the cross-validation
 * folds, with a forest's own spread over its trees added in quadrature where
 * the manifest says so: docs/model.md section 7). It is read from a manifest,
 * a JSON file
 *   {"format": "migbar-ensemble", "version": 2,   (1 or 2)
 *    "members": ["fold0.safetensors", ...],      (paths relative to the manifest)
 *    "std_scale": 1.0,                           (optional calibration factor)
 *    "weights": [0.2, ...],                      (optional: blend, one per member)
 *    "tree_spread": 0.86,                        (optional, version 2: weight of
 *                                                 the forests' tree spread)
 *    "domain": {"elements": ["Li", ...],         (optional: what the training
 *               "max_hop_length": 5.0},           data covers, for warnings)
 *    ...}                                        (any other keys: model card)
 * or from a single safetensors file (an ensemble of one, spread 0). A member
 * may also be a descriptor forest (regression trees on hop descriptors,
 * docs/descriptors.md), beside band models of its one output, E_m. A loaded
 * ensemble is read-only and may be shared by threads like a model.
 * ------------------------------------------------------------------------- */

typedef struct mb_ensemble mb_ensemble;

MB_API mb_status mb_ensemble_load(const char *path, mb_ensemble **out);
MB_API void mb_ensemble_free(mb_ensemble *e);
/* Number of members, and member i (borrowed: valid while e lives);
 * MB_ERR_INVALID_ARG for a forest member, which is not an mb_model. */
MB_API mb_status mb_ensemble_size(const mb_ensemble *e, int *nmembers);
MB_API mb_status mb_ensemble_member(const mb_ensemble *e, int i, const mb_model **member);
/* The manifest as a JSON object in a new buffer (mb_free()); for a single
 * safetensors file, the model's metadata. */
MB_API mb_status mb_ensemble_manifest(const mb_ensemble *e, char **json);
/* As mb_model_predict_band: mean[P] and std[P] over the members. */
MB_API mb_status mb_ensemble_predict_band(const mb_ensemble *e, const mb_structure *initial,
                                          const mb_structure *final, int ion, double *mean,
                                          double *std);
/* As mb_model_predict_batch: mean and std are n*P doubles each. */
MB_API mb_status mb_ensemble_predict_batch(const mb_ensemble *e, int n,
                                           const mb_structure *const *structures,
                                           const int *nband, int nthreads, double *mean,
                                           double *std);
/* What the training data does not cover in the hop from initial to final (ion
 * as in mb_model_predict_band): elements absent from the data, a hop longer
 * than the longest in the data. *warnings is a new buffer (mb_free()) of lines,
 * or NULL when there is nothing to say. The hop itself must be valid (the
 * errors of mb_model_predict_band apply). */
MB_API mb_status mb_ensemble_check_hop(const mb_ensemble *e, const mb_structure *initial,
                                       const mb_structure *final, int ion, char **warnings);

/* ---------------------------------------------------------------------------
 * 7. Migration networks
 *
 * An mb_hops is the network of hops of one mobile species (e.g. "Li") in a crystal
 * (docs/hops.md): every atom of that element is a site; a hop joins two sites, the
 * second possibly in a neighbouring cell, whose distance is at most
 * MB_HOPS_MAX_LENGTH. Hops related by an operation of the space group (spglib,
 * lattice translations and centring included) are one distinct hop; a hop and its
 * reverse are the same hop. For each distinct hop: a representative, its
 * multiplicity (the number of undirected hops of the class per unit cell: a
 * directed count is twice this), its length, its bottleneck (the closest approach
 * of the straight path to a framework atom, i.e. any atom of another element) and
 * whether the path is blocked, its end points (a vacancy hop in a supercell, laid
 * out as the em data set lays out bands: ready for mb_ensemble_predict_band or a NEB
 * run) and a barrier: a geometric proxy until a model or the caller gives better.
 * From the barriers, the percolation barriers: the lowest barrier at which the hops
 * connect into a network spanning 1, 2 and 3 dimensions.
 *
 * The handle copies the structure; nothing is computed until mb_hops_find. It
 * belongs to one thread at a time while it changes (options, find, barriers); its
 * getters may then be called from any number of threads.
 * ------------------------------------------------------------------------- */

typedef struct mb_hops mb_hops;

typedef enum mb_hops_option {
  MB_HOPS_MAX_LENGTH = 0,     /* longest hop, A (default 5; at most 15) */
  MB_HOPS_SYMPREC = 1,        /* spglib tolerance, A (default 1e-3) */
  MB_HOPS_BLOCK_FRACTION = 2, /* a hop is blocked when its bottleneck is below this
                                 fraction of the clearance of its end sites (the
                                 smaller distance from an end site to its nearest
                                 framework atom); default 0.6 (docs/hops.md) */
  MB_HOPS_MIN_SEPARATION = 3, /* end points: every height of the supercell is at least
                                 this (A), so that the ion's periodic images are this
                                 far apart (default 8; the supercell is also higher
                                 than 2 x the hop length + 0.5 A) */
  MB_HOPS_MAX_ATOMS = 4       /* end points: the largest supercell built (default
                                 2000 atoms; larger is MB_ERR_RANGE) */
} mb_hops_option;

/* Where the barriers of the distinct hops come from. */
typedef enum mb_hops_source {
  MB_HOPS_SOURCE_PROXY = 0,   /* the geometric proxy (docs/hops.md): for ranking only */
  MB_HOPS_SOURCE_USER = 1,    /* mb_hops_set_barriers */
  MB_HOPS_SOURCE_MODEL = 2    /* mb_hops_predict */
} mb_hops_source;

/* The network of the species named ion ("Li") in s (copied). MB_ERR_INVALID_ARG when
 * ion is not a chemical symbol or s has no atom of it. */
MB_API mb_status mb_hops_create(const mb_structure *s, const char *ion, mb_hops **out);
MB_API void mb_hops_free(mb_hops *h);
/* Options (mb_hops_option); setting one forgets what mb_hops_find found. */
MB_API mb_status mb_hops_set_option(mb_hops *h, mb_hops_option key, double value);
MB_API mb_status mb_hops_get_option(const mb_hops *h, mb_hops_option key, double *value);

/* Find the sites, the hops, their classes, bottlenecks and proxy barriers. Fails
 * with MB_ERR_RANGE when no two sites are within MB_HOPS_MAX_LENGTH, MB_ERR_SYMMETRY
 * when spglib finds no space group. The getters below need it (MB_ERR_INVALID_ARG
 * before). */
MB_API mb_status mb_hops_find(mb_hops *h);

/* Number of sites, and the atom index in the structure of each (atoms may be NULL). */
MB_API mb_status mb_hops_sites(const mb_hops *h, int *nsites, int *atoms);
/* Number of distinct hops and of all undirected hops per unit cell (either pointer
 * may be NULL); the second is the sum of the multiplicities. */
MB_API mb_status mb_hops_count(const mb_hops *h, int *ndistinct, int *nhops);
/* The distinct hops, shortest first (ndistinct entries each; any pointer may be
 * NULL): the representative goes from atom from[k] to atom to[k] in the cell shifted
 * by the lattice translation image[3k..3k+2]; its length (A) and multiplicity. */
MB_API mb_status mb_hops_distinct(const mb_hops *h, int *from, int *to, int *image,
                                  double *length, int *multiplicity);
/* Geometry of the distinct hops (any pointer may be NULL): bottleneck of the straight
 * path (A; infinite without framework atoms), window (the closest approach of the
 * widest of a family of bent paths, A; >= bottleneck), clearance of the end sites (A)
 * and blocked (0/1). */
MB_API mb_status mb_hops_geometry(const mb_hops *h, double *bottleneck, double *window,
                                  double *clearance, int *blocked);
/* Every undirected hop of the unit cell (nhops entries; any pointer may be NULL), as
 * in mb_hops_distinct, and the distinct hop it belongs to. */
MB_API mb_status mb_hops_all(const mb_hops *h, int *from, int *to, int *image, int *distinct);

/* End points of distinct hop k: the structure repeated into the smallest diagonal
 * supercell that MB_HOPS_MIN_SEPARATION allows (reps, may be NULL), the destination
 * site emptied, the moving ion (its index in both, *ion) at its start site in
 * *initial and at the destination in *final; atoms grouped by element in the order
 * they first appear. MB_ERR_RANGE when the supercell exceeds MB_HOPS_MAX_ATOMS. */
MB_API mb_status mb_hops_end_points(const mb_hops *h, int k, mb_structure **initial,
                                    mb_structure **final, int *ion, int reps[3]);

/* Barriers of the distinct hops (ndistinct each, eV; spread may be NULL for none),
 * applied to every hop of the class. */
MB_API mb_status mb_hops_set_barriers(mb_hops *h, const double *barrier,
                                      const double *spread);
/* Barriers predicted by an ensemble (or a single model loaded as one): the E_m
 * output ("em", or the only output) of mb_ensemble_predict_band on the end points of
 * every distinct hop, with up to nthreads threads (0 = one per core). On failure
 * the barriers are left as they were. */
MB_API mb_status mb_hops_predict(mb_hops *h, const mb_ensemble *e, int nthreads);
/* The barriers now in use (ndistinct each, eV; any pointer may be NULL; the spread
 * is 0 where none is known) and where they come from. */
MB_API mb_status mb_hops_barriers(const mb_hops *h, double *barrier, double *spread,
                                  mb_hops_source *source);

/* Percolation: for d = 1, 2, 3, barrier[d-1] is the lowest barrier E such that the
 * hops with barriers <= E connect the sites into a network that spans d dimensions
 * (infinite when even all hops do not), and limiting[d-1] the distinct hop whose
 * addition reached d (-1 when never). Either array may be NULL. */
MB_API mb_status mb_hops_percolation(const mb_hops *h, double barrier[3], int limiting[3]);
/* Dimensionality (0..3) of the network of hops with barriers <= threshold (eV). */
MB_API mb_status mb_hops_dimensionality(const mb_hops *h, double threshold, int *dim);

/* ---------------------------------------------------------------------------
 * 8. Force providers
 *
 * A NEB band (section 9) takes its energies and forces from a built-in
 * potential, from a callback per image, or from a callback for all images.
 * ------------------------------------------------------------------------- */

typedef struct mb_potential mb_potential;

typedef enum mb_potential_kind {
  MB_POTENTIAL_LJ = 0,    /* Lennard-Jones, as ASE's LennardJones (3.22) */
  MB_POTENTIAL_MORSE = 1, /* Morse, as ASE's MorsePotential: cutoff smoothed from
                             1.9 r0 to 2.7 r0 */
  MB_POTENTIAL_EMT = 2    /* effective-medium theory, as ASE's EMT: Al Cu Ag Au Ni
                             Pd Pt H C N O (Jacobsen, Stoltze, Norskov, Surf. Sci.
                             366, 394 (1996)) */
} mb_potential_kind;

/* Parameters of the pair potentials (EMT has none: its parameters are fixed). */
typedef enum mb_potential_param {
  MB_POTENTIAL_EPSILON = 0, /* well depth, eV (LJ default 1, Morse default 1) */
  MB_POTENTIAL_SIGMA = 1,   /* LJ length, A (default 1) */
  MB_POTENTIAL_CUTOFF = 2,  /* LJ cutoff rc, A (default 3 sigma) */
  MB_POTENTIAL_ONSET = 3,   /* LJ smoothing onset ro, A (default 0.66 rc) */
  MB_POTENTIAL_SMOOTH = 4,  /* LJ: 1 = smooth cutoff between ro and rc, 0 = energy
                               shifted to zero at rc (default 0) */
  MB_POTENTIAL_R0 = 5,      /* Morse equilibrium distance, A (default 1) */
  MB_POTENTIAL_RHO0 = 6     /* Morse exponent rho0 = a r0 (default 6) */
} mb_potential_param;

MB_API mb_status mb_potential_create(mb_potential_kind kind, mb_potential **out);
MB_API void mb_potential_free(mb_potential *p);
MB_API mb_status mb_potential_set(mb_potential *p, mb_potential_param key, double value);
MB_API mb_status mb_potential_get(const mb_potential *p, mb_potential_param key,
                                  double *value);
/* Energy (eV) and forces (3*natoms, eV/A; may be NULL) of a structure. A
 * potential is read-only here: any number of threads may compute at once. EMT
 * refuses elements it has no parameters for (MB_ERR_UNSUPPORTED). */
MB_API mb_status mb_potential_compute(const mb_potential *p, const mb_structure *s,
                                      double *energy, double *forces);

/* A force provider for one image: from the lattice (9 doubles, A), the natoms
 * atomic numbers and Cartesian positions (3*natoms, A), write the energy (eV)
 * and the forces (3*natoms, eV/A). Return 0 on success; anything else is a
 * failure, reported by the caller as MB_ERR_CALLBACK. */
typedef int (*mb_force_fn)(const double *lattice, int natoms, const int *numbers,
                           const double *positions, double *energy, double *forces,
                           void *user);
/* A force provider for nimages images at once (positions and forces are
 * nimages*3*natoms, image after image; energies nimages). */
typedef int (*mb_force_batch_fn)(int nimages, const double *lattice, int natoms,
                                 const int *numbers, const double *positions,
                                 double *energies, double *forces, void *user);

/* ---------------------------------------------------------------------------
 * 9. Nudged-elastic-band runs
 *
 * An mb_band is a chain of images between an initial and a final structure
 * (same cell, same atoms in the same order). Climbing-image NEB with the
 * improved tangent (Henkelman, Jonsson, J. Chem. Phys. 113, 9978 (2000)) and
 * the climbing image (Henkelman, Uberuaga, Jonsson, J. Chem. Phys. 113, 9901
 * (2000)); optimisers act on the whole band at once. Image 0 and image
 * nimages-1 are the end points.
 * ------------------------------------------------------------------------- */

typedef enum mb_interpolation {
  MB_INTERPOLATION_LINEAR = 0, /* straight line, minimum-image displacements */
  MB_INTERPOLATION_IDPP = 1    /* image-dependent pair potential (Smidstrup et al.,
                                  J. Chem. Phys. 140, 214106 (2014)) */
} mb_interpolation;

typedef enum mb_optimizer {
  MB_OPTIMIZER_FIRE = 0,  /* Bitzek et al., Phys. Rev. Lett. 97, 170201 (2006) */
  MB_OPTIMIZER_LBFGS = 1, /* global L-BFGS over the band (Sheppard, Terrell,
                             Henkelman, J. Chem. Phys. 128, 134106 (2008)) */
  MB_OPTIMIZER_ODE = 2    /* adaptive-step ODE solver (Makri, Ortner, Kermode,
                             J. Chem. Phys. 150, 094109 (2019)) */
} mb_optimizer;

typedef enum mb_band_option {
  MB_BAND_SPRING = 0,          /* spring constant, eV/A^2 (default 0.1, as ASE) */
  MB_BAND_SPRING_MIN = 1,      /* energy-weighted springs: the constant at the lowest
                                  energy, rising to MB_BAND_SPRING at the highest;
                                  < 0 = off (default -1) */
  MB_BAND_CLIMB = 2,           /* 0 = no climbing image, 1 = from the start, 2 = once
                                  the band is below MB_BAND_CLIMB_FMAX (default 0) */
  MB_BAND_CLIMB_FMAX = 3,      /* eV/A (default 0.5) */
  MB_BAND_FMAX = 4,            /* converged when the largest per-atom norm of the NEB
                                  force on the moving images is below this, eV/A
                                  (0.05; the criterion of ASE's optimisers and VTST;
                                  end point relaxation uses the same measure) */
  MB_BAND_MAX_STEPS = 5,       /* optimiser steps (default 1000) */
  MB_BAND_OPTIMIZER = 6,       /* an mb_optimizer (default MB_OPTIMIZER_LBFGS) */
  MB_BAND_MAX_MOVE = 7,        /* largest displacement of an atom per step, A (0.2) */
  MB_BAND_THREADS = 8,         /* images computed at once for thread-safe providers;
                                  0 = one per core (default 1) */
  MB_BAND_RELAX_ENDPOINTS = 9, /* 1 = relax both end points with the same optimiser
                                  before the band (default 0: end points fixed) */
  MB_BAND_ALLOW_EXCHANGE = 10  /* 1 = run a band whose atoms swap places (see
                                  mb_band_run), with a warning in the log (default 0:
                                  refused) */
} mb_band_option;

typedef struct mb_band mb_band;

/* A band of nintermediate >= 1 images between initial and final (end points
 * copied). Errors: MB_ERR_INVALID_ARG when the atom counts, species order or
 * lattices (1e-6 relative) differ; the message names "the final structure". Fixed
 * atoms: the selective-dynamics flags of initial, if any (a coordinate fixed there
 * stays fixed). Further checks of the end points run when the band is run
 * (mb_band_run). */
MB_API mb_status mb_band_create(const mb_structure *initial, const mb_structure *final,
                                int nintermediate, mb_interpolation interpolation,
                                mb_band **out);
/* Make the intermediate images again from the end points (as mb_band_create does),
 * with the band's callbacks in place: IDPP, the slow part on large cells, calls the
 * step callback after each of its iterations with step = 0 (no energies exist yet),
 * and a nonzero return stops it with MB_ERR_STOPPED, the images then the path as it
 * was (a valid band). This is how an interrupt (Ctrl-C in migbar neb) reaches the
 * interpolation: create the band with MB_INTERPOLATION_LINEAR (instant), set the
 * step callback, then call this with MB_INTERPOLATION_IDPP. Energies, optimiser
 * memory and the step count are reset. IDPP uses the atom pairs within 8 A on the
 * straight path (ASE uses all pairs; the paths agree to 0.02 A on the tests' cases)
 * and stops when the largest per-atom IDPP force is below 1e-3 A^-3 or after 1000
 * iterations. */
MB_API mb_status mb_band_interpolate(mb_band *b, mb_interpolation interpolation);
/* A band from nimages >= 3 explicit images, end points included (a restart or
 * a user's path); the same checks. */
MB_API mb_status mb_band_create_from_images(int nimages,
                                            const mb_structure *const *images,
                                            mb_band **out);
/* Free a band (NULL is a no-op). Called during mb_band_run, mb_band_evaluate or
 * mb_band_relax_endpoints on the same band (from its force, batch, step or log
 * callback, on any thread), it frees nothing the run still uses: it marks the
 * band, the run stops at its next safe point (after the current force call or
 * step) and returns MB_ERR_STOPPED with the message "the band was freed during
 * mb_band_run ...", and the band is released as that call returns. The caller
 * must not use the band after mb_band_free in either case. */
MB_API void mb_band_free(mb_band *b);
/* 1 while mb_band_run, mb_band_evaluate or mb_band_relax_endpoints runs on b
 * (the band's callbacks see 1), else 0. While running, the setters
 * (mb_band_set_*) and a second run refuse with MB_ERR_INVALID_ARG; getters and
 * mb_band_write may be called from the step callback. */
MB_API mb_status mb_band_is_running(const mb_band *b, int *running);

MB_API mb_status mb_band_set_option(mb_band *b, mb_band_option key, double value);
MB_API mb_status mb_band_get_option(const mb_band *b, mb_band_option key, double *value);
/* Fixed coordinates: 3*natoms flags, 1 = free, 0 = fixed; NULL frees all. */
MB_API mb_status mb_band_set_fixed(mb_band *b, const int *flags);

/* The force provider (the last one set wins). A potential or a callback declared
 * thread_safe != 0 lets MB_BAND_THREADS images run at once. The band does not
 * own the potential or user data: they must outlive the runs. */
MB_API mb_status mb_band_set_potential(mb_band *b, const mb_potential *p);
MB_API mb_status mb_band_set_callback(mb_band *b, mb_force_fn fn, void *user,
                                      int thread_safe);
MB_API mb_status mb_band_set_batch_callback(mb_band *b, mb_force_batch_fn fn, void *user);

/* Progress: one MB_LOG_INFO line per step (step, largest force, barrier, time). */
MB_API mb_status mb_band_set_log(mb_band *b, mb_log_fn fn, void *user);
/* Called after every step with the step number; return nonzero to stop the run
 * (it then returns MB_ERR_STOPPED, the band kept as it is, ready to continue).
 * Checkpoints are written from here. */
typedef int (*mb_band_step_fn)(const mb_band *b, int step, void *user);
MB_API mb_status mb_band_set_step_callback(mb_band *b, mb_band_step_fn fn, void *user);

/* Compute the energies and forces of all images (and the end points when they
 * have none yet) without moving anything. */
MB_API mb_status mb_band_evaluate(mb_band *b);
/* Relax the two end points (as MB_BAND_RELAX_ENDPOINTS does inside run). */
MB_API mb_status mb_band_relax_endpoints(mb_band *b);
/* Optimise the band until converged: MB_OK, or MB_ERR_NOT_CONVERGED after
 * MB_BAND_MAX_STEPS steps (the message gives the largest force); calling run
 * again continues. Converged means the largest per-atom NEB force norm on the
 * moving images is below MB_BAND_FMAX (and the climbing image is on, for
 * MB_BAND_CLIMB 2).
 * Before the first step the end points are checked: MB_ERR_INVALID_ARG when every
 * coordinate of every atom is fixed (nothing could move); MB_ERR_GEOMETRY when
 * atoms swap places between the initial and final structures (two or more atoms
 * that each move over 0.5 A, in a cycle in which each ends where the next one
 * started, so that relabelling them would cut their displacement fourfold: most
 * often the final structure lists the atoms in another order); the message names
 * the atoms. MB_BAND_ALLOW_EXCHANGE 1 accepts such a band (an exchange mechanism)
 * with a MB_LOG_WARNING line instead. A fixed atom that moves between the end
 * points gets a warning line. Freeing the band from a callback: see mb_band_free
 * (MB_ERR_STOPPED). */
MB_API mb_status mb_band_run(mb_band *b);

/* Results (after evaluate or run). */
MB_API mb_status mb_band_nimages(const mb_band *b, int *nimages); /* end points incl. */
MB_API mb_status mb_band_natoms(const mb_band *b, int *natoms);
/* A copy of image i. */
MB_API mb_status mb_band_image(const mb_band *b, int i, mb_structure **out);
/* Energies of all images, eV (NaN where not computed). */
MB_API mb_status mb_band_energies(const mb_band *b, double *energies);
/* Forces on image i (3*natoms, eV/A): the provider's (neb = 0) or the NEB
 * force the optimiser follows (neb = 1: perpendicular true force plus parallel
 * spring force, or the climbing force). */
MB_API mb_status mb_band_forces(const mb_band *b, int i, int neb, double *forces);
/* Forward (E_saddle - E_0) and backward (E_saddle - E_last) barriers, eV, and the
 * highest image. */
MB_API mb_status mb_band_barrier(const mb_band *b, double *forward, double *backward,
                                 int *saddle);
/* Reaction coordinate (cumulative distance along the band, A) and the force
 * along the tangent (eV/A) of each image; either pointer may be NULL. */
MB_API mb_status mb_band_path(const mb_band *b, double *coordinate,
                              double *tangential_force);
/* The energy profile at npoints >= 2 evenly spaced reaction coordinates: cubic
 * Hermite splines through the image energies whose slopes are minus the
 * tangential forces. */
MB_API mb_status mb_band_profile(const mb_band *b, int npoints, double *coordinate,
                                 double *energy);
/* Optimiser steps so far, force calls on the moving images and on the end
 * points, the largest per-atom NEB force norm on the moving images now (eV/A),
 * and whether converged. */
MB_API mb_status mb_band_stats(const mb_band *b, int *steps, long *moving_calls,
                               long *endpoint_calls, double *max_force, int *converged);

typedef enum mb_band_file {
  MB_BAND_FILE_JSON = 0, /* summary: energies, barriers, coordinate, profile, stats */
  MB_BAND_FILE_SVG = 1,  /* the energy profile as a plot */
  MB_BAND_FILE_XYZ = 2   /* all images as extended XYZ frames with energy and forces */
} mb_band_file;
MB_API mb_status mb_band_write(const mb_band *b, const char *path, mb_band_file kind);

/* Checkpoints: mb_band_save writes the band's whole state to path, the JSON summary
 * of mb_band_write (MB_BAND_FILE_JSON) with a "checkpoint" object (lattice, atoms,
 * fixed coordinates, every image's positions, options, step and force-call counts)
 * and, when extra_json is given (a JSON object, e.g. how the caller made the band),
 * that object as "run"; through a temporary file and a rename, so a file on disk is
 * always whole. mb_band_load makes a band from such a file: images, fixed
 * coordinates, options and counts as saved, no force provider (set one before
 * running), energies computed again by the next run; *extra_json (may be NULL)
 * receives the "run" object as JSON text (mb_free; NULL when there is none).
 * Errors: MB_ERR_IO, MB_ERR_PARSE (file:line for JSON syntax; naming the member
 * otherwise), the option checks of mb_band_set_option. */
MB_API mb_status mb_band_save(const mb_band *b, const char *path, const char *extra_json);
MB_API mb_status mb_band_load(const char *path, mb_band **out, char **extra_json);

/* MPI over images (builds configured --with-mpi): the images are shared out over
 * the ranks of the communicator given by its Fortran handle (MPI_Comm_c2f), and
 * every rank ends with the same band. MB_ERR_UNSUPPORTED in other builds. */
MB_API mb_status mb_band_set_mpi(mb_band *b, int fortran_comm);

/* ---------------------------------------------------------------------------
 * 10. Plane-wave Kohn-Sham DFT
 *
 * An mb_dft is a ground-state calculation of one structure: plane waves up to a
 * cutoff, norm-conserving pseudopotentials (psp8, HGH and UPF 2, found by element in
 * Debian's abinit-data when none is named), a Monkhorst-Pack k-point grid reduced
 * by symmetry, LDA, GGA and meta-GGA functionals through libxc (mb_xc, or any
 * mb_functional), DFT+U (the functional's Hubbard values), fixed or smeared occupations. Its
 * numbers match ABINIT 9.6 on the same inputs (tests/dft). Energies in eV,
 * forces in eV/A at the API; Hartree atomic units inside. A new geometry (the
 * same atoms and lattice) starts from the previous wavefunctions and density.
 * ------------------------------------------------------------------------- */

typedef struct mb_dft mb_dft;
typedef struct mb_functional mb_functional; /* section 12 */

typedef enum mb_xc {
  MB_XC_AUTO = 0, /* the pseudopotentials' own functional (psp8 PBE, HGH LDA) */
  MB_XC_LDA = 1,  /* Perdew-Wang 92 LDA (libxc LDA_X + LDA_C_PW) */
  MB_XC_PBE = 2   /* PBE GGA (libxc GGA_X_PBE + GGA_C_PBE) */
} mb_xc;

typedef enum mb_smearing {
  MB_SMEARING_NONE = 0,        /* fixed occupations: insulators (default) */
  MB_SMEARING_FERMI_DIRAC = 1, /* ABINIT occopt 3 */
  MB_SMEARING_GAUSSIAN = 2,    /* ABINIT occopt 7 */
  MB_SMEARING_COLD = 3         /* Marzari-Vanderbilt cold smearing, ABINIT occopt 4 */
} mb_smearing;

typedef enum mb_dft_option {
  MB_DFT_ECUT = 0,        /* plane-wave kinetic-energy cutoff, eV (default 400) */
  MB_DFT_SCF_TOL = 1,     /* converged when the total energy changes less than this
                             between SCF steps, eV (default 1e-6) */
  MB_DFT_MAX_SCF = 2,     /* SCF steps before MB_ERR_NOT_CONVERGED (default 100) */
  MB_DFT_THREADS = 3,     /* threads over the (spin, k-point) pairs, those left over
                             sharing the work inside one (Gamma alone: all of them);
                             0 = one per core (default 1); the same result on any */
  MB_DFT_EXTRA_BANDS = 4, /* bands beyond the occupied ones (default: 0 without
                             smearing, else 20 % more, at least 4) */
  MB_DFT_MIXING = 5,      /* density mixing fraction, 0 < x <= 1 (default 0.6) */
  MB_DFT_SYMMETRY = 6,    /* 1 = reduce k-points by the crystal's symmetry (default) */
  MB_DFT_CHARGE = 7,      /* net charge of the cell, e (default 0; +1 = one electron
                             fewer), compensated by a uniform background as in
                             ABINIT's "charge" */
  MB_DFT_SPIN = 8,        /* 1 = collinear spin polarisation (ABINIT nsppol 2; default
                             0): starting moments from mb_dft_set_magnetic_moments */
  MB_DFT_FIX_MOMENT = 9,  /* 1 = hold the total moment at MB_DFT_MOMENT, each spin with
                             its own Fermi level (ABINIT spinmagntarget; default 0:
                             free, one Fermi level; fixed occupations need it) */
  MB_DFT_MOMENT = 10,     /* the total moment held, mu_B = electrons up - down
                             (default 0) */
  MB_DFT_ECUT_RHO = 11    /* cutoff of the density grid, eV (QE's ecutrho; ABINIT's
                             boxcutmin = sqrt(ecut_rho / ecut)): the FFT box holds the
                             density's sphere of this cutoff. Default 0 = 4 x ecut,
                             the smallest box without aliasing; else at least that.
                             More makes the exchange-correlation integral finer
                             (meta-GGAs such as SCAN need it) at the cost of larger
                             FFTs */
} mb_dft_option;

/* A calculation of structure s (copied). Nothing is computed yet. */
MB_API mb_status mb_dft_create(const mb_structure *s, mb_dft **out);
MB_API void mb_dft_free(mb_dft *d);
/* A copy with the same settings, structure and, when computed, wavefunctions and
 * density (a warm start for a neighbouring geometry, e.g. one per NEB image). */
MB_API mb_status mb_dft_copy(const mb_dft *d, mb_dft **out);

MB_API mb_status mb_dft_set_option(mb_dft *d, mb_dft_option key, double value);
MB_API mb_status mb_dft_get_option(const mb_dft *d, mb_dft_option key, double *value);
/* Monkhorst-Pack grid (each >= 1; default 1 1 1) and shift (each 0 or 0.5, in
 * units of the grid step, as ABINIT's ngkpt and shiftk; NULL = no shift). */
MB_API mb_status mb_dft_set_kpoints(mb_dft *d, const int grid[3], const double shift[3]);
/* Smearing of the occupations and its width (eV; ignored for MB_SMEARING_NONE). */
MB_API mb_status mb_dft_set_smearing(mb_dft *d, mb_smearing kind, double width_eV);
MB_API mb_status mb_dft_set_functional(mb_dft *d, mb_xc xc);
/* The pseudopotential file of an element ("Si"), or a directory searched by
 * element (PseudoDojo psp8 <El>.psp8 first, then HGH <Z><el>.<zion>.hgh). */
MB_API mb_status mb_dft_set_pseudo(mb_dft *d, const char *element, const char *path);
MB_API mb_status mb_dft_set_pseudo_dir(mb_dft *d, const char *dir);
/* Progress: one MB_LOG_INFO line per SCF step (step, energy, change, residual).
 * Before the first step of a new calculation: MB_LOG_INFO lines naming each element's
 * pseudopotential file, its format and the functional it was made with, and the size of
 * the run (plane waves per k-point, FFT box, k-points, bands, estimated memory and time
 * per SCF step); MB_LOG_WARNING lines, starting "warning:", where a pseudopotential was
 * made with another functional than the calculation's (a meta-GGA on a GGA
 * pseudopotential, the usual practice, is an MB_LOG_INFO note) and where an odd number
 * of electrons has fixed occupations without spin. mb_dft_compute refuses with
 * MB_ERR_NOMEM, before allocating anything, a run whose estimated memory exceeds 90 % of
 * the machine's. */
MB_API mb_status mb_dft_set_log(mb_dft *d, mb_log_fn fn, void *user);
/* A new geometry: the same atoms in the same order and the same lattice (else
 * MB_ERR_INVALID_ARG); the next compute starts from the last solution. */
MB_API mb_status mb_dft_set_structure(mb_dft *d, const mb_structure *s);

/* Solve: the total energy (eV), the free energy E - TS (eV; equal to the energy
 * without smearing) and the forces (3*natoms, eV/A); any output may be NULL. An
 * SCF that does not converge within MB_DFT_MAX_SCF steps returns
 * MB_ERR_NOT_CONVERGED with the last energy change and density residual in the
 * message (the outputs are then left untouched). */
MB_API mb_status mb_dft_compute(mb_dft *d, double *energy, double *free_energy,
                                double *forces);
/* The last SCF: steps, density residual, Fermi level (eV; the highest occupied
 * eigenvalue without smearing) and whether it converged. Any pointer may be NULL. */
MB_API mb_status mb_dft_scf_report(const mb_dft *d, int *steps, double *residual,
                                   double *fermi, int *converged);
/* Eigenvalues (eV) of the irreducible k-points: nkpoints*nbands values, the bands
 * of k-point 0 first; kpoints (3*nkpoints, reduced) and weights (nkpoints) may be
 * NULL; with eigenvalues NULL only the counts are written. */
MB_API mb_status mb_dft_eigenvalues(const mb_dft *d, int *nkpoints, int *nbands,
                                    double *eigenvalues, double *kpoints, double *weights);

/* Spin (MB_DFT_SPIN 1). Starting moments per atom (natoms values, mu_B, along z; NULL:
 * none), as ABINIT's spinat: the start density of each atom is split so that it
 * carries that moment; atoms of one element with different moments are not
 * equivalent to the symmetry search (an antiferromagnet keeps its order). A run with
 * all moments zero and a free moment stays unpolarised. */
MB_API mb_status mb_dft_set_magnetic_moments(mb_dft *d, const double *moments);
/* After a compute: the total moment (integral of rho_up - rho_down, mu_B) and the
 * absolute one (integral of |rho_up - rho_down|); both 0 without spin. */
MB_API mb_status mb_dft_magnetization(const mb_dft *d, double *total, double *absolute);
/* After a compute: the electrons (up + down) and the moment (up - down, mu_B; 0 without
 * spin) within a sphere of radius (A) around each atom (natoms values each; either may
 * be NULL), integrated on the FFT grid as ABINIT's "atomic spheres" table (ratsph;
 * ABINIT's default radius is 2 Bohr = 1.0584 A). Spheres that overlap count the
 * overlap twice; the sum of the moments is not the cell's moment. */
MB_API mb_status mb_dft_atomic_spheres(const mb_dft *d, double radius, double *charge,
                                       double *moment);
/* Eigenvalues of one spin channel (0 up, 1 down) of a spin-polarised run, laid out as
 * mb_dft_eigenvalues (which refuses spin-polarised runs, whose values per k-point
 * are twice as many). */
MB_API mb_status mb_dft_eigenvalues_spin(const mb_dft *d, int spin, int *nkpoints,
                                         int *nbands, double *eigenvalues, double *kpoints,
                                         double *weights);

/* The functional as an mb_functional (section 12): any libxc LDA, GGA or meta-GGA of
 * one or two components ("PBEsol", "SCAN", "r2SCAN", "gga_x_rpbe+gga_c_pbe"). For a
 * meta-GGA the kinetic-energy density enters the Hamiltonian (-1/2 div(v_tau grad
 * psi)); it needs pseudopotentials without non-linear core correction (as ABINIT):
 * mb_dft_compute refuses core-corrected ones with MB_ERR_UNSUPPORTED. The handle is
 * read at once (its libxc ids and Hubbard values kept); mb_dft_set_functional replaces
 * it, Hubbard values included.
 *
 * DFT+U: the functional's Hubbard U_eff (mb_functional_set_hubbard, eV) of the elements
 * present, in Dudarev's simplified rotationally invariant form (PRB 57, 1505 (1998)),
 *   E_U = U_eff/2 sum_sigma sum_I Tr[n^{I sigma} (1 - n^{I sigma})],
 * with occupation matrices n^{I sigma}_mm' projected on the pseudo-atomic orbitals of
 * the UPF files (PP_CHI, with real spherical harmonics), not orthogonalised: Quantum
 * ESPRESSO's U_projection_type 'atomic' (docs/dft_plus_u.md has the details and the
 * parity figures). E_U is part of the energies and forces of mb_dft_compute. The
 * elements with a U need UPF pseudopotentials that have an orbital of that l:
 * mb_dft_compute refuses psp8 and HGH files (they carry no orbitals) with
 * MB_ERR_UNSUPPORTED naming the file. Without spin polarisation each spin holds half
 * of the occupations; with MB_DFT_SPIN each spin has its own. */
MB_API mb_status mb_dft_set_xc_functional(mb_dft *d, const mb_functional *f);
/* DFT+U after a compute: E_U (eV; included in the energies mb_dft_compute returned; 0
 * without U). */
MB_API mb_status mb_dft_hubbard_energy(const mb_dft *d, double *energy);
/* The occupation matrix of the l shell (0 s .. 3 f) of atom (0-based) after a compute:
 * *nspin = 0 when the atom has no U on l; else nspin (1 without spin polarisation, 2
 * with MB_DFT_SPIN: up, down) matrices of (2l+1)^2 values into matrix (may be NULL), row-major, one per spin channel
 * (unpolarised: each spin's, half the total, so the shell holds 2 Tr n electrons), with
 * m in the order of the real harmonics y, z, x (l = 1); xy, yz, 3z^2-r^2, xz, x^2-y^2
 * (l = 2); y(3x^2-y^2), xyz, y(5z^2-r^2), z(5z^2-3r^2), x(5z^2-r^2), z(x^2-y^2),
 * x(x^2-3y^2) (l = 3). MB_ERR_RANGE for atom or l out of range. */
MB_API mb_status mb_dft_hubbard_occupation(const mb_dft *d, int atom, int l, int *nspin,
                                           double *matrix);

/* The DFT engine as the force provider of a band: each moving image gets its own
 * copy of d (mb_dft_copy), so that every image warm-starts from its own last
 * solution. d is copied at once and may be freed after the call. */
MB_API mb_status mb_band_set_dft(mb_band *b, const mb_dft *d);

/* ---------------------------------------------------------------------------
 * 11. Describing the API: options and names
 *
 * Front ends (the migbar tool, the Python bindings, a host code's input parser)
 * ask the library what its options are instead of keeping their own tables: for
 * each option of a handle, its enum key, a name ("spring"), units, bounds,
 * default and a one-line description; for each enumeration a handle takes
 * (optimisers, potentials, functionals, ...), its values' names. The setters
 * check their values against these same tables. Every string returned is static
 * (never freed, valid for the life of the process); the tables are constant, so
 * any thread may read them.
 * ------------------------------------------------------------------------- */

/* Whose options. */
typedef enum mb_option_set {
  MB_OPTIONS_BAND = 0,     /* mb_band_option: mb_band_set_option */
  MB_OPTIONS_DFT = 1,      /* mb_dft_option: mb_dft_set_option */
  MB_OPTIONS_HOPS = 2,     /* mb_hops_option: mb_hops_set_option */
  MB_OPTIONS_POTENTIAL = 3 /* mb_potential_param: mb_potential_set */
} mb_option_set;

/* Flags of an option. */
enum {
  MB_OPTION_INTEGER = 1,       /* takes integer values only */
  MB_OPTION_MIN_EXCLUSIVE = 2, /* the value must be > min (else >= min) */
  MB_OPTION_MAX_EXCLUSIVE = 4, /* the value must be < max (else <= max) */
  MB_OPTION_DEFAULT_VARIES = 8 /* the default depends on other settings (the
                                  description says how); *def is NaN */
};

/* Number of options of a set. */
MB_API mb_status mb_option_count(mb_option_set set, int *count);
/* Option i (0 .. count-1) of a set: its key (the enum value to pass to the
 * setter), name, units ("" when none), bounds, default, flags (MB_OPTION_*) and
 * a one-line description. Any output may be NULL. MB_ERR_RANGE for i outside. */
MB_API mb_status mb_option_info(mb_option_set set, int i, int *key, const char **name,
                                const char **units, double *min, double *max,
                                double *def, int *flags, const char **description);
/* The key of the option called name ("fmax"; case-insensitive, '-' and '_' alike);
 * MB_ERR_INVALID_ARG naming the set's options when there is none. */
MB_API mb_status mb_option_find(mb_option_set set, const char *name, int *key);

/* Enumerations whose values have names. */
typedef enum mb_name_set {
  MB_NAMES_OPTIMIZER = 0,     /* mb_optimizer: "fire", "lbfgs", "ode" */
  MB_NAMES_INTERPOLATION = 1, /* mb_interpolation: "linear", "idpp" */
  MB_NAMES_POTENTIAL = 2,     /* mb_potential_kind: "lj", "morse", "emt" */
  MB_NAMES_XC = 3,            /* mb_xc: "auto", "lda", "pbe" */
  MB_NAMES_SMEARING = 4,      /* mb_smearing: "none", "fermi-dirac", ... */
  MB_NAMES_FORMAT = 5         /* mb_format: "poscar", "cif", ... */
} mb_name_set;

/* Number of values of an enumeration. */
MB_API mb_status mb_name_count(mb_name_set set, int *count);
/* Value i (0 .. count-1): the enum value, its name and a one-line description
 * (any output may be NULL). MB_ERR_RANGE for i outside. */
MB_API mb_status mb_name_info(mb_name_set set, int i, int *value, const char **name,
                              const char **description);
/* The value called name (case-insensitive, '-' and '_' alike); MB_ERR_INVALID_ARG
 * listing the names when there is none. */
MB_API mb_status mb_name_find(mb_name_set set, const char *name, int *value);

/* ---------------------------------------------------------------------------
 * 12. Exchange-correlation functionals
 *
 * An mb_functional is an exchange-correlation functional made of libxc components:
 * by name ("LDA" = PW92, "PBE", "PBEsol", "SCAN", "rSCAN", "r2SCAN"), or libxc names
 * or ids joined by '+' ("gga_x_pbe+gga_c_pbe", "101+130"), with Hubbard U_eff values
 * per element and l channel (Dudarev's simplified rotationally invariant form).
 * What it is comes from libxc's own metadata. Hybrids and meta-GGAs that need the
 * Laplacian of the density are refused (MB_ERR_UNSUPPORTED). Once made, a functional
 * may be shared read-only by any number of threads (set the Hubbard values first).
 * The DFT engine takes any LDA, GGA or meta-GGA of them with their Hubbard values
 * (mb_dft_set_xc_functional, section 10: DFT+U on UPF pseudopotentials), spin-polarised
 * or not (MB_DFT_SPIN).
 * ------------------------------------------------------------------------- */

typedef enum mb_xc_family {
  MB_XC_FAMILY_LDA = 1,
  MB_XC_FAMILY_GGA = 2,
  MB_XC_FAMILY_MGGA = 3 /* meta-GGA: depends on the kinetic-energy density tau */
} mb_xc_family;

MB_API mb_status mb_functional_create(const char *name, mb_functional **out);
MB_API void mb_functional_free(mb_functional *f);
MB_API mb_status mb_functional_copy(const mb_functional *f, mb_functional **out);
/* The name ("PBE"; as given for libxc combinations), the family (the highest of the
 * components'), the components (libxc id, libxc's short name "gga_x_pbe", its
 * description "Perdew, Burke & Ernzerhof"; strings live as long as f) and the
 * literature references of every component as text (mb_free). */
MB_API mb_status mb_functional_name(const mb_functional *f, const char **name);
MB_API mb_status mb_functional_family(const mb_functional *f, mb_xc_family *family);
MB_API mb_status mb_functional_components(const mb_functional *f, int *n);
MB_API mb_status mb_functional_component(const mb_functional *f, int i, int *libxc_id,
                                         const char **libxc_name, const char **description);
MB_API mb_status mb_functional_references(const mb_functional *f, char **text);
/* Hubbard U_eff (eV, 0..20) of an element's l channel (0 s, 1 p, 2 d, 3 f); 0 when
 * not set (0 is no U). Dudarev's U_eff = U - J, used by the DFT engine
 * (mb_dft_set_xc_functional). */
MB_API mb_status mb_functional_set_hubbard(mb_functional *f, const char *element, int l,
                                           double u_eV);
MB_API mb_status mb_functional_hubbard(const mb_functional *f, const char *element, int l,
                                       double *u_eV);
/* The functional at n points, in Angstrom and eV: rho (A^-3; nspin 2: up and down of
 * each point, rho[2i], rho[2i+1]), sigma = |grad rho|^2 (A^-8; nspin 2: up.up, up.down,
 * down.down of each point; GGAs and meta-GGAs), tau, the kinetic-energy density
 * sum_i 1/2 |grad psi_i|^2 in eV A^-3 (per spin as rho; meta-GGAs). Outputs: eps, the
 * energy per particle (eV; E = int rho eps dV), and the derivatives of rho eps: vrho
 * (eV; per spin), vsigma (eV A^5; as sigma), vtau (dimensionless; as rho); the
 * derivatives may be NULL, and those a family does not have are not written. */
MB_API mb_status mb_functional_evaluate(const mb_functional *f, int nspin, size_t n,
                                        const double *rho, const double *sigma,
                                        const double *tau, double *eps, double *vrho,
                                        double *vsigma, double *vtau);

#ifdef __cplusplus
}
#endif

#endif /* MIGBAR_H */
