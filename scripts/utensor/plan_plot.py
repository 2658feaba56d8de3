"""Draws a memory plan: one box per buffer, operator steps across, arena offset up."""

from .errors import UtensorError


def draw_plan(conversion, path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.patches import Rectangle
    except ImportError:
        raise UtensorError("--plan-png needs matplotlib: pip install matplotlib") from None

    g, plan = conversion.graph, conversion.plan
    n = len(g.operators)
    fig, ax = plt.subplots(figsize=(max(8, min(24, 0.45 * n + 4)), 6), dpi=110)
    cmap = plt.get_cmap("tab20")
    for k, b in enumerate(sorted(plan.buffers, key=lambda b: (b.first, b.offset))):
        x0, x1 = max(b.first, -1) - 0.45, min(b.last, n) + 0.45
        color = "#bbbbbb" if b.scratch_of is not None else cmap(k % 20)
        ax.add_patch(Rectangle((x0, b.offset), x1 - x0, b.size, facecolor=color, edgecolor="black", linewidth=0.6, alpha=0.85))
        if b.size >= 0.04 * max(plan.arena_bytes, 1) and (x1 - x0) >= 0.8:
            label = "scratch" if b.scratch_of is not None else ",".join(f"t{t}" for t in b.tensors[:3])
            ax.text((x0 + x1) / 2, b.offset + b.size / 2, f"{label}\n{b.size:,} B", ha="center", va="center", fontsize=7)
    usage = [sum(b.size for b in plan.buffers if b.first <= s <= b.last) for s in range(-1, n + 1)]
    peak_step = usage.index(max(usage)) - 1
    ax.axhline(plan.arena_bytes, color="red", linestyle="--", linewidth=1)
    ax.text(n + 0.5, plan.arena_bytes, f" arena {plan.arena_bytes:,} B", color="red", va="bottom", ha="right", fontsize=8)
    ax.axhline(plan.lower_bound, color="green", linestyle=":", linewidth=1)
    ax.text(-1, plan.lower_bound, f"lower bound {plan.lower_bound:,} B ", color="green", va="bottom", fontsize=8)
    ax.axvline(peak_step, color="orange", linewidth=1, alpha=0.6)
    ax.text(peak_step, plan.arena_bytes * 1.04, f"peak at step {peak_step}", color="orange", ha="center", fontsize=8)
    ax.set_xlim(-1.6, n + 0.6)
    ax.set_ylim(0, plan.arena_bytes * 1.1 + 1)
    ax.set_xticks(range(-1, n + 1))
    ax.set_xticklabels(["in"] + [f"{s}\n{op.op_type[:10]}" for s, op in enumerate(g.operators)] + ["out"], fontsize=6)
    ax.set_xlabel("operator (execution order)")
    ax.set_ylabel("arena offset (bytes)")
    ax.set_title(f"{g.name}: memory plan, {len(plan.buffers)} buffers")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
