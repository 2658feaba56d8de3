"""The randomized fast-path campaign: seeded random single-operator models per kernel
family (int8: conv, depthwise, fc, pool, elementwise; TFLite's 16x8 quantization: conv16,
depthwise16, fc16), batched into few firmware builds per board, every output bit-exact
against tflite_micro.

    python -m utensor.bench.campaign --count 1000 --seed 0            # every family, 5 boards
    python -m utensor.bench.campaign --family conv --board mps2_an386 --count 50 --seed 7
    python -m utensor.bench.campaign --repro conv 7 123 --board mps2_an386   # one draw alone

Draw `index` of family F under campaign seed S is model seed `draw_seed(F, S, index)`:
its shape, options, weights, quantization and input bytes all follow from it, so a
failure prints `--repro F S INDEX --board B`, which rebuilds exactly that model alone.
Boards: M4 (mps2_an386), M7 (mps2_an500), M33 (mps2_an505) and M55 (mps3_an547) run
their fast paths; M3 (mps2_an385) the portable kernels.

This module compiles every draw into a batch firmware (~0.4 CPU-s per draw per board).
CI runs the same draws through rt_campaign.py instead: one firmware per board that
receives each draw's kernel call at run time (~1-2 ms of CPU per draw per board).
"""

import argparse
import resource
import sys
import time
import zlib
from typing import Dict, List

import numpy as np

from . import batch, singleop

BOARDS = ("mps2_an386", "mps2_an500", "mps2_an505", "mps3_an547", "mps2_an385")
DEFAULT_COUNT = 1000


def draw_seed(family: str, seed: int, index: int) -> int:
    return (zlib.crc32(family.encode()) * 1_000_003 + seed * 7_919_999 + index) & 0x7FFFFFFF


def _act(rng) -> str:
    return ["NONE", "RELU", "RELU6", "NONE", "RELU_N1_TO_1"][rng.randint(5)]


def _window(rng, size_hi: int, k_hi: int, allow_dilation: bool = True):
    """A spatial input, kernel, stride, dilation and padding with at least one output."""
    while True:
        h, w = int(rng.randint(1, size_hi + 1)), int(rng.randint(1, size_hi + 1))
        # Widths 1-2 and 5-pixel blocks are the edge cases of row staging: over-weight them.
        if rng.rand() < 0.2:
            w = int(rng.choice([1, 2, 3, 5, 6, 9, 10, 11]))
        kh, kw = int(rng.randint(1, k_hi + 1)), int(rng.randint(1, k_hi + 1))
        sh, sw = int(rng.randint(1, 3)), int(rng.randint(1, 3))
        if rng.rand() < 0.1:
            sh, sw = int(rng.randint(1, 4)), int(rng.randint(1, 4))
        dh = dw = 1
        if allow_dilation and rng.rand() < 0.3:
            dh, dw = int(rng.randint(1, 3)), int(rng.randint(1, 3))
        pad = "SAME" if rng.rand() < 0.5 else "VALID"
        if singleop.out_hw(h, kh, sh, dh, pad) >= 1 and singleop.out_hw(w, kw, sw, dw, pad) >= 1:
            return (h, w), (kh, kw), (sh, sw), (dh, dw), pad


def _channels(rng, hi: int) -> int:
    """Channel counts around the multiples of 4 and 16 the fast paths block by."""
    if rng.rand() < 0.5:
        return int(rng.randint(1, hi + 1))
    base = int(rng.choice([4, 8, 16, 32]))
    return max(1, min(hi, base + int(rng.randint(-1, 2))))


def _wide_channels(rng) -> int:
    """1..256 (issue 15's range), over-weighting the block edges 15/16/17, 31/32/33, ..."""
    if rng.rand() < 0.5:
        return int(rng.randint(1, 257))
    base = int(rng.choice([16, 32, 64, 128, 256]))
    return max(1, min(256, base + int(rng.randint(-1, 2))))


# Work per draw: the largest draws still cost the portable M3 build well under a second
# in QEMU (and tflite_micro a few ms), so a campaign of thousands stays cheap.
MAX_MACS = 1_500_000
MAX_ELEMENTS = 65536


def _kernel(rng):
    """Issue 15's kernel shapes: 1x1, 3x3, 5x5, 7x7, 1xN, Nx1, or any up to 7x7."""
    kind = rng.randint(6)
    if kind == 0:
        return 1, 1
    if kind == 1:
        n = int(rng.choice([3, 5, 7]))
        return n, n
    if kind == 2:
        return 1, int(rng.randint(2, 8))
    if kind == 3:
        return int(rng.randint(2, 8)), 1
    return int(rng.randint(1, 8)), int(rng.randint(1, 8))


# Filter bytes per draw (the campaign firmware receives them at run time).
MAX_FILTER_BYTES = 256 * 1024


def _filter_bytes(spec: Dict) -> int:
    kh, kw = spec["kernel"]
    if spec["op"] == "CONV_2D":
        return kh * kw * spec["input"][3] * spec["out_ch"]
    return kh * kw * spec["input"][3] * spec.get("multiplier", 1)


def _fit(spec: Dict, limit: int = MAX_MACS) -> Dict:
    """Shrinks the channels until the filter is under MAX_FILTER_BYTES, then the image
    (then the channels) until the draw is under `limit` MACs, keeping at least one output
    pixel."""
    op = spec["op"]
    while _filter_bytes(spec) > MAX_FILTER_BYTES:
        if op == "CONV_2D" and spec["out_ch"] >= spec["input"][3]:
            spec["out_ch"] = max(1, spec["out_ch"] * 3 // 4)
        else:
            spec["input"][3] = max(1, spec["input"][3] * 3 // 4)
    while singleop.macs(spec) > limit:
        n, h, w, c = spec["input"]
        k, st, dl = spec["kernel"], spec.get("stride", [1, 1]), spec.get("dilation", [1, 1])
        pad = spec.get("padding", "SAME")
        smaller = False
        for axis in (1, 2) if h >= w else (2, 1):
            cur = spec["input"][axis]
            new = max(1, cur * 3 // 4)
            if new < cur and singleop.out_hw(new, k[axis - 1], st[axis - 1], dl[axis - 1], pad) >= 1:
                spec["input"][axis] = new
                smaller = True
                break
        if smaller:
            continue
        if op == "CONV_2D" and spec["out_ch"] > 1 and spec["out_ch"] >= c:
            spec["out_ch"] = max(1, spec["out_ch"] * 3 // 4)
        elif c > 1:
            spec["input"][3] = max(1, c * 3 // 4)
        elif op == "CONV_2D" and spec["out_ch"] > 1:
            spec["out_ch"] = max(1, spec["out_ch"] * 3 // 4)
        else:
            break
    return spec


def draw_conv(rng) -> Dict:
    (h, w), k, s, d, pad = _window(rng, 12, 7)
    c = int(rng.choice([1, 2, 3])) if rng.rand() < 0.3 else _channels(rng, 40)
    out_ch = _channels(rng, 40)
    if rng.rand() < 0.25:
        k = (1, 1)
        d = (1, 1)
    elif rng.rand() < 0.5:
        k2 = _kernel(rng)
        if all(singleop.out_hw(n, kk, st, dl, pad) >= 1 for n, kk, st, dl in zip((h, w), k2, s, d)):
            k = k2
    if rng.rand() < 0.3:  # issue 15's channel range: 1..256 in and out
        c = _wide_channels(rng) if rng.rand() < 0.7 else c
        out_ch = _wide_channels(rng)
    return _fit({"op": "CONV_2D", "input": [1, h, w, c], "kernel": list(k), "stride": list(s),
                 "dilation": list(d), "padding": pad, "out_ch": out_ch, "activation": _act(rng)})


def draw_depthwise(rng) -> Dict:
    (h, w), k, s, d, pad = _window(rng, 14, 7)
    if rng.rand() < 0.5:
        mult = int(rng.choice([1, 2, 4, 8]))
        c = int(rng.randint(1, 5)) if mult > 1 else _channels(rng, 48)
        if mult > 1 and rng.rand() < 0.25:
            c = int(rng.randint(1, 33))
    else:
        mult, c = 1, _channels(rng, 48)
        if rng.rand() < 0.25:
            c = _wide_channels(rng)
    if rng.rand() < 0.3 and all(singleop.out_hw(n, 3, st, dl, pad) >= 1 for n, st, dl in zip((h, w), s, d)):
        k = (3, 3)
    elif rng.rand() < 0.3:
        k2 = _kernel(rng)
        if all(singleop.out_hw(n, kk, st, dl, pad) >= 1 for n, kk, st, dl in zip((h, w), k2, s, d)):
            k = k2
    return _fit({"op": "DEPTHWISE_CONV_2D", "input": [1, h, w, c], "kernel": list(k), "stride": list(s),
                 "dilation": list(d), "padding": pad, "multiplier": mult, "activation": _act(rng)})


# FULLY_CONNECTED weights per draw: in and out each reach 1024, not both at once (a
# 1024x1024 layer is 1 MB of weights, more than the campaign firmware's buffers).
MAX_FC_WEIGHTS = 256 * 1024


def draw_fc(rng) -> Dict:
    batch_n = int(rng.randint(1, 5)) if rng.rand() < 0.4 else 1
    if rng.rand() < 0.1:
        batch_n = int(rng.randint(5, 9))
    depth = int(rng.randint(1, 260)) if rng.rand() < 0.7 else _channels(rng, 64)
    units = int(rng.randint(1, 48))
    if rng.rand() < 0.3:  # issue 15's range: in and out 1..1024
        depth = int(rng.randint(1, 1025)) if rng.rand() < 0.6 else depth
        units = int(rng.randint(1, 1025)) if rng.rand() < 0.6 else units
        while depth * units > MAX_FC_WEIGHTS:
            if depth >= units:
                depth = depth * 3 // 4
            else:
                units = units * 3 // 4
    return {"op": "FULLY_CONNECTED", "input": [batch_n, depth], "units": units,
            "bias": bool(rng.rand() < 0.85), "activation": _act(rng)}


def draw_pool(rng) -> Dict:
    (h, w), k, s, _, pad = _window(rng, 16, 7, allow_dilation=False)
    if rng.rand() < 0.4:
        s = k  # the usual non-overlapping pool
        if singleop.out_hw(h, k[0], s[0], 1, pad) < 1 or singleop.out_hw(w, k[1], s[1], 1, pad) < 1:
            pad = "SAME"
    op = "MAX_POOL_2D" if rng.rand() < 0.5 else "AVERAGE_POOL_2D"
    c = _channels(rng, 40) if rng.rand() < 0.75 else _wide_channels(rng)
    return {"op": op, "input": [1, h, w, c], "kernel": list(k), "stride": list(s),
            "padding": pad, "activation": _act(rng) if rng.rand() < 0.3 else "NONE"}


def draw_elementwise(rng) -> Dict:
    rank = int(rng.randint(1, 5))
    shape = [1] + [int(rng.randint(1, 12)) for _ in range(rank - 1)] if rank > 1 else [int(rng.randint(1, 600))]
    if rng.rand() < 0.3:
        shape[-1] = int(rng.randint(1, 300))
    if rng.rand() < 0.2:  # issue 15's sizes: up to 64K elements (log-uniform)
        total = int(np.exp(rng.uniform(0, np.log(MAX_ELEMENTS))))
        shape = [total] if rank == 1 else [1] * (rank - 2) + [max(1, total // 64), min(total, 64)]
    spec = {"op": "ADD" if rng.rand() < 0.5 else "MUL", "input": shape, "activation": _act(rng)}
    if rank > 1 and rng.rand() < 0.25:  # broadcasting
        spec["input2"] = [d if rng.rand() < 0.5 else 1 for d in shape]
    return spec


def _int16(spec: Dict, rng) -> Dict:
    """A draw in TFLite's 16x8 quantization; one in four with full-scale weights (sums
    beyond int32: the kernels' int64 path)."""
    spec["dtype"] = "int16"
    if rng.rand() < 0.25:
        spec["wide"] = True
    return spec


def draw_conv16(rng) -> Dict:
    spec = _int16(draw_conv(rng), rng)
    if spec.get("wide") and rng.rand() < 0.5:
        # Deep enough for 32768 * sum |w| to pass 2^31 (> 516 taps x channels).
        spec["input"][3] = int(rng.randint(60, 130))
        spec["kernel"] = [3, 3]
        spec["dilation"] = [1, 1]
        spec["padding"] = "SAME"
        spec["input"][1], spec["input"][2] = int(rng.randint(1, 6)), int(rng.randint(1, 6))
        spec["out_ch"] = int(rng.randint(1, 10))
    # TFLite Micro sums in int32 (wrapping) with an int32 bias or none.
    spec["bias"] = ["int64", "int64", "int32", "none"][rng.randint(4)]
    return spec


def draw_depthwise16(rng) -> Dict:
    spec = _int16(draw_depthwise(rng), rng)
    if spec.get("wide") and rng.rand() < 0.5:
        # A 25x25 window (625 taps of |w| >= 100): sums beyond int32, the int64 loop.
        size = [int(rng.randint(25, 29)), int(rng.randint(25, 29))]
        spec.update(input=[1] + size + [int(rng.randint(1, 7))], kernel=[25, 25], stride=[1, 1],
                    dilation=[1, 1], padding="VALID", multiplier=int(rng.choice([1, 2, 4])))
    return spec


def draw_fc16(rng) -> Dict:
    spec = _int16(draw_fc(rng), rng)
    if spec.get("wide") and rng.rand() < 0.7:
        spec["input"][1] = int(rng.randint(517, 1200))
        spec["units"] = min(spec["units"], MAX_FC_WEIGHTS // spec["input"][1])
    return spec


DRAWS = {"conv": draw_conv, "depthwise": draw_depthwise, "fc": draw_fc, "pool": draw_pool,
         "elementwise": draw_elementwise, "conv16": draw_conv16, "depthwise16": draw_depthwise16,
         "fc16": draw_fc16}


def _first_layer(spec: Dict, rng) -> None:
    """A first layer as users' models have them (issue 15's speech model: a 49x10 input,
    one channel, a 10x8 depthwise filter with multiplier 8, stride 2): a larger image of
    1-3 channels and filters up to 10x10."""
    while True:
        h, w = int(rng.randint(8, 65)), int(rng.randint(3, 41))
        k = [int(rng.randint(1, 11)), int(rng.randint(1, 11))]
        st = [int(rng.randint(1, 3)), int(rng.randint(1, 3))]
        pad = "SAME" if rng.rand() < 0.5 else "VALID"
        if singleop.out_hw(h, k[0], st[0], 1, pad) >= 1 and singleop.out_hw(w, k[1], st[1], 1, pad) >= 1:
            break
    spec.update(input=[1, h, w, int(rng.randint(1, 4))], kernel=k, stride=st, dilation=[1, 1], padding=pad)
    if spec["op"] == "DEPTHWISE_CONV_2D":
        spec["multiplier"] = int(rng.choice([1, 2, 4, 8, 8]))
    else:
        spec["out_ch"] = int(rng.randint(1, 65))
    if spec.get("dtype") == "int16" and rng.rand() < 0.5:
        spec.pop("wide", None)  # the other half keep their full-scale weights
    _fit(spec)


def draw(family: str, seed: int, index: int) -> Dict:
    rng = np.random.RandomState(draw_seed(family, seed, index))
    spec = DRAWS[family](rng)
    if family != "pool" and rng.rand() < 0.15:
        # An output range off the layer's own (calibrated on other data): saturation and
        # requantization multipliers with left shifts, which the usual draws rarely reach.
        spec["out_range"] = float(2.0 ** rng.uniform(-8, 4))
    if spec["op"] in ("CONV_2D", "DEPTHWISE_CONV_2D") and rng.rand() < 0.08:
        _first_layer(spec, rng)
    if spec["op"] in ("CONV_2D", "DEPTHWISE_CONV_2D", "MAX_POOL_2D", "AVERAGE_POOL_2D") and rng.rand() < 0.1:
        spec["input"][0] = int(rng.randint(2, 4))  # batches: not streamed, loops over images
        if spec["op"] != "MAX_POOL_2D" and spec["op"] != "AVERAGE_POOL_2D":
            _fit(spec)
    return spec


def repro_command(family: str, seed: int, index: int, board: str) -> str:
    return f"python -m utensor.bench.campaign --repro {family} {seed} {index} --board {board}"


def models_for(family: str, seed: int, indices) -> List[tuple]:
    out = []
    for i in indices:
        spec = draw(family, seed, i)
        s = draw_seed(family, seed, i)
        out.append((f"{family}_{seed}_{i}", singleop.build(spec, s), s, spec, i))
    return out


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (compilers, QEMU): the cost on a
    shared machine, where wall time depends on the neighbours."""
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def run(families, boards, count, seed: int, jobs: int = 2, log=print, indices=None) -> List[str]:
    """Every draw of every family on every board (all families in the same firmware builds);
    returns the failures, each naming its draw, board and the command that reproduces it.
    count: draws per family, or a dict family -> draws."""
    failures = []
    t0 = time.time()
    keep, convs, fams = [], [], []
    for fam in families:
        n = count.get(fam, 0) if isinstance(count, dict) else count
        for m in models_for(fam, seed, indices if indices is not None else range(n)):
            try:
                convs.append(batch.convert_bytes(m[0], m[1]))
            except Exception as e:  # pylint: disable=broad-except
                failures.append(f"{fam} seed {seed} draw {m[4]} {singleop.describe(m[3])}: utensor refused "
                                f"a model tflite_micro runs: {e}; reproduce: "
                                f"{repro_command(fam, seed, m[4], boards[0])}")
                continue
            keep.append(m)
            fams.append(fam)
    log(f"[campaign] {len(keep)} models of {families} drawn and converted in {time.time() - t0:.1f} s")
    for board in boards:
        t1, c1 = time.time(), cpu_seconds()
        results = batch.run_batch([m[:3] for m in keep], board, conversions=convs, tag="campaign",
                                  jobs=jobs, log=log)
        bad = 0
        for fam, m, r in zip(fams, keep, results):
            for p in r.problems:
                bad += 1
                failures.append(f"{fam} seed {seed} draw {m[4]} on {board} ({singleop.describe(m[3])}): {p}; "
                                f"reproduce: {repro_command(fam, seed, m[4], board)}")
        log(f"[campaign] {board}: {len(results)} models, {bad} problems, {time.time() - t1:.1f} s wall, "
            f"{cpu_seconds() - c1:.1f} s CPU")
    return failures


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m utensor.bench.campaign", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--family", action="append", choices=sorted(DRAWS), help="default: all")
    p.add_argument("--board", action="append", choices=BOARDS, help="default: all five")
    p.add_argument("--count", type=int, default=DEFAULT_COUNT, help=f"draws per family (default {DEFAULT_COUNT})")
    p.add_argument("--seed", type=int, default=0, help="campaign seed (default 0)")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--repro", nargs=3, metavar=("FAMILY", "SEED", "INDEX"),
                   help="rebuild and check one draw alone (prints its spec)")
    args = p.parse_args(argv)
    boards = args.board or list(BOARDS)
    if args.repro:
        fam, seed, index = args.repro[0], int(args.repro[1]), int(args.repro[2])
        print(f"{fam} seed {seed} draw {index}: {draw(fam, seed, index)}")
        failures = run([fam], boards, 0, seed, args.jobs, indices=[index])
    else:
        t, c = time.time(), cpu_seconds()
        families = args.family or list(DRAWS)
        print(f"[campaign] seed {args.seed}, {args.count} draws per family, families {families}, "
              f"boards {boards}", flush=True)
        failures = run(families, boards, args.count, args.seed, args.jobs)
        print(f"[campaign] {time.time() - t:.0f} s wall, {cpu_seconds() - c:.0f} s CPU", flush=True)
    for f in failures:
        print("FAIL " + f)
    print(f"[campaign] seed {args.repro[1] if args.repro else args.seed}: "
          f"{'PASS' if not failures else f'{len(failures)} failures'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
