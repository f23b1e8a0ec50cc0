"""The ALIGNN-style network of docs/model.md sections 2-3, in plain PyTorch (no
DGL/PyG): sums over edges are index_add_ on a batch of disconnected graphs.

The config is the `migbar.config` object of section 5. With norm "affine" the
training model holds BatchNorm1d layers (eval mode = an affine map per channel);
`folded=True` builds the inference form with plain Affine(weight, bias) layers, into
which the exported (folded) weights load.
"""

import json
import warnings

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

FORMAT_VERSION = 1
NUM_ELEMENTS = 119

DEFAULT_CONFIG = {
    "format_version": FORMAT_VERSION, "k": 12, "embedding": 64, "hidden": 128,
    "alignn_layers": 4, "gcn_layers": 4, "norm": "affine", "band_flags": True,
    "pooling": "mean+attention", "band_images": 5,
    "edge_rbf": [0.0, 8.0, 80], "angle_rbf": [-1.0, 1.0, 40],
    "targets": ["em"], "target_mean": [0.0], "target_std": [1.0], "target_units": ["eV"],
    "line_graph": "full",
}

# Keys a weights file may leave out (older files), with the value they then mean.
OPTIONAL_KEYS = {"line_graph": "full"}
CONFIG_KEYS = list(DEFAULT_CONFIG)
LINE_GRAPHS = ("full", "band")


def make_config(**over):
    """A full config: the defaults with some keys replaced (unknown keys refused)."""
    cfg = json.loads(json.dumps(DEFAULT_CONFIG))
    for k, v in over.items():
        if k not in cfg:
            raise KeyError("unknown model config key %r" % k)
        cfg[k] = v
    check_config(cfg)
    return cfg


def check_config(cfg):
    missing = [k for k in CONFIG_KEYS if k not in cfg and k not in OPTIONAL_KEYS]
    extra = [k for k in cfg if k not in CONFIG_KEYS]
    if missing or extra:
        raise ValueError("model config: missing %s, unknown %s" % (missing, extra))
    if cfg["format_version"] != FORMAT_VERSION:
        raise ValueError("model config: format_version %r" % cfg["format_version"])
    if cfg["norm"] not in ("affine", "layernorm"):
        raise ValueError("model config: norm %r" % cfg["norm"])
    if cfg.get("line_graph", "full") not in LINE_GRAPHS:
        raise ValueError("model config: line_graph %r" % cfg["line_graph"])
    if cfg["pooling"] not in ("mean", "mean+attention"):
        raise ValueError("model config: pooling %r" % cfg["pooling"])
    p = len(cfg["targets"])
    if p < 1 or len(cfg["target_mean"]) != p or len(cfg["target_std"]) != p \
            or len(cfg["target_units"]) != p:
        raise ValueError("model config: targets, target_mean, target_std and target_units "
                         "must have the same length >= 1")


def rbf(x, lo, hi, n):
    """ALIGNN's RBFExpansion: exp(-gamma (x - c_k)^2), c_k = lo + k step, gamma = 1/step."""
    lo, hi, n = float(lo), float(hi), int(n)
    step = (hi - lo) / (n - 1)
    centers = lo + torch.arange(n, dtype=x.dtype, device=x.device) * step
    return torch.exp(-(1.0 / step) * (x.unsqueeze(-1) - centers) ** 2)


class Affine(nn.Module):
    """x * weight + bias per channel (a folded BatchNorm)."""

    def __init__(self, n):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.bias = nn.Parameter(torch.zeros(n))

    def forward(self, x):
        return x * self.weight + self.bias


def make_norm(kind, n, folded):
    if kind == "layernorm":
        return nn.LayerNorm(n, eps=1e-5)
    return Affine(n) if folded else nn.BatchNorm1d(n, eps=1e-5)


class MLP(nn.Module):
    """SiLU(Norm(Linear(x))) (ALIGNN's MLPLayer)."""

    def __init__(self, n_in, n_out, norm, folded):
        super().__init__()
        self.linear = nn.Linear(n_in, n_out)
        self.norm = make_norm(norm, n_out, folded)

    def forward(self, x):
        return F.silu(self.norm(self.linear(x)))


class EGGC(nn.Module):
    """Edge-gated graph convolution (Bresson and Laurent; ALIGNN's EdgeGatedGraphConv)."""

    def __init__(self, h, norm, folded):
        super().__init__()
        self.src_gate = nn.Linear(h, h)
        self.dst_gate = nn.Linear(h, h)
        self.edge_gate = nn.Linear(h, h)
        self.src_update = nn.Linear(h, h)
        self.dst_update = nn.Linear(h, h)
        self.norm_nodes = make_norm(norm, h, folded)
        self.norm_edges = make_norm(norm, h, folded)

    def forward(self, h, e, src, dst):
        if src.numel() == 0:
            # No edges (a band line graph of a crystal without band atoms): the sums are
            # empty, so x = src_update(h); the (empty) edge features stay as they are.
            return h + F.silu(self.norm_nodes(self.src_update(h))), e
        g = self.src_gate(h)[src] + self.dst_gate(h)[dst] + self.edge_gate(e)
        s = torch.sigmoid(g)
        msg = s * self.dst_update(h)[src]
        num = torch.zeros_like(h).index_add_(0, dst, msg)
        den = torch.zeros_like(h).index_add_(0, dst, s)
        x = self.src_update(h) + num / (den + 1e-6)
        return h + F.silu(self.norm_nodes(x)), e + F.silu(self.norm_edges(g))


class ALIGNNLayer(nn.Module):
    def __init__(self, h, norm, folded):
        super().__init__()
        self.line = EGGC(h, norm, folded)
        self.atom = EGGC(h, norm, folded)

    def forward(self, h, e, t, g):
        e, t = self.line(e, t, g["ta"], g["tb"])
        h, e = self.atom(h, e, g["src"], g["dst"])
        return h, e, t


class MigbarNet(nn.Module):
    def __init__(self, config, folded=False):
        super().__init__()
        check_config(config)
        self.config = json.loads(json.dumps(config))
        for k, v in OPTIONAL_KEYS.items():
            self.config.setdefault(k, v)
        self.folded = folded
        c = self.config
        E, H, nrm = c["embedding"], c["hidden"], c["norm"]
        self.embedding = nn.Embedding(NUM_ELEMENTS, E)
        self.atom_mlp = MLP(E + (1 if c["band_flags"] else 0), H, nrm, folded)
        self.edge_mlp = nn.Sequential(MLP(int(c["edge_rbf"][2]), E, nrm, folded),
                                      MLP(E, H, nrm, folded))
        self.angle_mlp = nn.Sequential(MLP(int(c["angle_rbf"][2]), E, nrm, folded),
                                       MLP(E, H, nrm, folded))
        self.alignn = nn.ModuleList(ALIGNNLayer(H, nrm, folded) for _ in range(c["alignn_layers"]))
        self.gcn = nn.ModuleList(EGGC(H, nrm, folded) for _ in range(c["gcn_layers"]))
        attention = c["pooling"] == "mean+attention"
        if attention:
            self.attention = nn.Linear(H, 1)
        self.head = nn.Linear(2 * H if attention else H, len(c["targets"]))
        self.register_buffer("target_mean", torch.tensor(c["target_mean"], dtype=torch.float64),
                             persistent=False)
        self.register_buffer("target_std", torch.tensor(c["target_std"], dtype=torch.float64),
                             persistent=False)

    def set_target_scaling(self, mean, std):
        self.config["target_mean"] = [float(x) for x in mean]
        self.config["target_std"] = [float(x) for x in std]
        self.target_mean.copy_(torch.tensor(self.config["target_mean"], dtype=torch.float64))
        self.target_std.copy_(torch.tensor(self.config["target_std"], dtype=torch.float64))

    def forward(self, g):
        """Scaled outputs [B, P] of a batch from collate() (tensors on the model's device)."""
        c = self.config
        dtype = self.embedding.weight.dtype
        x = self.embedding(g["z"])
        if c["band_flags"]:
            x = torch.cat([x, g["band"].to(dtype).unsqueeze(1)], dim=1)
        h = self.atom_mlp(x)
        e = self.edge_mlp(rbf(g["dist"].to(dtype), *c["edge_rbf"]))
        if c["line_graph"] == "band":
            # Section 1.4: triplets whose shared atom is a band atom (a no-op on graphs
            # built with line="band").
            keep = g["band"][g["dst"][g["ta"]]] > 0
            g = dict(g, ta=g["ta"][keep], tb=g["tb"][keep], cos=g["cos"][keep])
        if g["cos"].numel() and c["alignn_layers"]:
            t = self.angle_mlp(rbf(g["cos"].to(dtype), *c["angle_rbf"]))
        else:  # no triplets, or no layer that reads them
            t = torch.zeros(0, c["hidden"], dtype=dtype, device=e.device)
        for layer in self.alignn:
            h, e, t = layer(h, e, t, g)
        for layer in self.gcn:
            h, e = layer(h, e, g["src"], g["dst"])
        return self.head(self.readout(h, g))

    def readout(self, h, g):
        nb = int(g["ngraphs"])
        gid = g["graph"]
        mean = torch.zeros(nb, h.shape[1], dtype=h.dtype, device=h.device).index_add_(0, gid, h)
        mean = mean / g["natoms"].to(h.dtype).unsqueeze(1)
        if self.config["pooling"] == "mean":
            return mean
        band = g["band"] > 0
        hb, gb = h[band], gid[band]
        a = self.attention(hb).squeeze(1)
        amax = torch.full((nb,), -float("inf"), dtype=h.dtype, device=h.device)
        with warnings.catch_warnings():  # "scatter_reduce is in beta" (torch 1.13)
            warnings.simplefilter("ignore")
            amax = amax.scatter_reduce(0, gb, a, reduce="amax", include_self=True)
        w = torch.exp(a - amax[gb])
        z = torch.zeros(nb, dtype=h.dtype, device=h.device).index_add_(0, gb, w)
        alpha = w / z[gb]
        p = torch.zeros_like(mean).index_add_(0, gb, alpha.unsqueeze(1) * hb)
        return torch.cat([mean, p], dim=1)

    def predict(self, g):
        """Outputs in target units [B, P] (float64)."""
        y = self(g)
        return y.to(torch.float64) * self.target_std.to(y.device) + self.target_mean.to(y.device)


def collate(graphs, device=None):
    """One big disconnected graph from several graphs (index offsets), as tensors."""
    z, band, graph, src, dst, dist, ta, tb, cos, natoms = ([] for _ in range(10))
    na = ne = 0
    for b, gr in enumerate(graphs):
        n, m = len(gr["z"]), len(gr["src"])
        z.append(gr["z"])
        flags = np.zeros(n, dtype=np.float64)
        flags[:int(gr["nband"])] = 1.0
        band.append(flags)
        graph.append(np.full(n, b, dtype=np.int64))
        src.append(gr["src"] + na)
        dst.append(gr["dst"] + na)
        dist.append(gr["dist"] if "dist" in gr else np.linalg.norm(gr["r"], axis=1))
        ta.append(gr["ta"] + ne)
        tb.append(gr["tb"] + ne)
        cos.append(gr["cos"])
        natoms.append(n)
        na += n
        ne += m
    cat = np.concatenate
    out = {"z": torch.from_numpy(cat(z).astype(np.int64)),
           "band": torch.from_numpy(cat(band)),
           "graph": torch.from_numpy(cat(graph)),
           "src": torch.from_numpy(cat(src).astype(np.int64)),
           "dst": torch.from_numpy(cat(dst).astype(np.int64)),
           "dist": torch.from_numpy(cat(dist).astype(np.float64)),
           "ta": torch.from_numpy(cat(ta).astype(np.int64)),
           "tb": torch.from_numpy(cat(tb).astype(np.int64)),
           "cos": torch.from_numpy(cat(cos).astype(np.float64)),
           "natoms": torch.tensor(natoms, dtype=torch.int64)}
    if device is not None:
        out = {k: v.to(device) for k, v in out.items()}
    out["ngraphs"] = len(graphs)
    return out


# --- export: BatchNorm folding and the tensors of docs/model.md section 5 ---------------

def folded_state(model):
    """{name: float64 numpy} of the weights file: every BatchNorm1d folded into
    weight = gamma / sqrt(running_var + eps), bias = beta - running_mean * weight."""
    out = {}
    bn = {name for name, mod in model.named_modules() if isinstance(mod, nn.BatchNorm1d)}
    mods = dict(model.named_modules())
    for name, t in model.state_dict().items():
        prefix, _, leaf = name.rpartition(".")
        if prefix in bn:
            if leaf not in ("weight", "bias"):
                continue
            m = mods[prefix]
            w = m.weight.detach().double() / torch.sqrt(m.running_var.double() + m.eps)
            if leaf == "weight":
                out[name] = w.cpu().numpy()
            else:
                out[name] = (m.bias.detach().double() - m.running_mean.double() * w).cpu().numpy()
        else:
            out[name] = t.detach().double().cpu().numpy()
    return out


def expected_shapes(config):
    """{tensor name: shape} that docs/model.md section 5 prescribes for a config."""
    c = config
    E, H, P = c["embedding"], c["hidden"], len(c["targets"])
    sh = {"embedding.weight": (NUM_ELEMENTS, E)}

    def lin(name, o, i):
        sh[name + ".weight"] = (o, i)
        sh[name + ".bias"] = (o,)

    def vec(name, n):
        sh[name + ".weight"] = (n,)
        sh[name + ".bias"] = (n,)

    def mlp(name, o, i):
        lin(name + ".linear", o, i)
        vec(name + ".norm", o)

    mlp("atom_mlp", H, E + (1 if c["band_flags"] else 0))
    mlp("edge_mlp.0", E, int(c["edge_rbf"][2]))
    mlp("edge_mlp.1", H, E)
    mlp("angle_mlp.0", E, int(c["angle_rbf"][2]))
    mlp("angle_mlp.1", H, E)

    def eggc(p):
        for gname in ("src_gate", "dst_gate", "edge_gate", "src_update", "dst_update"):
            lin(p + "." + gname, H, H)
        vec(p + ".norm_nodes", H)
        vec(p + ".norm_edges", H)

    for layer in range(c["alignn_layers"]):
        eggc("alignn.%d.line" % layer)
        eggc("alignn.%d.atom" % layer)
    for layer in range(c["gcn_layers"]):
        eggc("gcn.%d" % layer)
    R = H
    if c["pooling"] == "mean+attention":
        lin("attention", 1, H)
        R = 2 * H
    lin("head", P, R)
    return sh


def folded_model(config, tensors):
    """A MigbarNet (folded form) holding the given weights (checked against the contract)."""
    want = expected_shapes(config)
    missing = sorted(set(want) - set(tensors))
    extra = sorted(set(tensors) - set(want))
    if missing or extra:
        raise ValueError("weights: missing tensors %s, unexpected tensors %s" % (missing, extra))
    for name, shape in want.items():
        if tuple(tensors[name].shape) != tuple(shape):
            raise ValueError("weights: tensor %s has shape %s, expected %s"
                             % (name, tuple(tensors[name].shape), shape))
    model = MigbarNet(config, folded=True)
    sd = {k: torch.from_numpy(np.asarray(v, dtype=np.float32)) for k, v in tensors.items()}
    model.load_state_dict(sd, strict=True)
    model.eval()
    return model
