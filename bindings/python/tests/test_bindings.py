"""The ctypes layer: every MB_API function of include/migbar.h is declared in
migbar._lib with the right number of arguments and pointer-ness, the library
loads from MIGBAR_LIBRARY, versions agree, errors carry status and message."""

import ctypes
import os
import re
import subprocess
import sys

import pytest

import migbar
from migbar import _lib

from conftest import SRCDIR

HEADER = os.path.join(SRCDIR, "include", "migbar.h")


def _strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def _split_args(args):
    """Top-level comma split (function-pointer parameters have their own commas)."""
    out, depth, cur = [], 0, ""
    for ch in args:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return [] if out == ["void"] else out


def header_functions():
    """{name: (return type text, [parameter texts])} of the MB_API declarations.
    Typedefs (handles, enums, callbacks) have no MB_API and are passed over; the
    '#define MB_API' lines are preprocessor lines, dropped first."""
    with open(HEADER) as f:
        text = _strip_comments(f.read())
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    decls = {}
    for m in re.finditer(r"\bMB_API\b(.*?);", text, flags=re.S):
        decl = " ".join(m.group(1).split())
        fm = re.match(r"^(.*?)\b(mb_\w+)\s*\((.*)\)$", decl)
        assert fm, "cannot parse MB_API declaration: %r" % decl
        decls[fm.group(2)] = (fm.group(1).strip(), _split_args(fm.group(3)))
    return decls


def _is_pointer_param(p):
    return "*" in p or "[" in p or re.search(r"_fn\b", p) is not None


def _is_pointer_ctype(t):
    return t in (ctypes.c_void_p, ctypes.c_char_p) or \
        (isinstance(t, type) and issubclass(t, (ctypes._Pointer, ctypes._CFuncPtr)))


def test_header_is_parsed():
    decls = header_functions()
    # Sanity check of the parser itself on known declarations.
    assert len(decls) >= 40
    assert decls["mb_version"] == ("const char *", [])
    assert len(decls["mb_structure_create"][1]) == 6
    assert len(decls["mb_neighbors_pairs"][1]) == 6


def test_every_header_function_is_declared():
    decls = header_functions()
    missing = sorted(set(decls) - set(_lib.SIGNATURES))
    assert not missing, "declare these in migbar/_lib.py SIGNATURES: %s" % missing
    extra = sorted(set(_lib.SIGNATURES) - set(decls))
    assert not extra, "_lib.py declares functions that migbar.h lacks: %s" % extra


@pytest.mark.parametrize("name", sorted(header_functions()))
def test_signature_matches_header(name):
    ret, params = header_functions()[name]
    restype, argtypes = _lib.SIGNATURES[name]
    assert len(argtypes) == len(params), \
        "%s: header has %d parameters %s, _lib.py %d" % (name, len(params), params,
                                                          len(argtypes))
    for k, (p, t) in enumerate(zip(params, argtypes)):
        assert _is_pointer_param(p) == _is_pointer_ctype(t), \
            "%s parameter %d (%s) declared as %s" % (name, k, p, t)
    if ret == "void":
        assert restype is None
    elif "*" in ret:
        assert _is_pointer_ctype(restype)
    else:
        assert restype in (ctypes.c_int, ctypes.c_uint, ctypes.c_long, ctypes.c_size_t,
                           ctypes.c_double)
    fn = getattr(_lib.lib, name)
    assert fn.argtypes == argtypes and fn.restype is restype


def test_header_version_matches_library_and_package():
    with open(HEADER) as f:
        h = f.read()
    major = int(re.search(r"#define MB_VERSION_MAJOR (\d+)", h).group(1))
    string = re.search(r'#define MB_VERSION_STRING "([^"]+)"', h).group(1)
    assert _lib.EXPECTED_MAJOR == major
    assert migbar.version() == string
    assert migbar.__version__ == string
    v = [int(x) for x in string.split(".")]
    assert migbar.version_number() == 10000 * v[0] + 100 * v[1] + v[2]


def test_library_comes_from_migbar_library_env():
    env = os.environ.get("MIGBAR_LIBRARY")
    if not env:
        pytest.skip("MIGBAR_LIBRARY not set")
    assert os.path.samefile(migbar.library_path(), env)


def test_import_error_lists_where_it_looked(tmp_path):
    # A fresh interpreter with a wrong MIGBAR_LIBRARY and no way to find the
    # library elsewhere: copy the package alone into an empty directory.
    pkg = tmp_path / "migbar"
    pkg.mkdir()
    src = os.path.dirname(migbar.__file__)
    for f in ("__init__.py", "_lib.py", "structure.py", "neighbors.py", "ase_io.py"):
        (pkg / f).write_text(open(os.path.join(src, f)).read())
    env = dict(os.environ, MIGBAR_LIBRARY=str(tmp_path / "nowhere" / "libmigbar.so"),
               PYTHONPATH=str(tmp_path), LD_LIBRARY_PATH="")
    r = subprocess.run([sys.executable, "-c", "import migbar"], env=env, cwd=str(tmp_path),
                       capture_output=True, text=True)
    if r.returncode == 0:
        pytest.skip("libmigbar is installed system-wide (find_library found it)")
    assert "ImportError" in r.stderr
    assert "MIGBAR_LIBRARY" in r.stderr
    assert str(tmp_path / "nowhere" / "libmigbar.so") in r.stderr
    assert "find_library" in r.stderr


def test_error_status_and_message():
    with pytest.raises(migbar.MigbarError) as e:
        migbar.element_number("Xx")
    assert e.value.status == _lib.MB_ERR_INVALID_ARG == 2
    assert e.value.status_name == "MB_ERR_INVALID_ARG"
    assert "Xx" in e.value.message
    assert "Xx" in str(e.value) and "MB_ERR_INVALID_ARG" in str(e.value)


def test_error_without_message_uses_strerror():
    _lib.lib.mb_clear_error()
    err = _lib.MigbarError(_lib.MB_ERR_GEOMETRY)
    assert err.message == "degenerate geometry"
    assert err.status_name == "MB_ERR_GEOMETRY"


def test_status_names_match_header():
    with open(HEADER) as f:
        h = f.read()
    for name, value in re.findall(r"\b(MB_(?:OK|ERR_\w+))\s*=\s*(\d+)", h):
        assert _lib.STATUS_NAMES[int(value)] == name
        assert getattr(_lib, name) == int(value)
        assert _lib.lib.mb_strerror(int(value))


def test_element_helpers():
    assert migbar.element_number("Fe") == 26
    assert migbar.element_symbol(3) == "Li"
    # IUPAC standard atomic weight of Li (abridged, 6.94) and O (15.999).
    assert migbar.element_mass(3) == pytest.approx(6.94, abs=0.01)
    assert migbar.element_mass(8) == pytest.approx(15.999, abs=1e-3)
    for z in range(1, 119):
        assert migbar.element_number(migbar.element_symbol(z)) == z
    with pytest.raises(migbar.MigbarError) as e:
        migbar.element_symbol(119)
    assert e.value.status in (_lib.MB_ERR_RANGE, _lib.MB_ERR_INVALID_ARG)


def test_format_codes():
    assert migbar.format_code(None) == 0
    assert [migbar.format_code(n) for n in ("poscar", "xyz", "cif", "json")] == [1, 2, 3, 4]
    assert migbar.format_code("extxyz") == 2
    with pytest.raises(migbar.MigbarError) as e:
        migbar.format_code("pdb")
    assert e.value.status_name == "MB_ERR_UNSUPPORTED" and "pdb" in e.value.message


def test_every_module_is_installed():
    """Makefile.am installs every module of the package (a module left out imports in the
    source tree and fails once installed)."""
    here = os.path.dirname(os.path.abspath(__file__))
    top = os.path.normpath(os.path.join(here, "..", "..", ".."))
    with open(os.path.join(top, "Makefile.am")) as f:
        am = f.read()
    pkg = os.path.join(top, "bindings", "python", "migbar")
    for name in sorted(os.listdir(pkg)):
        if name.endswith(".py") and name != "_config.py":
            assert "bindings/python/migbar/%s" % name in am, name
