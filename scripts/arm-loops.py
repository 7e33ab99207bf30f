# Innermost loops (backward branches with no other backward branch inside) of the functions
# matching a substring, with instruction counts by mnemonic. For docs/ARM.md.
# Usage: aarch64-linux-gnu-objdump -d --no-show-raw-insn -C file.o | python3 scripts/arm-loops.py SUBSTR [MIN_INSNS]
import re, sys, collections
func = sys.argv[1]; mn = int(sys.argv[2]) if len(sys.argv) > 2 else 8
cur = None; funcs = collections.OrderedDict()
for l in sys.stdin.read().split('\n'):
    m = re.match(r'^([0-9a-f]+) <(.*)>:$', l)
    if m: cur = m.group(2); funcs[cur] = []; continue
    m = re.match(r'^\s+([0-9a-f]+):\s+(\S+)\s*(.*)$', l)
    if m and cur: funcs[cur].append((int(m.group(1), 16), m.group(2), m.group(3)))
for name, ins in funcs.items():
    if func not in name: continue
    loops = []
    for i, (a, op, args) in enumerate(ins):
        if op.startswith('b') and op not in ('bl', 'blr', 'br', 'bic', 'bif', 'bit', 'bsl') or op in ('cbz', 'cbnz', 'tbz', 'tbnz'):
            t = re.search(r'(?:^|[ ,])([0-9a-f]+) <', args)
            if t and int(t.group(1), 16) < a: loops.append((int(t.group(1), 16), a))
    inner = [l for l in loops if not any(o != l and l[0] <= o[0] and o[1] <= l[1] for o in loops)]
    seen = set()
    for s, e in inner:
        body = [x for x in ins if s <= x[0] <= e]
        if len(body) < mn: continue
        c = collections.Counter(o for _, o, _ in body)
        key = tuple(sorted(c.items()))
        if key in seen: continue
        seen.add(key)
        regs = set(re.findall(r'\b[vqd](\d+)\b', ' '.join(a for _, _, a in body)))
        print(f"  {len(body):4d} insns [{s:x}-{e:x}], {len(regs)} vector registers:", ', '.join(f"{k} {v}" for k, v in c.most_common()))
