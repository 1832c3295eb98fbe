#!/usr/bin/env python3
"""Self cost per instruction address of one function in a callgrind file
(--dump-instr=yes), printed beside objdump's disassembly; with --lines,
summed by source line instead (the outermost frame in this repository's
code, through addr2line, so that inlined library code counts where it was
called); with --detail, each such line split by the innermost source
line its instructions came from.
usage: cgasm.py CALLGRIND_OUT BINARY FUNCTION_SUBSTRING DIVISOR [--lines|--detail]"""
import collections, re, subprocess, sys
out, binary, want, div = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
by_lines = '--lines' in sys.argv[5:] or '--detail' in sys.argv[5:]
detail = '--detail' in sys.argv[5:]
names = {}
costs = {}
cur = None
addr = 0
skip = False
for line in open(out):
    line = line.rstrip('\n')
    m = re.match(r'(c?)fn=\((\d+)\)(?: (.*))?', line)
    if m:
        if m.group(3): names[m.group(2)] = m.group(3)
        if not m.group(1): cur = names.get(m.group(2), '')
        continue
    if line.startswith('calls='):
        skip = True
        continue
    m = re.match(r'^(0x[0-9a-f]+|[+-]\d+|\*)\s+\S+\s+(\d+)', line)
    if m:
        pos = m.group(1)
        if pos.startswith('0x'): addr = int(pos, 16)
        elif pos == '*': pass
        else: addr += int(pos)
        if skip:
            skip = False
            continue
        if want in cur:
            costs[addr] = costs.get(addr, 0) + int(m.group(2))
if not costs:
    sys.exit('no such function')
if by_lines:
    addrs = sorted(costs)
    argv = []
    for a in addrs:
        argv += [hex(a), '0x0']  # 0x0 answers '??': the end of one address's frames
    lines = subprocess.run(['addr2line', '-i', '-f', '-C', '-e', binary] + argv,
                           capture_output=True, text=True).stdout.split('\n')
    frames, cur, i = [], [], 0
    while i + 1 < len(lines):
        func, loc = lines[i], lines[i + 1]
        i += 2
        if func == '??' and loc.startswith('??'):
            frames.append(cur)
            cur = []
        else:
            cur.append(loc.split(' ')[0])
    root = subprocess.run(['git', 'rev-parse', '--show-toplevel'], capture_output=True,
                          text=True).stdout.strip() + '/'
    sums = collections.Counter()
    for a, locs in zip(addrs, frames):
        ours = [l for l in locs if l.startswith(root)]
        key = (ours[0] if ours else (locs[0] if locs else '??')).replace(root, '')
        if detail and locs:
            key += '  <- ' + locs[0].replace(root, '')
        sums[key] += costs[a]
    print(f'total {sum(costs.values())/div:.1f} per message')
    for loc, cost in sums.most_common(80 if detail else 40):
        print(f'{cost/div:7.1f}  {loc}')
    sys.exit(0)
lo, hi = min(costs), max(costs)
dis = subprocess.run(['objdump', '-d', '--no-show-raw-insn', '-C', f'--start-address={lo:#x}', f'--stop-address={hi+16:#x}', binary], capture_output=True, text=True).stdout
total = sum(costs.values())
print(f'total {total/div:.1f} per message')
for l in dis.splitlines():
    m = re.match(r'\s*([0-9a-f]+):\s*(.*)', l)
    if not m: continue
    a = int(m.group(1), 16)
    c = costs.get(a, 0)
    if c / div >= 0.5:
        print(f'{c/div:6.1f}  {a:x}  {m.group(2)[:90]}')
