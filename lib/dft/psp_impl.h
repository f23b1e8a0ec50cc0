/* Private to the pseudopotential readers (psp.c, psp_psp8.c, psp_hgh.c): the line
 * and number scanner shared by both formats and each format's parse/evaluate
 * entry points, dispatched from psp.c. */
#ifndef MB_DFT_PSP_IMPL_H
#define MB_DFT_PSP_IMPL_H

#include "dft.h"

/* Next line of data from *pos (1-based *lineno advanced); 0 at the end. */
int mb__psp_line(const char *data, size_t size, size_t *pos, long *lineno,
                 const char **line, size_t *len);
/* Up to max numbers at the start of a line (Fortran D exponents accepted);
 * returns how many were read. */
int mb__psp_numbers(const char *line, size_t len, double *out, int max);

/* psp8 (psp_psp8.c); what: 0 local, 1 projector, 2 core charge, 3 valence density
 * (0 when the file has none). */
mb_status mb__psp8_parse(const char *data, size_t size, mb__psp *p);
double mb__psp8_eval(const mb__psp *p, int what, int l, int i, double q);
double mb__psp8_qmax(const mb__psp *p);
void mb__psp8_free(void *impl);

/* UPF 2 (psp_upf.c): the psp8 text of a norm-conserving UPF file, for mb__psp8_parse
 * (*text NUL-terminated, free()). */
mb_status mb__upf_to_psp8(const char *data, size_t size, const char *name, char **text,
                          size_t *len);

/* The pseudo-atomic orbitals (PP_PSWFC) of a UPF file into p->orb, p->norb (none when
 * the file has no PP_PSWFC), with their form-factor tables (psp_orbital.c). */
mb_status mb__upf_orbitals(const char *data, size_t size, const char *name, mb__psp *p);
/* psp_orbital.c: the q table of o (o->u, n, h, l set); free p's orbitals. */
mb_status mb__psp_orbital_tabulate(mb__psp_orbital *o);
void mb__psp_orbitals_free(mb__psp *p);

/* Spherical Bessel function j_l(x), l <= 3, given s = sin x and c = cos x (psp_psp8.c). */
double mb__psp_bessel(int l, double x, double s, double c);

/* HGH (psp_hgh.c), analytic in q (what 3: a model Gaussian valence density). */
mb_status mb__hgh_parse(const char *data, size_t size, mb__psp *p);
double mb__hgh_eval(const mb__psp *p, int what, int l, int i, double q);

#endif
