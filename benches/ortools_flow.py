"""Solve an exported allocation network with Google OR-Tools' SimpleMinCostFlow, for comparison.

What it measures: the optimal cost OR-Tools finds and how long it takes, on exactly the
min-cost-flow network that `capacity_hub::matching::allocate::optimal` solves before its funding
repair. `write_flow_network` writes that network (format in src/matching/allocate/network.rs: a
header line `nodes N source S sink T supply K arcs M`, then one `tail head capacity cost` line per
arc); `min_cost_flow` solves it with our solver, and its `cost` must equal the cost printed here.

    python3 benches/ortools_flow.py NETWORK_FILE [--repeat N]

Each of the N runs (default 3) builds a fresh SimpleMinCostFlow: `build_seconds` is adding the
arcs (from numpy arrays, in one call) and the two supplies, `solve_seconds` is `solve()` alone,
the figure to compare with ours. Reading the file is not timed. Prints one JSON line:
{"status", "cost", "build_seconds", "solve_seconds", "ortools_version", "nodes", "arcs"};
exits with status 1 and a message on stderr if a solve is not OPTIMAL or the file is malformed.
"""

import argparse
import json
import sys
import time

import numpy as np
import ortools
from ortools.graph.python import min_cost_flow


def read_network(path):
    """The header fields and the arcs as four int64 arrays (tails, heads, capacities, costs)."""
    with open(path, "rb") as f:
        header = f.readline().split()
        body = f.read()
    fields = {header[i].decode(): int(header[i + 1]) for i in range(0, len(header) - 1, 2)}
    for name in ("nodes", "source", "sink", "supply", "arcs"):
        if name not in fields:
            raise ValueError(f"header has no '{name}' field")
    numbers = np.array(body.split(), dtype=np.int64)
    if numbers.size != 4 * fields["arcs"]:
        raise ValueError(f"expected {fields['arcs']} arcs of 4 fields, found {numbers.size} numbers")
    arcs = numbers.reshape(-1, 4)
    return fields, [np.ascontiguousarray(arcs[:, i]) for i in range(4)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("network", help="file written by allocate::write_flow_network")
    parser.add_argument("--repeat", type=int, default=3, help="solves, each on a fresh object")
    args = parser.parse_args()
    try:
        fields, (tails, heads, capacities, costs) = read_network(args.network)
    except (OSError, ValueError) as error:
        sys.exit(f"ortools_flow: cannot read {args.network}: {error}")
    builds, solves, cost, status = [], [], None, None
    for _ in range(max(args.repeat, 1)):
        start = time.perf_counter()
        smcf = min_cost_flow.SimpleMinCostFlow()
        smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
        smcf.set_node_supply(fields["source"], fields["supply"])
        smcf.set_node_supply(fields["sink"], -fields["supply"])
        built = time.perf_counter()
        status = smcf.solve()
        solved = time.perf_counter()
        if status != smcf.OPTIMAL:
            sys.exit(f"ortools_flow: solve status {status.name}, not OPTIMAL")
        if cost is not None and smcf.optimal_cost() != cost:
            sys.exit(f"ortools_flow: runs disagree on the cost ({cost} vs {smcf.optimal_cost()})")
        cost = smcf.optimal_cost()
        builds.append(round(built - start, 6))
        solves.append(round(solved - built, 6))
    print(
        json.dumps(
            {
                "status": status.name,
                "cost": int(cost),
                "build_seconds": builds,
                "solve_seconds": solves,
                "ortools_version": ortools.__version__,
                "nodes": fields["nodes"],
                "arcs": fields["arcs"],
            }
        )
    )


if __name__ == "__main__":
    main()
