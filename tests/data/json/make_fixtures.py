#!/usr/bin/python3
"""Regenerate em_entry7.json: entry 7 (33 atoms, the first of the smallest) of the
migration-barrier training set, ../shared/data/em/train.json, unchanged but indented so
that it spans lines. See README.md here for its licence and attribution.

Run: /usr/bin/python3 tests/data/json/make_fixtures.py [path/to/train.json]
Prints the values tests/structure/test_io_json.c checks (read with Python's json).
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, '../../../../shared/data/em/train.json')
with open(src) as f:
    data = json.load(f)
entry = data[7]
with open(os.path.join(HERE, 'em_entry7.json'), 'w') as f:
    json.dump(entry, f, indent=2)
    f.write('\n')
for k in (0, 7, 558):
    a = data[k]['atoms']
    print(f'entry {k}: {len(a["elements"])} atoms, elements[0] {a["elements"][0]}, '
          f'elements[-1] {a["elements"][-1]}, cartesian {a["cartesian"]}')
    print('  lattice_mat[0]', [repr(x) for x in a['lattice_mat'][0]])
    print('  coords[0]', [repr(x) for x in a['coords'][0]])
    print('  coords[-1]', [repr(x) for x in a['coords'][-1]])
print('entries:', len(data))
