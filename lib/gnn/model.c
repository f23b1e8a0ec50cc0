/* Loading a model: the safetensors file, its migbar.config, and the mapping of tensor
 * names to layers (docs/model.md, section 5). Every expected tensor must be present
 * with its exact shape, and no other tensor may be; the weights are copied into one
 * block the model owns, which is then only read (a model may be shared by threads). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../core/json.h"

#include "gnn.h"
#include "safetensors.h"

#define NELEMENTS 119 /* embedding rows: Z = 0..118 */

typedef struct spec {
  char name[80];
  long d0, d1;         /* expected shape; d1 < 0 for a vector */
  const float **dst;   /* where the tensor's pointer goes */
  const st_tensor *t;
} spec;

typedef struct specs {
  spec *v;
  size_t n, cap;
} specs;

static mb_status add(specs *s, const char *name, long d0, long d1, const float **dst) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 128;
    spec *v = mb__realloc(s->v, cap, sizeof *v);
    if (!v) return MB_ERR_NOMEM;
    s->v = v;
    s->cap = cap;
  }
  spec *e = &s->v[s->n++];
  snprintf(e->name, sizeof e->name, "%s", name);
  e->d0 = d0;
  e->d1 = d1;
  e->dst = dst;
  e->t = NULL;
  return MB_OK;
}

static mb_status add_linear(specs *s, const char *prefix, gnn_linear *l, int in, int out) {
  char name[80];
  l->in = in;
  l->out = out;
  snprintf(name, sizeof name, "%s.weight", prefix);
  mb_status st = add(s, name, out, in, &l->w);
  snprintf(name, sizeof name, "%s.bias", prefix);
  return st ? st : add(s, name, out, -1, &l->b);
}

static mb_status add_norm(specs *s, const char *prefix, gnn_norm *nm, int n, int kind) {
  char name[80];
  nm->n = n;
  nm->kind = kind;
  snprintf(name, sizeof name, "%s.weight", prefix);
  mb_status st = add(s, name, n, -1, &nm->w);
  snprintf(name, sizeof name, "%s.bias", prefix);
  return st ? st : add(s, name, n, -1, &nm->b);
}

static mb_status add_mlp(specs *s, const char *prefix, gnn_mlp *m, int in, int out, int kind) {
  char name[80];
  snprintf(name, sizeof name, "%s.linear", prefix);
  mb_status st = add_linear(s, name, &m->lin, in, out);
  snprintf(name, sizeof name, "%s.norm", prefix);
  return st ? st : add_norm(s, name, &m->norm, out, kind);
}

static mb_status add_eggc(specs *s, const char *prefix, gnn_eggc *c, int H, int kind) {
  gnn_linear *lin[5] = {&c->src_gate, &c->dst_gate, &c->edge_gate, &c->src_update,
                        &c->dst_update};
  static const char *const lname[5] = {"src_gate", "dst_gate", "edge_gate", "src_update",
                                       "dst_update"};
  char name[80];
  mb_status st = MB_OK;
  for (int i = 0; i < 5 && !st; i++) {
    snprintf(name, sizeof name, "%s.%s", prefix, lname[i]);
    st = add_linear(s, name, lin[i], H, H);
  }
  snprintf(name, sizeof name, "%s.norm_nodes", prefix);
  if (!st) st = add_norm(s, name, &c->norm_nodes, H, kind);
  snprintf(name, sizeof name, "%s.norm_edges", prefix);
  if (!st) st = add_norm(s, name, &c->norm_edges, H, kind);
  return st;
}

/* The list of tensors the architecture in m->cfg needs, pointing into m's layers. */
static mb_status expected(mb_model *m, specs *s) {
  const gnn_config *c = &m->cfg;
  int E = c->embedding, H = c->hidden, kind = c->norm;
  char name[80];
  mb_status st = add(s, "embedding.weight", NELEMENTS, E, &m->embedding);
  if (!st) st = add_mlp(s, "atom_mlp", &m->atom, E + (c->band_flags ? 1 : 0), H, kind);
  if (!st) st = add_mlp(s, "edge_mlp.0", &m->edge0, c->edge_n, E, kind);
  if (!st) st = add_mlp(s, "edge_mlp.1", &m->edge1, E, H, kind);
  if (!st) st = add_mlp(s, "angle_mlp.0", &m->angle0, c->angle_n, E, kind);
  if (!st) st = add_mlp(s, "angle_mlp.1", &m->angle1, E, H, kind);
  for (int l = 0; l < c->alignn_layers && !st; l++) {
    snprintf(name, sizeof name, "alignn.%d.line", l);
    st = add_eggc(s, name, &m->line[l], H, kind);
    snprintf(name, sizeof name, "alignn.%d.atom", l);
    if (!st) st = add_eggc(s, name, &m->atomg[l], H, kind);
  }
  for (int l = 0; l < c->gcn_layers && !st; l++) {
    snprintf(name, sizeof name, "gcn.%d", l);
    st = add_eggc(s, name, &m->gcn[l], H, kind);
  }
  m->readout = c->pooling == GNN_POOL_MEAN_ATTENTION ? 2 * H : H;
  if (!st && c->pooling == GNN_POOL_MEAN_ATTENTION)
    st = add_linear(s, "attention", &m->attention, H, 1);
  if (!st) st = add_linear(s, "head", &m->head, m->readout, c->ntargets);
  return st;
}

static void shape_text(const st_tensor *t, char *buf, size_t size) {
  size_t at = (size_t)snprintf(buf, size, "[");
  for (int d = 0; d < t->ndim && at < size; d++)
    at += (size_t)snprintf(buf + at, size - at, "%s%lld", d ? ", " : "", (long long)t->shape[d]);
  if (at < size) snprintf(buf + at, size - at, "]");
}

/* Find every expected tensor and check its shape; refuse tensors nobody expects. */
static mb_status match(specs *s, const st_file *f, const char *file) {
  unsigned char *used = mb__calloc(f->ntensors ? f->ntensors : 1, 1);
  if (!used) return MB_ERR_NOMEM;
  mb_status st = MB_OK;
  for (size_t i = 0; i < s->n && !st; i++) {
    spec *e = &s->v[i];
    const st_tensor *t = mb__st_find(f, e->name);
    if (!t) {
      st = mb__error(MB_ERR_MODEL, "%s: tensor '%s': missing", file, e->name);
      break;
    }
    used[t - f->tensors] = 1;
    int nd = e->d1 < 0 ? 1 : 2;
    if (t->ndim != nd || t->shape[0] != e->d0 || (nd == 2 && t->shape[1] != e->d1)) {
      char got[96], want[48];
      shape_text(t, got, sizeof got);
      if (nd == 1) snprintf(want, sizeof want, "[%ld]", e->d0);
      else snprintf(want, sizeof want, "[%ld, %ld]", e->d0, e->d1);
      st = mb__error(MB_ERR_MODEL, "%s: tensor '%s': shape %s, expected %s", file, e->name, got,
                     want);
    }
    e->t = t;
  }
  for (size_t i = 0; i < f->ntensors && !st; i++)
    if (!used[i])
      st = mb__error(MB_ERR_MODEL, "%s: tensor '%s': not part of this architecture (extra tensor)",
                     file, f->tensors[i].name);
  free(used);
  return st;
}

/* Concatenate the four node linears of an EGGC layer: rows [sg; dg; su; du]. */
static void pack(gnn_eggc *c, int H, float *w, float *b) {
  const gnn_linear *l[4] = {&c->src_gate, &c->dst_gate, &c->src_update, &c->dst_update};
  for (int i = 0; i < 4; i++) {
    memcpy(&w[(size_t)i * H * H], l[i]->w, sizeof(float) * H * H);
    memcpy(&b[(size_t)i * H], l[i]->b, sizeof(float) * H);
  }
  c->packed_w = w;
  c->packed_b = b;
}

/* __metadata__ as one JSON object: values that are JSON objects or arrays are
 * embedded, others kept as strings. */
static mb_status metadata_json(const st_file *f, char **out) {
  cJSON *root = cJSON_CreateObject();
  if (!root) return mb__error(MB_ERR_NOMEM, "out of memory");
  for (size_t i = 0; i < f->nmeta; i++) {
    cJSON *v = mb__json_parse_string(f->meta_values[i]);
    if (v && !cJSON_IsObject(v) && !cJSON_IsArray(v)) {
      cJSON_Delete(v);
      v = NULL;
    }
    if (!v) v = cJSON_CreateString(f->meta_values[i]);
    if (!v || !cJSON_AddItemToObject(root, f->meta_keys[i], v)) {
      cJSON_Delete(v);
      cJSON_Delete(root);
      return mb__error(MB_ERR_NOMEM, "out of memory");
    }
  }
  char *text = cJSON_PrintUnformatted(root);
  cJSON_Delete(root);
  if (!text) return mb__error(MB_ERR_NOMEM, "out of memory");
  *out = mb__strdup(text);
  cJSON_free(text);
  return *out ? MB_OK : MB_ERR_NOMEM;
}

MB_API void mb_model_free(mb_model *m) {
  if (!m) return;
  mb__gnn_config_free(&m->cfg);
  free(m->line);
  free(m->atomg);
  free(m->gcn);
  free(m->storage);
  free(m->angle_table); /* one block with gate_table */
  free(m->metadata);
  free(m);
}

mb_status mb__model_load_buffer(const unsigned char *data, size_t size, const char *name,
                                int tables, mb_model **out) {
  if (!name) name = "model";
  st_file f = {0};
  specs s = {0};
  mb_model *m = NULL;
  mb_status st = mb__st_parse(data, size, name, &f);
  if (st) goto done;
  if (!(m = mb__calloc(1, sizeof *m))) { st = MB_ERR_NOMEM; goto done; }
  if ((st = mb__gnn_config_parse(mb__st_meta(&f, "migbar.config"), name, &m->cfg))) goto done;
  const gnn_config *c = &m->cfg;
  int H = c->hidden, neggc = 2 * c->alignn_layers + c->gcn_layers;
  m->line = mb__calloc((size_t)c->alignn_layers + 1, sizeof *m->line);
  m->atomg = mb__calloc((size_t)c->alignn_layers + 1, sizeof *m->atomg);
  m->gcn = mb__calloc((size_t)c->gcn_layers + 1, sizeof *m->gcn);
  if (!m->line || !m->atomg || !m->gcn) { st = MB_ERR_NOMEM; goto done; }
  if ((st = expected(m, &s)) || (st = match(&s, &f, name))) goto done;
  size_t total = 0;
  for (size_t i = 0; i < s.n; i++) total += s.v[i].t->count;
  size_t packed = (size_t)neggc * 4 * ((size_t)H * H + H);
  if (!(m->storage = mb__malloc(total + packed, sizeof(float)))) { st = MB_ERR_NOMEM; goto done; }
  float *at = m->storage;
  for (size_t i = 0; i < s.n; i++) {
    mb__st_copy_f32(s.v[i].t, at);
    /* One NaN weight makes every prediction NaN: refuse it here, by name. */
    for (size_t k = 0; k < s.v[i].t->count; k++)
      if (!isfinite(at[k])) {
        st = mb__error(MB_ERR_MODEL, "%s: tensor '%s': element %zu is %s; the model is "
                       "damaged (weights must be finite)", name, s.v[i].name, k,
                       isnan(at[k]) ? "NaN" : "infinite");
        goto done;
      }
    *s.v[i].dst = at;
    at += s.v[i].t->count;
  }
  gnn_eggc *layers[3] = {m->line, m->atomg, m->gcn};
  int counts[3] = {c->alignn_layers, c->alignn_layers, c->gcn_layers};
  for (int kind = 0; kind < 3; kind++)
    for (int l = 0; l < counts[kind]; l++) {
      pack(&layers[kind][l], H, at, at + 4 * (size_t)H * H);
      at += 4 * ((size_t)H * H + H);
    }
  if (!(st = metadata_json(&f, &m->metadata)) && tables) st = mb__gnn_angle_tables(m);
done:
  free(s.v);
  mb__st_free(&f);
  if (st) {
    mb_model_free(m);
    return st;
  }
  *out = m;
  return MB_OK;
}

MB_API mb_status mb_model_load(const char *path, mb_model **out) {
  if (!path || !out) return mb__error(MB_ERR_INVALID_ARG, "mb_model_load: NULL argument");
  char *data = NULL;
  size_t size = 0;
  mb_status st = mb__st_read_file(path, 0, &data, &size);
  if (st) return st;
  st = mb__model_load_buffer((const unsigned char *)data, size, path, 1, out);
  free(data);
  return st;
}

MB_API mb_status mb_model_metadata(const mb_model *m, char **json) {
  if (!m || !json) return mb__error(MB_ERR_INVALID_ARG, "mb_model_metadata: NULL argument");
  char *copy = mb__strdup(m->metadata);
  if (!copy) return MB_ERR_NOMEM;
  *json = copy;
  return MB_OK;
}

MB_API mb_status mb_model_noutputs(const mb_model *m, int *noutputs) {
  if (!m || !noutputs) return mb__error(MB_ERR_INVALID_ARG, "mb_model_noutputs: NULL argument");
  *noutputs = m->cfg.ntargets;
  return MB_OK;
}

MB_API mb_status mb_model_output_name(const mb_model *m, int p, const char **name) {
  if (!m || !name) return mb__error(MB_ERR_INVALID_ARG, "mb_model_output_name: NULL argument");
  if (p < 0 || p >= m->cfg.ntargets)
    return mb__error(MB_ERR_RANGE, "mb_model_output_name: output %d outside 0..%d", p,
                     m->cfg.ntargets - 1);
  *name = m->cfg.targets[p];
  return MB_OK;
}

MB_API mb_status mb_model_output_units(const mb_model *m, int p, const char **units) {
  if (!m || !units) return mb__error(MB_ERR_INVALID_ARG, "mb_model_output_units: NULL argument");
  if (p < 0 || p >= m->cfg.ntargets)
    return mb__error(MB_ERR_RANGE, "mb_model_output_units: output %d outside 0..%d", p,
                     m->cfg.ntargets - 1);
  *units = m->cfg.target_units[p];
  return MB_OK;
}

MB_API mb_status mb_model_is_band_model(const mb_model *m, int *is_band) {
  if (!m || !is_band)
    return mb__error(MB_ERR_INVALID_ARG, "mb_model_is_band_model: NULL argument");
  *is_band = m->cfg.band_flags || m->cfg.pooling == GNN_POOL_MEAN_ATTENTION;
  return MB_OK;
}
