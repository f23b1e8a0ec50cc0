/* The JSON summary of a band (mb_band_write, MB_BAND_FILE_JSON):
 *
 *   {"format": "migbar-neb", "version": 1,
 *    "units": {"energy": "eV", "length": "Angstrom", "force": "eV/Angstrom"},
 *    "nimages": N, "natoms": n,                     (end points included in N)
 *    "energies": [E_0, ..., E_N-1],                 (eV, as the provider gives them)
 *    "relative_energies": [E_i - E_0, ...],
 *    "barrier": {"forward": E_s - E_0, "backward": E_s - E_N-1,
 *                "reaction_energy": E_N-1 - E_0, "saddle_image": s},
 *    "reaction_coordinate": [...],                  (cumulative distance, A)
 *    "tangential_force": [...],                     (force along the tangent, eV/A)
 *    "neb_force_max": [...],                        (largest per-atom NEB force norm
 *                                                    of each image, eV/A)
 *    "profile": {"npoints": 101, "coordinate": [...], "energy": [...]},
 *                                                   (the Hermite profile, absolute eV)
 *    "stats": {"steps", "force_calls_moving", "force_calls_endpoints",
 *              "max_force", "converged"},
 *    "options": {"spring", "spring_min", "climb", "climb_fmax", "fmax", "max_steps",
 *                "optimizer" ("fire" | "lbfgs" | "ode"), "max_move", "threads",
 *                "relax_endpoints", "allow_exchange"}}
 *
 * The options are the band's own (mb_band_get_option), so that a run can be restarted
 * with the same settings. Numbers are printed by cJSON (15 significant digits, 17 when
 * 15 do not read back exactly); a non-finite number becomes null. Only cJSON's printer
 * is used here: it touches none of cJSON's global state (the parse-error position that
 * lib/structure/io_json.c guards with a lock), so writers need no lock. */
#include <math.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "neb.h"
#include "../core/options.h"

#define PROFILE_POINTS 101

/* Add name: [v_0, ..., v_n-1]; returns 0 when cJSON ran out of memory. */
static int add_array(cJSON *obj, const char *name, const double *v, int n) {
  cJSON *arr = cJSON_AddArrayToObject(obj, name);
  if (!arr) return 0;
  for (int i = 0; i < n; i++) {
    cJSON *x = cJSON_CreateNumber(v[i]);
    if (!x || !cJSON_AddItemToArray(arr, x)) {
      cJSON_Delete(x);
      return 0;
    }
  }
  return 1;
}

/* Results of the band: the getters in the order of the file. */
static mb_status add_results(const mb_band *b, cJSON *root, int n, int natoms, double *work,
                             double *work2, double *forces) {
  mb_status st;
  int ok = 1;
  if ((st = mb_band_energies(b, work))) return st;
  ok &= add_array(root, "energies", work, n);
  double e0 = work[0], elast = work[n - 1];
  for (int i = 0; i < n; i++) work[i] -= e0;
  ok &= add_array(root, "relative_energies", work, n);

  double forward, backward;
  int saddle;
  if ((st = mb_band_barrier(b, &forward, &backward, &saddle))) return st;
  cJSON *bar = cJSON_AddObjectToObject(root, "barrier");
  ok &= bar && cJSON_AddNumberToObject(bar, "forward", forward) &&
        cJSON_AddNumberToObject(bar, "backward", backward) &&
        cJSON_AddNumberToObject(bar, "reaction_energy", elast - e0) &&
        cJSON_AddNumberToObject(bar, "saddle_image", saddle);

  if ((st = mb_band_path(b, work, work2))) return st;
  ok &= add_array(root, "reaction_coordinate", work, n);
  ok &= add_array(root, "tangential_force", work2, n);

  for (int i = 0; i < n; i++) {
    if ((st = mb_band_forces(b, i, 1, forces))) return st;
    work[i] = mb__max_atom_norm(forces, 3 * (size_t)natoms);
  }
  ok &= add_array(root, "neb_force_max", work, n);

  cJSON *prof = cJSON_AddObjectToObject(root, "profile");
  ok &= prof && cJSON_AddNumberToObject(prof, "npoints", PROFILE_POINTS);
  if ((st = mb_band_profile(b, PROFILE_POINTS, work, work2))) return st;
  ok &= prof && add_array(prof, "coordinate", work, PROFILE_POINTS) &&
        add_array(prof, "energy", work2, PROFILE_POINTS);

  int steps, converged;
  long moving, endpoints;
  double fmax_now;
  if ((st = mb_band_stats(b, &steps, &moving, &endpoints, &fmax_now, &converged))) return st;
  cJSON *stats = cJSON_AddObjectToObject(root, "stats");
  ok &= stats && cJSON_AddNumberToObject(stats, "steps", steps) &&
        cJSON_AddNumberToObject(stats, "force_calls_moving", (double)moving) &&
        cJSON_AddNumberToObject(stats, "force_calls_endpoints", (double)endpoints) &&
        cJSON_AddNumberToObject(stats, "max_force", fmax_now) &&
        cJSON_AddBoolToObject(stats, "converged", converged);

  /* the options by the names of the option table (band_options.c) */
  cJSON *opts = cJSON_AddObjectToObject(root, "options");
  ok &= opts != NULL;
  for (int k = 0; k < mb__band_noptions && ok; k++) {
    const mb__option *o = &mb__band_options[k];
    double v;
    if ((st = mb_band_get_option(b, (mb_band_option)o->key, &v))) return st;
    const char *name = o->key == MB_BAND_OPTIMIZER ? mb__name_of(MB_NAMES_OPTIMIZER, (int)v) : NULL;
    if (o->key == MB_BAND_OPTIMIZER)
      ok &= cJSON_AddStringToObject(opts, o->name, name ? name : "unknown") != NULL;
    else
      ok &= cJSON_AddNumberToObject(opts, o->name, v) != NULL;
  }
  return ok ? MB_OK : mb__error(MB_ERR_NOMEM, "out of memory building the JSON summary");
}

mb_status mb__band_summary(const mb_band *b, cJSON **out) {
  int n = 0, natoms = 0;
  mb_status st;
  if ((st = mb_band_nimages(b, &n)) || (st = mb_band_natoms(b, &natoms))) return st;
  size_t nwork = (size_t)(n > PROFILE_POINTS ? n : PROFILE_POINTS);
  double *work = mb__malloc(nwork, sizeof *work);
  double *work2 = mb__malloc(nwork, sizeof *work2);
  double *forces = mb__malloc(3 * (size_t)natoms, sizeof *forces);
  cJSON *root = cJSON_CreateObject();
  cJSON *units = NULL;
  if (!work || !work2 || !forces || !root) {
    st = mb__error(MB_ERR_NOMEM, "out of memory building the JSON summary");
  } else if (!cJSON_AddStringToObject(root, "format", "migbar-neb") ||
             !cJSON_AddNumberToObject(root, "version", 1) ||
             !(units = cJSON_AddObjectToObject(root, "units")) ||
             !cJSON_AddStringToObject(units, "energy", "eV") ||
             !cJSON_AddStringToObject(units, "length", "Angstrom") ||
             !cJSON_AddStringToObject(units, "force", "eV/Angstrom") ||
             !cJSON_AddNumberToObject(root, "nimages", n) ||
             !cJSON_AddNumberToObject(root, "natoms", natoms)) {
    st = mb__error(MB_ERR_NOMEM, "out of memory building the JSON summary");
  } else {
    st = add_results(b, root, n, natoms, work, work2, forces);
  }
  free(work);
  free(work2);
  free(forces);
  if (st) {
    cJSON_Delete(root);
    return st;
  }
  *out = root;
  return MB_OK;
}

mb_status mb__band_write_json(const mb_band *b, mb_strbuf *sb) {
  cJSON *root = NULL;
  mb_status st = mb__band_summary(b, &root);
  if (st) return st;
  char *text = cJSON_Print(root);
  cJSON_Delete(root);
  if (!text) return mb__error(MB_ERR_NOMEM, "out of memory printing the JSON summary");
  mb__sb_puts(sb, text);
  mb__sb_puts(sb, "\n");
  cJSON_free(text);
  return MB_OK;
}
