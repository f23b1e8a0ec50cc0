/* The picture of a migration network for migbar hops --svg (hops_svg.c). */
#ifndef MIGBAR_TOOLS_HOPS_SVG_H
#define MIGBAR_TOOLS_HOPS_SVG_H

#include <stdio.h>

#include "migbar.h"

/* Draw the network of h (found, with barriers) over structure s into the SVG stream f,
 * in the box (x0, y0, w, h) in pixels. Returns 0, or the mb_status of a failed call. */
int hops_svg_network(FILE *f, const mb_structure *s, const mb_hops *h, double x0, double y0,
                     double w, double hgt);

#endif
