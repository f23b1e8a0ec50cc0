"""Exchange-correlation functionals (migbar.h section 12): libxc components by name,
what they are, Hubbard U values, and their evaluation on a density in Angstrom and eV.

    >>> f = migbar.Functional("r2SCAN")
    >>> f.family, [c[1] for c in f.components]
    ('mgga', ['mgga_x_r2scan', 'mgga_c_r2scan'])
    >>> out = f.evaluate(rho, sigma=sigma, tau=tau)     # numpy arrays
    >>> out["eps"], out["vrho"], out["vsigma"], out["vtau"]
"""

import ctypes
from ctypes import POINTER, byref, c_char_p, c_double, c_int, c_size_t, c_void_p

import numpy as np

from ._lib import Handle, c_integer, c_string, check, lib

_dp = POINTER(c_double)
FAMILIES = {1: "lda", 2: "gga", 3: "mgga"}


class Functional(Handle):
    """Functional(name): "LDA", "PBE", "PBEsol", "SCAN", "rSCAN", "r2SCAN", or libxc names
    or ids joined by '+' ("gga_x_pbe+gga_c_pbe", "101+130"). Read-only once made (the
    Hubbard values aside): threads may share it."""

    _free = "mb_functional_free"
    _what = "migbar.Functional"

    def __init__(self, name):
        out = c_void_p()
        check(lib.mb_functional_create(c_string(str(name), "name"), byref(out)))
        self._adopt(out)

    def copy(self):
        out = c_void_p()
        check(lib.mb_functional_copy(self._h, byref(out)))
        new = Functional.__new__(Functional)
        new._adopt(out)
        return new

    @property
    def name(self):
        s = c_char_p()
        check(lib.mb_functional_name(self._h, byref(s)))
        return s.value.decode()

    @property
    def family(self):
        """"lda", "gga" or "mgga" (the highest of the components')."""
        v = c_int()
        check(lib.mb_functional_family(self._h, byref(v)))
        return FAMILIES[v.value]

    @property
    def components(self):
        """[(libxc id, libxc name, description)] of the components."""
        n = c_int()
        check(lib.mb_functional_components(self._h, byref(n)))
        out = []
        for i in range(n.value):
            ident, name, desc = c_int(), c_char_p(), c_char_p()
            check(lib.mb_functional_component(self._h, i, byref(ident), byref(name),
                                              byref(desc)))
            out.append((ident.value, name.value.decode(), desc.value.decode()))
        return out

    @property
    def references(self):
        """The literature references of every component (text)."""
        buf = c_void_p()
        check(lib.mb_functional_references(self._h, byref(buf)))
        try:
            return ctypes.string_at(buf).decode("utf-8")
        finally:
            lib.mb_free(buf)

    def set_hubbard(self, element, l, u_eV):
        """Hubbard U_eff (eV, 0..20) of an element's l channel (0 s, 1 p, 2 d, 3 f, or
        "s", "p", "d", "f"); returns self."""
        l = "spdf".index(l) if isinstance(l, str) else c_integer(l, "l")
        check(lib.mb_functional_set_hubbard(self._h, c_string(str(element), "element"), l,
                                            float(u_eV)))
        return self

    def hubbard(self, element, l):
        l = "spdf".index(l) if isinstance(l, str) else c_integer(l, "l")
        u = c_double()
        check(lib.mb_functional_hubbard(self._h, c_string(str(element), "element"), l,
                                        byref(u)))
        return u.value

    def evaluate(self, rho, sigma=None, tau=None, nspin=1):
        """The functional at n points (Angstrom and eV): rho [n] (nspin 2: [n, 2], up and
        down), sigma = |grad rho|^2 [n] (nspin 2: [n, 3], up.up, up.down, down.down),
        tau [n] or [n, 2] in eV/A^3 (meta-GGAs). A dict of numpy arrays: eps (eV per
        particle), vrho (eV), and for GGAs vsigma (eV A^5), for meta-GGAs vtau."""
        nspin = c_integer(nspin, "nspin")
        fam = self.family
        r = np.ascontiguousarray(rho, dtype=np.float64)
        n = r.shape[0] if r.ndim else 1
        ns, nsig = (1, 1) if nspin == 1 else (2, 3)
        if r.size != n * ns:
            raise ValueError("rho: expected %d values per point" % ns)

        def arr(v, per, what):
            if v is None:
                return None
            a = np.ascontiguousarray(v, dtype=np.float64)
            if a.size != n * per:
                raise ValueError("%s: expected %d values per point for %d points"
                                 % (what, per, n))
            return a
        s, t = arr(sigma, nsig, "sigma"), arr(tau, ns, "tau")
        eps, vrho = np.empty(n), np.empty(n * ns)
        vsigma = np.empty(n * nsig) if fam != "lda" else None
        vtau = np.empty(n * ns) if fam == "mgga" else None

        def ptr(a):
            return None if a is None else a.ctypes.data_as(_dp)
        check(lib.mb_functional_evaluate(self._h, nspin, c_size_t(n), ptr(r), ptr(s), ptr(t),
                                         ptr(eps), ptr(vrho), ptr(vsigma), ptr(vtau)))
        out = {"eps": eps, "vrho": vrho if ns == 1 else vrho.reshape(n, 2)}
        if vsigma is not None:
            out["vsigma"] = vsigma if nsig == 1 else vsigma.reshape(n, 3)
        if vtau is not None:
            out["vtau"] = vtau if ns == 1 else vtau.reshape(n, 2)
        return out

    def __repr__(self):
        if self.closed:
            return "<migbar.Functional (closed)>"
        return "<migbar.Functional %s (%s): %s>" % (
            self.name, self.family, " + ".join(c[1] for c in self.components))


__all__ = ["Functional"]
