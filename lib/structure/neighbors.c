/* Placeholder until the neighbour list lands. */
#include "structure.h"

MB_API mb_status mb_neighbors_cutoff(const mb_structure *s, double cutoff, mb_neighbors **out) {
  (void)s; (void)cutoff; (void)out;
  return mb__error(MB_ERR_UNSUPPORTED, "not implemented yet");
}
MB_API mb_status mb_neighbors_knn(const mb_structure *s, int k, mb_neighbors **out) {
  (void)s; (void)k; (void)out;
  return mb__error(MB_ERR_UNSUPPORTED, "not implemented yet");
}
MB_API void mb_neighbors_free(mb_neighbors *nl) { (void)nl; }
MB_API mb_status mb_neighbors_count(const mb_neighbors *nl, size_t *npairs) {
  (void)nl; (void)npairs;
  return mb__error(MB_ERR_UNSUPPORTED, "not implemented yet");
}
MB_API mb_status mb_neighbors_pairs(const mb_neighbors *nl, int *i, int *j, int *shift,
                                    double *distance, double *vector) {
  (void)nl; (void)i; (void)j; (void)shift; (void)distance; (void)vector;
  return mb__error(MB_ERR_UNSUPPORTED, "not implemented yet");
}
MB_API mb_status mb_neighbors_first(const mb_neighbors *nl, size_t *first) {
  (void)nl; (void)first;
  return mb__error(MB_ERR_UNSUPPORTED, "not implemented yet");
}
