/* Private layout of mb_graph and mb_model, and the helpers shared by the graph-network
 * module (docs/model.md is the contract these implement). */
#ifndef MB_GNN_H
#define MB_GNN_H

#include <stddef.h>

#include "../core/core.h"
#include "../structure/structure.h"

/* ---- graph (graph.c) -------------------------------------------------------------- */

/* Directed edges are sorted by destination, then source, then image shift, so the
 * edges into atom v are in_first[v] .. in_first[v+1]-1. Triplets (line-graph edges
 * a -> b) are grouped by b in edge order, so the triplets into edge b are
 * t_first[b] .. t_first[b+1]-1: every scatter-add by destination is a segmented sum. */
struct mb_graph {
  int natoms, nband;
  size_t nedges, ntriplets;
  int *src, *dst;     /* nedges */
  double *vec;        /* 3*nedges, from the source (image) to the destination */
  double *len;        /* nedges */
  size_t *in_first;   /* natoms + 1 */
  int *ta, *tb;       /* ntriplets: edges a = (u -> v), b = (v -> w) */
  double *cosine;     /* ntriplets */
  size_t *t_first;    /* nedges + 1 */
};

/* ---- configuration (config.c) ------------------------------------------------------ */

enum { GNN_NORM_AFFINE = 0, GNN_NORM_LAYERNORM = 1 };
enum { GNN_POOL_MEAN = 0, GNN_POOL_MEAN_ATTENTION = 1 };
/* Which triplets the line graph keeps (docs/model.md section 1.4). */
enum { GNN_LINE_FULL = 0, GNN_LINE_BAND = 1 };

typedef struct gnn_config {
  int format_version, k, embedding, hidden, alignn_layers, gcn_layers;
  int norm, band_flags, pooling, band_images;
  int line_graph;                 /* GNN_LINE_*; optional key, "full" when absent */
  double edge_lo, edge_hi, angle_lo, angle_hi;
  int edge_n, angle_n;
  int ntargets;
  char **targets, **target_units; /* ntargets strings each */
  double *target_mean, *target_std;
} gnn_config;

/* Parse and validate the migbar.config JSON text; errors are MB_ERR_MODEL naming
 * the file and the key. */
mb_status mb__gnn_config_parse(const char *text, const char *file, gnn_config *cfg);
void mb__gnn_config_free(gnn_config *cfg);

/* mb_graph_create with the line graph of a model: GNN_LINE_BAND keeps only the
 * triplets whose shared atom is a band atom (index < nband). */
mb_status mb__gnn_graph_create(const mb_structure *s, int k, int nband, int line,
                           mb_graph **out);

/* ---- layers (layers.c) ------------------------------------------------------------- */

typedef struct gnn_linear {
  const float *w, *b; /* [out, in] as PyTorch stores it, [out] */
  int in, out;
} gnn_linear;

typedef struct gnn_norm {
  const float *w, *b; /* [n] */
  int n, kind;        /* GNN_NORM_* */
} gnn_norm;

typedef struct gnn_mlp {
  gnn_linear lin;
  gnn_norm norm;
} gnn_mlp;

/* One edge-gated graph convolution. The four node linears (src_gate, dst_gate,
 * src_update, dst_update) are also packed into one [4H, H] matrix so that one sgemm
 * computes them all: row r of its output is [sg | dg | su | du]. */
typedef struct gnn_eggc {
  gnn_linear src_gate, dst_gate, edge_gate, src_update, dst_update;
  gnn_norm norm_nodes, norm_edges;
  float *packed_w, *packed_b; /* [4H, H], [4H] (owned by the model) */
} gnn_eggc;

/* y[n, out] = x[n, in] W^T + b (cblas_sgemm, bias fused as the initial C). */
void mb__gnn_linear_apply(const gnn_linear *l, size_t n, const float *x, float *y);
void mb__gnn_norm_silu(const gnn_norm *nm, size_t n, float *x, float *acc);
/* MLP(x) = SiLU(Norm(Linear(x))). */
void mb__gnn_mlp_apply(const gnn_mlp *m, size_t n, const float *x, float *y);
/* rows x count Gaussians rbf(x; lo, hi, count) of docs/model.md, section 2. */
void mb__gnn_rbf(const double *x, size_t rows, double lo, double hi, int count, float *out);

/* Hot loops get a second, AVX2+FMA compiled variant (layers.c). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define GNN_HOT __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define GNN_HOT
#endif

/* Points of the angle tables on [-1, 1] (angle_table.c). */
#define GNN_TABLE_N 4097
/* Rows of table at the cosines x[0..n) by Catmull-Rom interpolation, into out [n, H]. */
void mb__gnn_table_lookup(const float *table, int H, const double *x, size_t n, float *out);

/* Rows per block of edge work (bounds the scratch to GNN_BLOCK x H floats). */
#define GNN_BLOCK 2048

/* Scratch of one EGGC call: nl [nnodes, 4H], num [nnodes, H], den [nnodes, H],
 * g [GNN_BLOCK, H]. */
typedef struct gnn_eggc_work {
  float *nl, *num, *den, *g;
} gnn_eggc_work;

/* One EGGC over nnodes nodes (h [nnodes, H]) and nedges edges (e [nedges, H]),
 * edges grouped by destination (so that the scatter-add walks memory forward); edge r
 * goes src[r] -> dst[r]. Updates h and, when update_edges, e in place. */
/* gate_table != NULL: the edge gates are looked up at cosine[r] in that table
 * instead of computed from e (the first line-graph layer). */
void mb__gnn_eggc_apply(const gnn_eggc *c, int H, size_t nnodes, float *h, size_t nedges,
                    float *e, const int *src, const int *dst, int update_edges,
                    const float *gate_table, const double *cosine, gnn_eggc_work *w);

/* ---- model (model.c) --------------------------------------------------------------- */

struct mb_model {
  gnn_config cfg;
  int readout;           /* R: H, or 2H with attention */
  const float *embedding; /* [119, E] */
  gnn_mlp atom, edge0, edge1, angle0, angle1;
  gnn_eggc *line, *atomg; /* alignn_layers each */
  gnn_eggc *gcn;          /* gcn_layers */
  gnn_linear attention;   /* w == NULL without attention */
  gnn_linear head;
  float *storage;         /* every tensor, then the packed EGGC matrices */
  float *angle_table;     /* [GNN_TABLE_N + 2, H] angle features of a cosine, and */
  float *gate_table;      /* the first line-graph layer's edge gate (angle_table.c) */
  char *metadata;         /* the __metadata__ as one JSON object */
};

/* Build angle_table and gate_table of a loaded model (angle_table.c). */
mb_status mb__gnn_angle_tables(mb_model *m);

/* A hop between two structures (band.c): the same atoms and lattice, exactly one
 * atom (the given ion, or found when *ion == -1) moving more than 0.1 A. Messages
 * start with who. */
mb_status mb__gnn_hop_ion(const mb_structure *a, const mb_structure *b, int *ion,
                          const char *who);
/* Minimum-image Cartesian displacement of atom i from a to b, A. */
void mb__gnn_hop_displacement(const mb_structure *a, const mb_structure *b, int i,
                              double d[3]);
/* The migration band of the hop (docs/model.md section 4): nimg images of the ion,
 * then the host atoms in their order; the checks and messages of mb__gnn_hop_ion. */
mb_status mb__gnn_hop_band(const mb_structure *initial, const mb_structure *final, int ion,
                          int nimg, const char *who, mb_structure **out);

/* Load from a buffer (the file's bytes); name is used in messages. tables = 0
 * skips the angle tables: predictions then compute the angle features and the
 * first edge gate directly (exact and slower; the parser's fuzz harness uses it,
 * so that each input costs little). */
mb_status mb__model_load_buffer(const unsigned char *data, size_t size, const char *name,
                                int tables, mb_model **out);

#endif
