"""The diagram's layered layout (core.diagram_layout) on the graph templates and ResNet50,
against grandalf's SugiyamaLayout when grandalf is installed (it is not a dependency:
this measures whether it would earn its place).

Run: make bench   (or .venv/bin/python tests/benchmarks/bench_layout.py)
Prints the median layout time and the wire crossings between neighbouring steps.
"""
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
try:
    from grandalf.graphs import Edge, Graph, Vertex
    from grandalf.layouts import SugiyamaLayout
except ImportError:
    SugiyamaLayout = None
from cnnstudio.core.diagram_layout import layered_layout, BLOCK_WIDTH, BLOCK_HEIGHT
from cnnstudio.core.templates import get_template
from tests.benchmarks.bench_graph_shapes import resnet50_project

def crossings(pos, edges):
    """Pairs of edges between the same two rows whose ends swap order."""
    by = {}
    for a, b in edges:
        by.setdefault((round(pos[a][1]), round(pos[b][1])), []).append((pos[a][0], pos[b][0]))
    n = 0
    for segs in by.values():
        for i in range(len(segs)):
            for j in range(i + 1, len(segs)):
                (a1, b1), (a2, b2) = segs[i], segs[j]
                if (a1 - a2) * (b1 - b2) < 0:
                    n += 1
    return n

def ours(p):
    names, inputs = p.layer_names(), p.layer_inputs()
    t = []
    for _ in range(20):
        s = time.perf_counter(); L = layered_layout(names, inputs); t.append(time.perf_counter() - s)
    edges = [(s_, n) for n, ins in zip(names, inputs) for s_ in ins]
    return statistics.median(t), L.centres, edges

class View:
    w, h = BLOCK_WIDTH, BLOCK_HEIGHT

def theirs(p):
    names, inputs = p.layer_names(), p.layer_inputs()
    t = []
    for _ in range(5):
        s = time.perf_counter()
        V = {n: Vertex(n) for n in ["input", *names]}
        for v in V.values(): v.view = View()
        E = [Edge(V[s_], V[n]) for n, ins in zip(names, inputs) for s_ in ins]
        g = Graph(list(V.values()), E)
        sug = SugiyamaLayout(g.C[0]); sug.init_all(); sug.draw(3)
        t.append(time.perf_counter() - s)
    pos = {n: tuple(v.view.xy) for n, v in V.items()}
    edges = [(s_, n) for n, ins in zip(names, inputs) for s_ in ins]
    return statistics.median(t), pos, edges

def main():
    projects = {k: get_template(k).project
                for k in ("inception_small", "densenet_small", "resnet_small")}
    projects["ResNet50"] = resnet50_project()
    for key, p in projects.items():
        t1, c1, e = ours(p)
        line = f"{key:16} ours {t1 * 1e3:7.2f} ms, crossings {crossings(c1, e):3d}"
        if SugiyamaLayout is not None:
            t2, c2, _ = theirs(p)
            line += f" | grandalf {t2 * 1e3:8.2f} ms, crossings {crossings(c2, e):3d}"
        print(line)
    if SugiyamaLayout is None:
        print("(grandalf is not installed: pip install grandalf to compare)")


if __name__ == "__main__":
    main()
