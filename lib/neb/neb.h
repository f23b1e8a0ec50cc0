/* Private layout of mb_band and the helpers shared by the NEB module: the NEB
 * force projection (tangent.c), interpolation (interpolate.c, idpp.c), force
 * evaluation (evaluate.c), the optimisers (fire.c, lbfgs.c, ode.c) and the run
 * loop (run.c). Not installed. */
#ifndef MB_NEB_H
#define MB_NEB_H

#include <stddef.h>

#include "../core/core.h"

/* A force provider: where a band's energies and forces come from (a built-in
 * potential, a callback per image, a batched callback, the DFT engine; a later
 * graph-network force field is one more entry). Each kind is one table in its own
 * file (provider_*.c); evaluate.c only calls through it. Its settings live in the
 * band's provider fields. */
typedef struct mb__provider_type {
  const char *name;         /* "built-in potential", "force callback", ... */
  mb_status bad_result;     /* status of a non-finite energy or force: MB_ERR_GEOMETRY
                               for the library's own providers, MB_ERR_CALLBACK for a
                               user's */
  /* per-image resources of the listed images, before they are shared out over
   * threads (may be NULL) */
  mb_status (*prepare)(mb_band *b, const int *idx, int count);
  /* one image, on any thread when the band's thread_safe says so (NULL for a batched
   * provider); msg (MB__NEB_MSG bytes) receives the reason of a failure */
  mb_status (*image)(mb_band *b, int image, double *e, double *f, char *msg);
  /* all listed images in one call (NULL for a per-image provider) */
  mb_status (*batch)(mb_band *b, const int *idx, int count, double *energy, double *force);
  /* drop what the provider owns when another replaces it or the band is freed (may be
   * NULL) */
  void (*release)(mb_band *b);
} mb__provider_type;

extern const mb__provider_type mb__provider_potential, mb__provider_callback,
    mb__provider_batch, mb__provider_dft;

/* Size of the message buffers of the providers' image calls. */
#define MB__NEB_MSG 512

/* An optimiser over a flat vector of n = 3*(number of atoms) coordinates (atoms
 * after atoms, so that a step can be capped per atom), in the pattern of GSL's multimin
 * minimisers: a type says how big its state is and how to set it up, reset it, step
 * and release it; each method keeps its own state struct in its own file (fire.c,
 * lbfgs.c, ode.c), optimizer.c holds the table and the generic calls. */
typedef struct mb__opt_type {
  mb_optimizer kind;
  const char *name;
  size_t size;                                  /* of the state struct */
  int (*init)(void *state, size_t n);           /* allocate its arrays: 0 on success */
  void (*reset)(void *state, size_t n);         /* forget the history */
  /* x is the point whose forces f were just computed; it is overwritten with the next
   * point to compute; no atom moves more than max_move (A) */
  void (*step)(void *state, size_t n, double *x, const double *f, double max_move);
  void (*release)(void *state);                 /* free its arrays */
} mb__opt_type;

extern const mb__opt_type mb__opt_fire, mb__opt_lbfgs, mb__opt_ode;

typedef struct mb__opt {
  const mb__opt_type *type;
  size_t n;
  void *state;
} mb__opt;

struct mb_band {
  int nimages, natoms;
  double lattice[9], inverse[9];
  int *numbers;        /* natoms */
  int *free;           /* 3*natoms flags: 1 free, 0 fixed */
  int has_fixed;       /* some flag is 0 */
  double *pos;         /* nimages*3*natoms Cartesian positions, A (not wrapped) */
  double *energy;      /* nimages, NaN where not computed */
  double *force;       /* nimages*3*natoms provider forces */
  double *neb;         /* nimages*3*natoms NEB forces (zero on the end points) */
  double *tangent;     /* nimages*3*natoms unit tangents (end points: one-sided) */
  double *ftan;        /* nimages forces along the tangent (true forces), eV/A */
  mb_structure **work; /* per-image structures handed to a potential (lazy) */
  int evaluated;       /* the moving images' energies match their positions */
  /* options */
  double spring, spring_min, climb_fmax, fmax, max_move;
  int climb, max_steps, optimizer, threads, relax_endpoints, allow_exchange;
  /* provider: the type (NULL = none set) and its settings */
  const mb__provider_type *provider;
  const mb_potential *potential;
  mb_force_fn fn;
  mb_force_batch_fn batch_fn;
  void *user;
  int thread_safe;
  mb_dft *dft;         /* DFT provider: the template (owned) ... */
  mb_dft **dft_images; /* ... and one copy per image, made on first use (nimages) */
  /* progress */
  mb_logger log;
  mb_band_step_fn step_fn;
  void *step_user;
  /* run state */
  int steps, converged, climbing, endpoints_relaxed;
  long moving_calls, endpoint_calls;
  double max_force;
  mb__opt *opt;
  /* MPI (mpi.c) */
  int mpi_active, mpi_comm;
  /* Handle safety: busy while mb_band_run, mb_band_evaluate or
   * mb_band_relax_endpoints is on the stack; mb_band_free called from one of the
   * band's callbacks then only sets freed (possibly from a provider's worker
   * thread, hence atomic), the run stops at its next safe point and the public
   * call that set busy releases the band as it returns (band.c, mb__band_leave). */
  int busy;
  int freed; /* read and written with __atomic builtins */
};

/* ---- band.c: entering and leaving the calls that run callbacks ------------- */
/* Mark the band busy for the public call what; refuses a NULL band and a band that
 * is already busy (a call from one of its own callbacks). */
mb_status mb__band_enter(mb_band *b, const char *what);
/* Clear busy; when the band was freed meanwhile, release it and return
 * MB_ERR_STOPPED with a message naming what; otherwise return st. */
mb_status mb__band_leave(mb_band *b, mb_status st, const char *what);
/* Whether mb_band_free was called during the current call (a safe point checks it
 * after every callback and stops the run). */
int mb__band_freed(const mb_band *b);
/* Refuse a setter while the band is busy (called from one of its callbacks). */
mb_status mb__band_check_idle(const mb_band *b, const char *what);

/* ---- check.c: the end points describe one system ---------------------------- */
/* Before a run: refuses (MB_ERR_INVALID_ARG) a band in which no coordinate of any
 * atom may move, and a band whose end points look like two different labellings
 * of one system (atoms that swap places or exchange in a cycle: MB_ERR_GEOMETRY
 * unless MB_BAND_ALLOW_EXCHANGE, then a warning line in the band's log); warns
 * about fixed atoms that move between the end points. */
mb_status mb__band_check_endpoints(mb_band *b);

/* ---- tangent.c ------------------------------------------------------------ */
/* NEB forces of a band (arrays as in struct mb_band): improved tangent and
 * spring force (Henkelman & Jonsson 2000), climbing image climb_index (< 0:
 * none). force holds the true forces of every image; fixed coordinates (mobile[c]
 * == 0) count as zero force and get zero NEB force. tangent (nimages*3N) and
 * ftan (nimages) may be NULL. */
void mb__neb_project(int nimages, int natoms, const double lattice[9],
                     const double inverse[9], const double *pos, const double *energy,
                     const double *force, const int *mobile, double spring,
                     double spring_min, int climb_index, double *neb, double *tangent,
                     double *ftan);
/* Minimum-image difference b - a of two configurations of natoms atoms. */
void mb__mic_diff(int natoms, const double lattice[9], const double inverse[9],
                  const double *a, const double *b, double *out);
/* Highest intermediate image (1..nimages-2). */
int mb__highest_image(int nimages, const double *energy);

/* ---- interpolate.c, idpp.c ------------------------------------------------ */
/* Fill images 1..nimages-2 of pos on the straight line from image 0 to image
 * nimages-1 (minimum-image displacement per atom). */
void mb__interpolate_linear(int nimages, int natoms, const double lattice[9],
                            const double inverse[9], double *pos);
/* Improve the band's linear path by IDPP (images 1..nimages-2 updated); calls the
 * step callback with step 0 after each iteration (nonzero: MB_ERR_STOPPED). */
mb_status mb__band_idpp(mb_band *b);

/* ---- evaluate.c ----------------------------------------------------------- */
/* Energies and forces of the count images listed in idx, by the band's
 * provider; adds count to *calls. On failure the band's arrays are unchanged. */
mb_status mb__band_compute(mb_band *b, const int *idx, int count, long *calls);
/* Compute the moving images (and end points without energies) and update the
 * NEB forces and the largest NEB force. */
mb_status mb__band_refresh(mb_band *b);
/* Recompute the NEB forces from the stored energies and forces. */
void mb__band_update_neb(mb_band *b);
/* Whether the climbing image is active now. */
int mb__band_climb_active(const mb_band *b);

/* ---- providers (evaluate.c, provider_*.c) --------------------------------- */
/* Make type the band's provider: the previous one releases what it owns, the settings
 * fields are cleared (the caller fills its own after) and the results forgotten. */
void mb__band_use_provider(mb_band *b, const mb__provider_type *type);
/* "image 3", "image 0 (the initial end point)", "image 6 (the final end point)" */
const char *mb__image_label(const mb_band *b, int image, char buf[64]);
/* The per-image work structures of the listed images that do not exist yet. */
mb_status mb__band_work_structures(mb_band *b, const int *idx, int count);

/* ---- mpi.c ---------------------------------------------------------------- */
/* With MPI: compute the listed images shared out over the ranks (every rank ends
 * with all results). Only called when b->mpi_active. */
mb_status mb__band_compute_mpi(mb_band *b, const int *idx, int count, double *energy,
                               double *force);

/* ---- optimisers (optimizer.c; the methods in fire.c, lbfgs.c, ode.c) ------- */
/* A new optimiser of kind for n coordinates (NULL, with MB_ERR_NOMEM recorded, when
 * out of memory; kind must be a known mb_optimizer). */
mb__opt *mb__opt_new(mb_optimizer kind, size_t n);
void mb__opt_free(mb__opt *o);
void mb__opt_reset(mb__opt *o);
void mb__opt_step(mb__opt *o, double *x, const double *f, double max_move);
/* Scale the step dx (n doubles, atoms of 3) so that no atom moves more than
 * max_move; returns the factor applied (<= 1). */
double mb__cap_step(double *dx, size_t n, double max_move);
/* Largest absolute component of v (n doubles). */
double mb__max_abs(const double *v, size_t n);
/* Largest per-atom norm of v (n doubles, atoms of 3): the convergence measure of
 * bands, end points and IDPP, as ASE's optimisers and VTST use (NaN propagates). */
double mb__max_atom_norm(const double *v, size_t n);

/* ---- write_json.c, write_svg.c, write_xyz.c -------------------------------- */
/* The writers of mb_band_write: append the file's text to sb; the band has been
 * checked (every image energy finite). */
/* The JSON summary of write_json.c as a cJSON tree (the caller deletes it). */
struct cJSON;
mb_status mb__band_summary(const mb_band *b, struct cJSON **out);
mb_status mb__band_write_json(const mb_band *b, mb_strbuf *sb);
mb_status mb__band_write_svg(const mb_band *b, mb_strbuf *sb);
mb_status mb__band_write_xyz(const mb_band *b, mb_strbuf *sb);

/* ---- run.c ---------------------------------------------------------------- */
/* Relax one end point (0 or nimages-1) with the band's optimiser. */
mb_status mb__band_relax_point(mb_band *b, int image);

#endif
