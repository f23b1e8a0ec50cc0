/* Hand-made hop descriptors and the forest of regression trees that reads them: the "descriptor
 * member" of an E_m ensemble (docs/descriptors.md). Private to the library. */
#ifndef MB_DESC_H
#define MB_DESC_H

#include <stddef.h>
#include <stdint.h>

#include "../core/core.h"
#include "../structure/structure.h"

struct cJSON;

/* ---- descriptors (descriptors.c) ------------------------------------------------------ */

/* Feature sets of train/migbar_train/descriptors.py; each extends the one before. */
enum { MB__DESC_ISSUE = 0, MB__DESC_PATH = 1, MB__DESC_FULL = 2 };

/* What defines the features: the elements of the composition block and the constants of
 * descriptors.py, as a forest file stores them. */
typedef struct mb__desc {
  int set;                       /* MB__DESC_* */
  int nfeatures;
  int nelements, *elements;      /* composition block: atomic numbers */
  int nions, *ions;              /* ion one-hot block: atomic numbers */
  double *ion_charge, *ion_radius; /* nions each */
  unsigned char anion[119];      /* 1 for the elements counted as anions */
  double anion_cutoff, cation_cutoff, missing_distance, default_charge, default_radius;
  int n_nearest, path_samples, band_images;
} mb__desc;

/* Read feature_set, elements and constants from the migbar.forest object, and check that
 * its "features" are the names this definition gives; errors are MB_ERR_MODEL naming
 * file and key. */
mb_status mb__desc_parse(const struct cJSON *forest, const char *file, mb__desc *d);
void mb__desc_free(mb__desc *d);
/* Name of feature i (descriptors.feature_names). */
void mb__desc_name(const mb__desc *d, int i, char *buf, size_t size);
/* x[nfeatures] of a band: atoms 0..band_images-1 the ion's images, then the host
 * (docs/model.md section 4). MB_ERR_INVALID_ARG when the images are not one element or
 * the host has fewer than n_nearest atoms. */
mb_status mb__desc_compute(const mb__desc *d, const mb_structure *band, double *x);

/* ---- forest (forest.c) ---------------------------------------------------------------- */

/* Tree t owns nodes offset[t] .. offset[t+1]-1; left and right are indices within the
 * tree (-1 at a leaf, and always greater than the node's own index). */
typedef struct mb__forest {
  int ntrees;
  size_t nnodes;
  int32_t *offset, *left, *right, *feature; /* ntrees + 1, then nnodes each */
  double *threshold, *value;                /* nnodes each */
  int log_target;
  int median;                               /* 1: median of the trees, 0: their mean */
  char *target, *units;
  mb__desc desc;
  char *metadata;                           /* __metadata__ as one JSON object */
} mb__forest;

/* The __metadata__ key that marks a forest file. */
#define MB__FOREST_KEY "migbar.forest"

/* 1 when the buffer is a safetensors file with migbar.forest metadata. */
int mb__forest_detect(const unsigned char *data, size_t size);
/* Load and validate a forest file (its bytes); errors are MB_ERR_MODEL naming name and
 * the tensor or key. */
mb_status mb__forest_load_buffer(const unsigned char *data, size_t size, const char *name,
                                 mb__forest **out);
void mb__forest_free(mb__forest *f);
/* The forest's value (mean or median of its trees, as the file says) and the sample
 * standard deviation over the trees (target units; std may be NULL) of one descriptor
 * vector, as sklearn evaluates the trees; MB_ERR_NOMEM only. */
mb_status mb__forest_eval(const mb__forest *f, const double *x, double *value, double *std);
/* The same for a band structure whose first nband atoms are the ion's images (nband
 * must be desc.band_images). */
mb_status mb__forest_predict_structure(const mb__forest *f, const mb_structure *s, int nband,
                                       double *mean, double *std);
/* The same for the hop from initial to final (the band of mb_model_predict_band). */
mb_status mb__forest_predict_hop(const mb__forest *f, const mb_structure *initial,
                                 const mb_structure *final, int ion, double *mean,
                                 double *std);

#endif
