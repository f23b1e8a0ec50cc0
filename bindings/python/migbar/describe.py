"""What the library's options and named values are, as the library says (migbar.h
section 11): the Python classes build their keyword tables from these, so a new option
or a changed bound in C needs no edit here.

    >>> migbar.options("band")["fmax"]
    Option(key=4, name='fmax', units='eV/A', min=0.0, max=inf, default=0.05, ...)
    >>> migbar.names("optimizer")
    {'fire': 0, 'lbfgs': 1, 'ode': 2}
"""

import collections
import functools
import math
from ctypes import byref, c_char_p, c_double, c_int

from ._lib import check, lib

# mb_option_set and mb_name_set of migbar.h
OPTION_SETS = {"band": 0, "dft": 1, "hops": 2, "potential": 3}
NAME_SETS = {"optimizer": 0, "interpolation": 1, "potential": 2, "xc": 3, "smearing": 4,
             "format": 5}
# MB_OPTION_* flags
INTEGER, MIN_EXCLUSIVE, MAX_EXCLUSIVE, DEFAULT_VARIES = 1, 2, 4, 8

Option = collections.namedtuple(
    "Option", "key name units min max default integer min_exclusive max_exclusive description")


def _set(table, which):
    try:
        return table[which]
    except KeyError:
        raise ValueError("unknown set %r (known: %s)" % (which, ", ".join(table))) from None


@functools.lru_cache(maxsize=None)
def options(which):
    """{name: Option} of "band", "dft", "hops" or "potential", in the order of the C
    enumeration; default is None where it depends on other settings (the description
    says how)."""
    s = _set(OPTION_SETS, which)
    n = c_int()
    check(lib.mb_option_count(s, byref(n)))
    out = {}
    for i in range(n.value):
        key, flags = c_int(), c_int()
        name, units, doc = c_char_p(), c_char_p(), c_char_p()
        lo, hi, d = c_double(), c_double(), c_double()
        check(lib.mb_option_info(s, i, byref(key), byref(name), byref(units), byref(lo),
                                 byref(hi), byref(d), byref(flags), byref(doc)))
        f = flags.value
        out[name.value.decode()] = Option(
            key.value, name.value.decode(), units.value.decode(), lo.value, hi.value,
            None if f & DEFAULT_VARIES or math.isnan(d.value) else d.value, bool(f & INTEGER),
            bool(f & MIN_EXCLUSIVE), bool(f & MAX_EXCLUSIVE), doc.value.decode())
    return out


@functools.lru_cache(maxsize=None)
def names(which):
    """{name: value} of "optimizer", "interpolation", "potential", "xc", "smearing" or
    "format", in the order of the C enumeration."""
    s = _set(NAME_SETS, which)
    n = c_int()
    check(lib.mb_name_count(s, byref(n)))
    out = {}
    for i in range(n.value):
        v, name, doc = c_int(), c_char_p(), c_char_p()
        check(lib.mb_name_info(s, i, byref(v), byref(name), byref(doc)))
        out[name.value.decode()] = v.value
    return out


def name_of(which, value):
    """The name of an enumeration value (ValueError when there is none)."""
    for k, v in names(which).items():
        if v == value:
            return k
    raise ValueError("no %s has the value %r" % (which, value))
