/**
 * Exact optimal transport (earth mover's distance) on a dense cost matrix by the primal network simplex
 * method: the same algorithm as POT's `ot.emd` (LEMON's NetworkSimplex, block-search pivoting, strongly
 * feasible spanning trees), written for the complete bipartite graph of a transportation problem.
 *
 *   minimise sum_ij P_ij cost_ij  subject to  sum_j P_ij = supply_i,  sum_i P_ij = demand_j,  P >= 0.
 *
 * Nodes 0..n-1 are sources (rows), n..n+m-1 sinks (columns), n+m the artificial root. Arc e = i*m + j
 * (i -> n+j, infinite capacity); arc n*m + u is the artificial arc between node u and the root.
 * Every arc has infinite capacity, so non-tree arcs always carry zero flow: flows are stored per tree
 * node (the flow on the arc to its parent), and no per-arc state or flow array is needed: memory is the
 * cost matrix plus O(n + m).
 *
 * Integer supplies and demands (as `emdUniform` uses: n_y per source, n_x per sink) keep every flow an
 * exact integer in float64, so feasibility is exact; costs are float64 and optimality is certified at
 * the end against freshly recomputed potentials (every reduced cost >= -tolerance).
 */

export interface TransportPlan {
  /** Source (row) index of every non-zero entry of the plan. */
  rows: Int32Array;
  /** Sink (column) index of every non-zero entry. */
  cols: Int32Array;
  /** Mass of every non-zero entry (in the units of the supplies given). */
  mass: Float64Array;
  /** sum of mass * cost over the entries. */
  cost: number;
  /** Number of simplex pivots. */
  iterations: number;
}

export interface NetworkSimplexOptions {
  /** Stop with an error after this many pivots (default: 1000 * (n + m) + 1e6). */
  maxIterations?: number;
  /**
   * A pivot is taken only for reduced costs below -tolerance (default 1e-14 * (1 + max |cost|) * (n + m),
   * about 50x the rounding error of potentials whose scale is the artificial cost (1 + max |cost|) * (n + m)).
   * Guards against pivoting on rounding noise; the final plan is optimal to within `tolerance` per unit of mass.
   */
  tolerance?: number;
}

const DIR_UP = 1; // node is the source of its tree arc (arc points to the parent)
const DIR_DOWN = -1; // node is the target of its tree arc

/**
 * Solve a balanced transportation problem exactly.
 * @param supply length n, non-negative.
 * @param demand length m, non-negative, same total as supply (checked to 1e-9 relative).
 * @param cost n x m row-major costs (finite).
 */
// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the pivot loop is one state machine over shared tree arrays (as POT's C++ network simplex); splitting it would pass a dozen arrays around
export function networkSimplex(
  supply: ArrayLike<number>,
  demand: ArrayLike<number>,
  cost: ArrayLike<number>,
  options: NetworkSimplexOptions = {},
): TransportPlan {
  const n = supply.length;
  const m = demand.length;
  const { totalS, maxCost } = checkTransportProblem(supply, demand, cost);
  const costs = cost instanceof Float64Array ? cost : Float64Array.from(cost as ArrayLike<number>);

  const nodeNum = n + m;
  const root = nodeNum;
  const arcNum = n * m;
  const artCost = (maxCost + 1) * nodeNum;
  const tol = options.tolerance ?? 1e-14 * (maxCost + 1) * nodeNum;
  const maxIterations = options.maxIterations ?? 1000 * nodeNum + 1_000_000;

  // Spanning tree, LEMON layout: parent, pred arc, pred direction, thread (preorder successor),
  // rev_thread, subtree size, last successor in preorder; flow on the pred arc; potentials.
  const parent = new Int32Array(nodeNum + 1);
  const pred = new Float64Array(nodeNum + 1); // arc ids can exceed 2^31 for big problems
  const predDir = new Int8Array(nodeNum + 1);
  const thread = new Int32Array(nodeNum + 1);
  const revThread = new Int32Array(nodeNum + 1);
  const succNum = new Int32Array(nodeNum + 1);
  const lastSucc = new Int32Array(nodeNum + 1);
  const flow = new Float64Array(nodeNum + 1);
  const pi = new Float64Array(nodeNum + 1);
  // Artificial arc of node u: u -> root when artUp[u], else root -> u.
  const artUp = new Uint8Array(nodeNum);

  const netSupply = (u: number) => (u < n ? supply[u] : -demand[u - n]);
  const arcSource = (e: number): number => {
    if (e < arcNum) return Math.floor(e / m);
    const u = e - arcNum;
    return artUp[u] ? u : root;
  };
  const arcTarget = (e: number): number => {
    if (e < arcNum) return n + (e % m);
    const u = e - arcNum;
    return artUp[u] ? root : u;
  };
  const arcCost = (e: number): number => {
    if (e < arcNum) return costs[e];
    return artUp[e - arcNum] ? 0 : artCost;
  };

  parent[root] = -1;
  pred[root] = -1;
  thread[root] = 0;
  revThread[0] = root;
  succNum[root] = nodeNum + 1;
  lastSucc[root] = root - 1;
  pi[root] = 0;
  for (let u = 0; u < nodeNum; u++) {
    parent[u] = root;
    pred[u] = arcNum + u;
    thread[u] = u + 1;
    revThread[u + 1] = u;
    succNum[u] = 1;
    lastSucc[u] = u;
    const s = netSupply(u);
    if (s >= 0) {
      artUp[u] = 1;
      predDir[u] = DIR_UP;
      pi[u] = 0;
      flow[u] = s;
    } else {
      artUp[u] = 0;
      predDir[u] = DIR_DOWN;
      pi[u] = artCost;
      flow[u] = -s;
    }
  }

  const blockSize = Math.max(10, Math.ceil(Math.sqrt(arcNum)));
  let nextArc = 0;
  let inArc = -1;
  let join = -1;
  let uIn = -1;
  let vIn = -1;
  let uOut = -1;
  let delta = 0;
  const dirtyRevs: number[] = [];

  /** Block search: scan blocks of arcs from where the last search stopped; take the most negative reduced cost of the first block holding one. */
  const findEnteringArc = (): boolean => {
    let min = -tol;
    let best = -1;
    let cnt = blockSize;
    let i = Math.floor(nextArc / m);
    let j = nextArc - i * m;
    let piI = pi[i];
    for (let k = 0; k < arcNum; k++) {
      const e = i * m + j;
      const c = costs[e] + piI - pi[n + j];
      if (c < min) {
        min = c;
        best = e;
      }
      if (++j === m) {
        j = 0;
        if (++i === n) i = 0;
        piI = pi[i];
      }
      if (--cnt === 0) {
        if (best >= 0) {
          nextArc = i * m + j;
          inArc = best;
          return true;
        }
        cnt = blockSize;
      }
    }
    if (best < 0) return false;
    nextArc = i * m + j;
    inArc = best;
    return true;
  };

  const findJoinNode = () => {
    let u = arcSource(inArc);
    let v = arcTarget(inArc);
    while (u !== v) {
      if (succNum[u] < succNum[v]) u = parent[u];
      else v = parent[v];
    }
    join = u;
  };

  /** Leaving arc on the cycle closed by the entering arc (first blocking arc in strongly feasible order). */
  const findLeavingArc = (): boolean => {
    // Entering arcs are always at their lower bound (flow 0): flow is pushed source -> target.
    const first = arcSource(inArc);
    const second = arcTarget(inArc);
    delta = Infinity;
    let result = 0;
    for (let u = first; u !== join; u = parent[u]) {
      const d = predDir[u] === DIR_UP ? flow[u] : Infinity;
      if (d < delta) {
        delta = d;
        uOut = u;
        result = 1;
      }
    }
    for (let u = second; u !== join; u = parent[u]) {
      const d = predDir[u] === DIR_DOWN ? flow[u] : Infinity;
      if (d <= delta) {
        delta = d;
        uOut = u;
        result = 2;
      }
    }
    if (result === 1) {
      uIn = first;
      vIn = second;
    } else {
      uIn = second;
      vIn = first;
    }
    return result !== 0;
  };

  const changeFlow = () => {
    if (delta > 0) {
      for (let u = arcSource(inArc); u !== join; u = parent[u]) flow[u] -= predDir[u] * delta;
      for (let u = arcTarget(inArc); u !== join; u = parent[u]) flow[u] += predDir[u] * delta;
    }
  };

  const updateTreeStructure = () => {
    const oldRevThread = revThread[uOut];
    const oldSuccNum = succNum[uOut];
    const oldLastSucc = lastSucc[uOut];
    const vOut = parent[uOut];
    const inSource = arcSource(inArc);

    if (uIn === uOut) {
      parent[uIn] = vIn;
      pred[uIn] = inArc;
      predDir[uIn] = uIn === inSource ? DIR_UP : DIR_DOWN;
      flow[uIn] = delta;
      if (thread[vIn] !== uOut) {
        let after = thread[oldLastSucc];
        thread[oldRevThread] = after;
        revThread[after] = oldRevThread;
        after = thread[vIn];
        thread[vIn] = uOut;
        revThread[uOut] = vIn;
        thread[oldLastSucc] = after;
        revThread[after] = oldLastSucc;
      }
    } else {
      const threadContinue = oldRevThread === vIn ? thread[oldLastSucc] : thread[vIn];
      let stem = uIn;
      let parStem = vIn;
      let last = lastSucc[uIn];
      let after = thread[last];
      thread[vIn] = uIn;
      dirtyRevs.length = 0;
      dirtyRevs.push(vIn);
      while (stem !== uOut) {
        const nextStem = parent[stem];
        thread[last] = nextStem;
        dirtyRevs.push(last);
        const before = revThread[stem];
        thread[before] = after;
        revThread[after] = before;
        parent[stem] = parStem;
        parStem = stem;
        stem = nextStem;
        last = lastSucc[stem] === lastSucc[parStem] ? revThread[parStem] : lastSucc[stem];
        after = thread[last];
      }
      parent[uOut] = parStem;
      thread[last] = threadContinue;
      revThread[threadContinue] = last;
      lastSucc[uOut] = last;
      if (oldRevThread !== vIn) {
        thread[oldRevThread] = after;
        revThread[after] = oldRevThread;
      }
      for (let k = 0; k < dirtyRevs.length; k++) {
        const u = dirtyRevs[k];
        revThread[thread[u]] = u;
      }
      let tmpSc = 0;
      const tmpLs = lastSucc[uOut];
      for (let u = uOut, p = parent[u]; u !== uIn; u = p, p = parent[u]) {
        pred[u] = pred[p];
        predDir[u] = -predDir[p];
        flow[u] = flow[p];
        tmpSc += succNum[u] - succNum[p];
        succNum[u] = tmpSc;
        lastSucc[p] = tmpLs;
      }
      pred[uIn] = inArc;
      predDir[uIn] = uIn === inSource ? DIR_UP : DIR_DOWN;
      flow[uIn] = delta;
      succNum[uIn] = oldSuccNum;
    }

    const upLimitOut = lastSucc[join] === vIn ? join : -1;
    const lastSuccOut = lastSucc[uOut];
    for (let u = vIn; u !== -1 && lastSucc[u] === vIn; u = parent[u]) lastSucc[u] = lastSuccOut;
    if (join !== oldRevThread && vIn !== oldRevThread) {
      for (let u = vOut; u !== upLimitOut && lastSucc[u] === oldLastSucc; u = parent[u]) lastSucc[u] = oldRevThread;
    } else if (lastSuccOut !== oldLastSucc) {
      for (let u = vOut; u !== upLimitOut && lastSucc[u] === oldLastSucc; u = parent[u]) lastSucc[u] = lastSuccOut;
    }
    for (let u = vIn; u !== join; u = parent[u]) succNum[u] += oldSuccNum;
    for (let u = vOut; u !== join; u = parent[u]) succNum[u] -= oldSuccNum;
  };

  const updatePotential = () => {
    const sigma = pi[vIn] - pi[uIn] - predDir[uIn] * arcCost(inArc);
    const end = thread[lastSucc[uIn]];
    for (let u = uIn; u !== end; u = thread[u]) pi[u] += sigma;
  };

  /** Potentials from scratch along the thread (preorder): tree arcs get reduced cost exactly 0. */
  const recomputePotentials = () => {
    pi[root] = 0;
    for (let u = thread[root]; u !== root; u = thread[u]) pi[u] = pi[parent[u]] - predDir[u] * arcCost(pred[u]);
  };

  let iterations = 0;
  const refreshEvery = 64;
  for (;;) {
    while (findEnteringArc()) {
      if (++iterations > maxIterations) {
        throw new Error(`network simplex: no optimum after ${maxIterations} pivots (n = ${n}, m = ${m})`);
      }
      findJoinNode();
      if (!findLeavingArc() || delta === Infinity) throw new Error('network simplex: unbounded problem');
      changeFlow();
      updateTreeStructure();
      updatePotential();
      if (iterations % refreshEvery === 0) recomputePotentials();
    }
    // Certify optimality with exact-from-tree potentials; resume pivoting if drift hid an improving arc.
    recomputePotentials();
    nextArc = 0;
    if (!findEnteringArc()) break;
  }

  return { ...planFromTree({ pred, flow, costs, nodeNum, arcNum, m, totalS }), iterations };
}
/** Checks the problem's shape, signs, balance and finiteness; returns the total supply and the largest |cost|. */
function checkTransportProblem(
  supply: ArrayLike<number>,
  demand: ArrayLike<number>,
  cost: ArrayLike<number>,
): { totalS: number; maxCost: number } {
  const n = supply.length;
  const m = demand.length;
  if (n === 0 || m === 0) throw new RangeError('transport problem needs at least one source and one sink');
  if (cost.length !== n * m)
    throw new RangeError(`cost matrix must have ${n}x${m} = ${n * m} entries, got ${cost.length}`);
  let totalS = 0;
  let totalD = 0;
  for (let i = 0; i < n; i++) {
    if (!(supply[i] >= 0)) throw new RangeError(`supply[${i}] = ${supply[i]} must be >= 0`);
    totalS += supply[i];
  }
  for (let j = 0; j < m; j++) {
    if (!(demand[j] >= 0)) throw new RangeError(`demand[${j}] = ${demand[j]} must be >= 0`);
    totalD += demand[j];
  }
  if (Math.abs(totalS - totalD) > 1e-9 * Math.max(totalS, totalD)) {
    throw new RangeError(`unbalanced transport problem: supply sums to ${totalS}, demand to ${totalD}`);
  }
  let maxCost = 0;
  for (let e = 0; e < n * m; e++) {
    const c = cost[e];
    if (!Number.isFinite(c)) throw new RangeError(`cost[${Math.floor(e / m)}, ${e % m}] = ${c} is not finite`);
    if (Math.abs(c) > maxCost) maxCost = Math.abs(c);
  }
  return { totalS, maxCost };
}

/**
 * The transport plan on the optimal spanning tree: the flow on each node's tree arc that is a real arc (i, j).
 * Feasibility: artificial arcs must carry no flow (the problem is balanced, so this holds at the optimum).
 */
function planFromTree(t: {
  pred: Float64Array;
  flow: Float64Array;
  costs: Float64Array;
  nodeNum: number;
  arcNum: number;
  m: number;
  totalS: number;
}): Omit<TransportPlan, 'iterations'> {
  const { pred, flow, costs, nodeNum, arcNum, m, totalS } = t;
  const rows: number[] = [];
  const cols: number[] = [];
  const mass: number[] = [];
  let total = 0;
  for (let u = 0; u < nodeNum; u++) {
    const e = pred[u];
    if (e >= arcNum) {
      if (flow[u] > 1e-9 * totalS)
        throw new Error(`network simplex: infeasible (artificial flow ${flow[u]} at node ${u})`);
      continue;
    }
    if (flow[u] > 0) {
      const i = Math.floor(e / m);
      const j = e - i * m;
      rows.push(i);
      cols.push(j);
      mass.push(flow[u]);
      total += flow[u] * costs[e];
    }
  }
  return {
    rows: Int32Array.from(rows),
    cols: Int32Array.from(cols),
    mass: Float64Array.from(mass),
    cost: total,
  };
}

/**
 * Exact optimal transport between uniform marginals 1/n (rows) and 1/m (columns), like
 * `ot.emd(ones(n)/n, ones(m)/m, cost)`. Solved with integer supplies m per row and demands n per column,
 * so flows are exact; masses are then divided by n*m (each row of the plan sums to 1/n, each column to 1/m).
 */
export function emdUniform(
  cost: ArrayLike<number>,
  n: number,
  m: number,
  options?: NetworkSimplexOptions,
): TransportPlan {
  const plan = networkSimplex(new Float64Array(n).fill(m), new Float64Array(m).fill(n), cost, options);
  const scale = 1 / (n * m);
  let total = 0;
  for (let k = 0; k < plan.mass.length; k++) {
    plan.mass[k] *= scale;
    total += plan.mass[k] * cost[plan.rows[k] * m + plan.cols[k]];
  }
  return { ...plan, cost: total };
}

/** Dense n x m copy of a sparse plan (row-major). */
export function planToDense(plan: TransportPlan, n: number, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let k = 0; k < plan.mass.length; k++) out[plan.rows[k] * m + plan.cols[k]] += plan.mass[k];
  return out;
}
