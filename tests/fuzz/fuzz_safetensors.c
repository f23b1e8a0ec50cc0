/* libFuzzer harness for the model loader (safetensors container, migbar.config, tensor
 * set): any input must load or be refused with MB_ERR_MODEL/MB_ERR_NOMEM, never crash;
 * a model that loads must answer its getters and predict a tiny crystal. Built and run by
 * `make fuzz FUZZ_TARGETS=safetensors`. */
#include <stdint.h>
#include <stdlib.h>

#include "gnn/gnn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mb_model *m = NULL;
  mb_status st = mb__model_load_buffer(data, size, "fuzz", 0, &m);
  if (st != MB_OK) {
    if (m || (st != MB_ERR_MODEL && st != MB_ERR_NOMEM)) abort();
    return 0;
  }
  char *json = NULL;
  int p = 0, band = 0;
  const char *name;
  if (mb_model_metadata(m, &json) != MB_OK || mb_model_noutputs(m, &p) != MB_OK || p < 1 ||
      mb_model_output_name(m, p - 1, &name) != MB_OK || mb_model_is_band_model(m, &band) != MB_OK)
    abort();
  mb_free(json);
  /* Keep predictions small: a 2-atom cell, only for modest architectures. */
  if (m->cfg.hidden <= 64 && m->cfg.k <= 16 && m->cfg.alignn_layers + m->cfg.gcn_layers <= 8) {
    const double lat[9] = {3, 0, 0, 0, 3, 0, 0, 0, 3};
    const double pos[6] = {0, 0, 0, .5, .5, .5};
    const int z[2] = {3, 8};
    mb_structure *s = NULL;
    double *y = malloc(sizeof(double) * (size_t)p);
    if (y && mb_structure_create(lat, 2, pos, MB_COORDS_FRACTIONAL, z, &s) == MB_OK) {
      if (mb_model_predict_structure(m, s, band ? 1 : 0, y) != MB_OK) abort();
      mb_structure_free(s);
    }
    free(y);
  }
  mb_model_free(m);
  return 0;
}
