/* The energy profile of a band as a self-contained SVG 1.1 plot (mb_band_write,
 * MB_BAND_FILE_SVG): energy relative to image 0 (eV) against the reaction coordinate
 * (A), the cubic Hermite profile (mb_band_profile) as a curve, the images as
 * markers (the highest one, the saddle, in red), dashed lines that mark the forward
 * barrier E_s - E_0 and the energy of the last image, and a legend with both
 * barriers. Axis ticks fall on 1, 2 or 5 times a power of ten. No fonts, scripts or
 * external references: any browser or XML parser reads it. */
#include <math.h>
#include <stdlib.h>

#include "../core/core.h"

#define PROFILE_POINTS 201

/* Canvas and plot area, in SVG user units (pixels). */
enum { WIDTH = 720, HEIGHT = 450, LEFT = 80, RIGHT = 24, TOP = 52, BOTTOM = 62 };

static const char color_curve[] = "#1f77b4";
static const char color_saddle[] = "#d62728";

/* A tick spacing of 1, 2 or 5 times a power of ten giving about target ticks over span. */
static double nice_step(double span, int target) {
  double raw = span / target;
  double p = pow(10.0, floor(log10(raw)));
  double f = raw / p;
  return (f < 1.5 ? 1.0 : f < 3.5 ? 2.0 : f < 7.5 ? 5.0 : 10.0) * p;
}

/* Decimals needed to print multiples of step exactly (0 for step >= 1). */
static int step_decimals(double step) {
  int d = (int)ceil(-log10(step) - 1e-9);
  return d < 0 ? 0 : d > 8 ? 8 : d;
}

typedef struct frame {
  double x0, x1, y0, y1; /* data range */
} frame;

static double px(const frame *f, double x) {
  return LEFT + (x - f->x0) / (f->x1 - f->x0) * (WIDTH - LEFT - RIGHT);
}
static double py(const frame *f, double y) {
  return HEIGHT - BOTTOM - (y - f->y0) / (f->y1 - f->y0) * (HEIGHT - TOP - BOTTOM);
}

/* Grid lines, ticks and tick labels of both axes, the frame and the axis titles. */
static void axes(mb_strbuf *sb, const frame *f, double xstep, double ystep,
                 const char *xlabel) {
  int xd = step_decimals(xstep), yd = step_decimals(ystep);
  double bottom = HEIGHT - BOTTOM, right = WIDTH - RIGHT;
  mb__sb_puts(sb, "<g stroke=\"#dddddd\" stroke-width=\"1\">\n");
  for (double x = ceil(f->x0 / xstep - 1e-9) * xstep; x <= f->x1 + 1e-9 * xstep; x += xstep)
    mb__sb_printf(sb, "<line x1=\"%.2f\" y1=\"%d\" x2=\"%.2f\" y2=\"%.2f\"/>\n", px(f, x), TOP,
                  px(f, x), bottom);
  for (double y = ceil(f->y0 / ystep - 1e-9) * ystep; y <= f->y1 + 1e-9 * ystep; y += ystep)
    mb__sb_printf(sb, "<line x1=\"%d\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>\n", LEFT, py(f, y),
                  right, py(f, y));
  mb__sb_puts(sb, "</g>\n<g font-size=\"12\" fill=\"#333333\">\n");
  for (double x = ceil(f->x0 / xstep - 1e-9) * xstep; x <= f->x1 + 1e-9 * xstep; x += xstep)
    mb__sb_printf(sb, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">%.*f</text>\n",
                  px(f, x), bottom + 18, xd, fabs(x) < 0.5 * xstep ? 0.0 : x);
  for (double y = ceil(f->y0 / ystep - 1e-9) * ystep; y <= f->y1 + 1e-9 * ystep; y += ystep)
    mb__sb_printf(sb, "<text x=\"%d\" y=\"%.2f\" text-anchor=\"end\">%.*f</text>\n", LEFT - 8,
                  py(f, y) + 4, yd, fabs(y) < 0.5 * ystep ? 0.0 : y);
  mb__sb_puts(sb, "</g>\n");
  mb__sb_printf(sb, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                "stroke=\"#333333\" stroke-width=\"1\"/>\n",
                LEFT, TOP, WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
  mb__sb_printf(sb, "<text x=\"%.1f\" y=\"%d\" font-size=\"14\" text-anchor=\"middle\">%s</text>\n",
                0.5 * (LEFT + right), HEIGHT - 16, xlabel);
  mb__sb_printf(sb, "<text transform=\"translate(20 %.1f) rotate(-90)\" font-size=\"14\" "
                "text-anchor=\"middle\">Energy relative to image 0 (eV)</text>\n",
                0.5 * (TOP + bottom));
}

/* The plot from the data: x[n] and e[n] (relative) for the images, the profile
 * (cx[np], ce[np]) or np = 0 when there is none. */
static void plot(mb_strbuf *sb, int n, const double *x, const double *e, int np,
                 const double *cx, const double *ce, int saddle, double forward,
                 double backward, int steps, int converged, int by_index) {
  frame f = {x[0], x[n - 1], 0, 0};
  double lo = 0, hi = 0;
  for (int i = 0; i < n; i++) lo = fmin(lo, e[i]), hi = fmax(hi, e[i]);
  for (int i = 0; i < np; i++) lo = fmin(lo, ce[i]), hi = fmax(hi, ce[i]);
  double span = hi - lo;
  if (span < 1e-3) span = 1e-3; /* a flat band: still a readable axis */
  f.y0 = lo - 0.08 * span;
  f.y1 = hi + 0.18 * span; /* room for the legend above the saddle */
  if (!(f.x1 > f.x0)) f.x1 = f.x0 + 1;
  double xstep = nice_step(f.x1 - f.x0, 6), ystep = nice_step(f.y1 - f.y0, 6);
  if (by_index && xstep < 1) xstep = 1;

  mb__sb_printf(sb, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
                "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n",
                WIDTH, HEIGHT, WIDTH, HEIGHT);
  mb__sb_printf(sb, "<title>NEB energy profile: forward barrier %.3f eV, backward %.3f eV"
                "</title>\n", forward, backward);
  mb__sb_printf(sb, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n",
                WIDTH, HEIGHT);
  mb__sb_printf(sb, "<text x=\"%d\" y=\"22\" font-size=\"16\" font-weight=\"bold\">"
                "NEB energy profile</text>\n", LEFT);
  mb__sb_printf(sb, "<text x=\"%d\" y=\"40\" font-size=\"12\" fill=\"#555555\">%d images, "
                "%d steps, %s</text>\n", LEFT, n, steps, converged ? "converged" : "not converged");
  axes(sb, &f, xstep, ystep,
       by_index ? "Image" : "Reaction coordinate (&#197;)");

  /* Barrier marks: E_0 and E_last levels, and the saddle's height above E_0. */
  double xs = px(&f, x[saddle]), ys = py(&f, e[saddle]);
  mb__sb_printf(sb, "<g stroke=\"#888888\" stroke-width=\"1\" stroke-dasharray=\"5 4\" "
                "fill=\"none\">\n"
                "<line x1=\"%d\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>\n"
                "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%d\" y2=\"%.2f\"/>\n"
                "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>\n</g>\n",
                LEFT, py(&f, 0), xs, py(&f, 0), xs, py(&f, e[n - 1]), WIDTH - RIGHT,
                py(&f, e[n - 1]), xs, py(&f, 0), xs, ys);
  mb__sb_printf(sb, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"12\" fill=\"%s\" "
                "text-anchor=\"%s\">E<tspan baseline-shift=\"sub\" font-size=\"9\">a</tspan> = "
                "%.3f eV</text>\n",
                xs + (xs < 0.75 * WIDTH ? 8 : -8), 0.5 * (py(&f, 0) + ys) + 4, color_saddle,
                xs < 0.75 * WIDTH ? "start" : "end", forward);

  if (np > 0) {
    mb__sb_printf(sb, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"",
                  color_curve);
    for (int i = 0; i < np; i++)
      mb__sb_printf(sb, "%s%.2f,%.2f", i ? " " : "", px(&f, cx[i]), py(&f, ce[i]));
    mb__sb_puts(sb, "\"/>\n");
  }
  mb__sb_puts(sb, "<g stroke=\"#ffffff\" stroke-width=\"1\">\n");
  for (int i = 0; i < n; i++)
    mb__sb_printf(sb, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%d\" fill=\"%s\"><title>image %d: "
                  "%.4f eV</title></circle>\n", px(&f, x[i]), py(&f, e[i]),
                  i == saddle ? 7 : 5, i == saddle ? color_saddle : color_curve, i, e[i]);
  mb__sb_puts(sb, "</g>\n");

  /* Legend in the top corner away from the saddle. */
  double lx = xs > 0.6 * WIDTH ? LEFT + 8 : WIDTH - RIGHT - 200, ly = TOP + 8;
  mb__sb_printf(sb, "<g font-size=\"12\">\n"
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"192\" height=\"58\" fill=\"#ffffff\" "
                "fill-opacity=\"0.85\" stroke=\"#bbbbbb\"/>\n"
                "<text x=\"%.1f\" y=\"%.1f\">forward barrier: %.3f eV</text>\n"
                "<text x=\"%.1f\" y=\"%.1f\">backward barrier: %.3f eV</text>\n"
                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\"/>\n"
                "<text x=\"%.1f\" y=\"%.1f\">saddle: image %d</text>\n</g>\n",
                lx, ly, lx + 8, ly + 16, forward, lx + 8, ly + 32, backward, lx + 13, ly + 44,
                color_saddle, lx + 24, ly + 48, saddle);
  mb__sb_puts(sb, "</svg>\n");
}

mb_status mb__band_write_svg(const mb_band *b, mb_strbuf *sb) {
  int n = 0, saddle = 0, steps = 0, converged = 0;
  long moving, endpoints;
  double forward, backward, fmax_now;
  mb_status st;
  if ((st = mb_band_nimages(b, &n)) || (st = mb_band_barrier(b, &forward, &backward, &saddle)) ||
      (st = mb_band_stats(b, &steps, &moving, &endpoints, &fmax_now, &converged)))
    return st;
  double *x = mb__malloc((size_t)n, sizeof *x), *e = mb__malloc((size_t)n, sizeof *e);
  double *cx = mb__malloc(PROFILE_POINTS, sizeof *cx), *ce = mb__malloc(PROFILE_POINTS, sizeof *ce);
  if (!x || !e || !cx || !ce) {
    st = MB_ERR_NOMEM;
    goto cleanup;
  }
  if ((st = mb_band_energies(b, e)) || (st = mb_band_path(b, x, NULL))) goto cleanup;
  double e0 = e[0];
  for (int i = 0; i < n; i++) e[i] -= e0;
  /* The images along their path; if they have not moved apart (a degenerate band),
   * along their index, without the profile. */
  int by_index = !(x[n - 1] > 0 && isfinite(x[n - 1])), np = 0;
  if (by_index) {
    for (int i = 0; i < n; i++) x[i] = i;
  } else if (mb_band_profile(b, PROFILE_POINTS, cx, ce) == MB_OK) {
    np = PROFILE_POINTS;
    for (int i = 0; i < np; i++) {
      ce[i] -= e0;
      if (!isfinite(cx[i]) || !isfinite(ce[i])) np = 0;
    }
  }
  mb_clear_error();
  if (saddle < 0 || saddle >= n) saddle = 0;
  plot(sb, n, x, e, np, cx, ce, saddle, forward, backward, steps, converged, by_index);
cleanup:
  free(x);
  free(e);
  free(cx);
  free(ce);
  return st;
}
