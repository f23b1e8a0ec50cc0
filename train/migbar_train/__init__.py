"""Training pipeline of libmigbar's ALIGNN-style graph network (docs/model.md).

Modules: graph (crystal graph + line graph from libmigbar's kNN list), data (JSON
datasets, graph cache, batching), model (the network), safetensors (weights
files), train, cv, export, make_reference, bench_torch.
"""

__all__ = ["graph", "data", "model", "safetensors", "train", "cv", "export"]
