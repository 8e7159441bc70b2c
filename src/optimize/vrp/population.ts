/**
 * HGS population management (Vidal et al. 2012): feasible and infeasible subpopulations, each
 * ranked by biased fitness — cost rank plus diversity rank, the latter the average broken-pairs
 * distance to the closest members — and trimmed back to `mu` when it reaches `mu + lambda`,
 * removing clones first.
 */
import { brokenPairsDistance, type Individual } from './individual.ts';
import type { Random } from './random.ts';

export interface PopulationParams {
  mu: number;
  lambda: number;
  eliteCount: number;
  closeCount: number;
}

export class Subpopulation {
  /** Members sorted by penalised cost, ascending. */
  readonly members: Individual[] = [];

  constructor(private readonly params: PopulationParams) {}

  add(ind: Individual): void {
    for (const other of this.members) {
      const distance = brokenPairsDistance(ind, other);
      insertSorted(ind.proximity, { distance, other });
      insertSorted(other.proximity, { distance, other: ind });
    }
    let place = this.members.length;
    while (place > 0 && this.members[place - 1].penalizedCost > ind.penalizedCost - 1e-6) place--;
    this.members.splice(place, 0, ind);
    if (this.members.length > this.params.mu + this.params.lambda) {
      while (this.members.length > this.params.mu) this.removeWorst();
    }
  }

  /** Ranks members by cost and diversity contribution. */
  updateBiasedFitness(): void {
    const m = this.members;
    if (m.length === 1) {
      m[0].biasedFitness = 0;
      return;
    }
    const ranking = m.map((ind, costRank) => ({ diversity: -ind.averageClosest(this.params.closeCount), costRank }));
    ranking.sort((a, b) => a.diversity - b.diversity || a.costRank - b.costRank);
    const eliteWeight = 1 - this.params.eliteCount / m.length;
    for (let i = 0; i < ranking.length; i++) {
      const diversityRank = i / (m.length - 1);
      const costRank = ranking[i].costRank / (m.length - 1);
      m[ranking[i].costRank].biasedFitness = m.length <= this.params.eliteCount ? costRank : costRank + eliteWeight * diversityRank;
    }
  }

  /** Re-sorts after penalised costs changed (infeasible members when the penalty moves). */
  resort(): void {
    this.members.sort((a, b) => a.penalizedCost - b.penalizedCost);
  }

  clear(): void {
    this.members.length = 0;
  }

  private removeWorst(): void {
    this.updateBiasedFitness();
    let worst = -1;
    let worstIsClone = false;
    let worstFitness = -1;
    // The best member (index 0) is never removed.
    for (let i = 1; i < this.members.length; i++) {
      const ind = this.members[i];
      const isClone = ind.proximity.length > 0 && ind.proximity[0].distance < 1e-9;
      if ((isClone && !worstIsClone) || (isClone === worstIsClone && ind.biasedFitness > worstFitness)) {
        worst = i;
        worstIsClone = isClone;
        worstFitness = ind.biasedFitness;
      }
    }
    const [removed] = this.members.splice(worst, 1);
    for (const other of this.members) {
      const k = other.proximity.findIndex((p) => p.other === removed);
      if (k >= 0) other.proximity.splice(k, 1);
    }
    removed.proximity = [];
  }
}

function insertSorted(list: { distance: number; other: Individual }[], item: { distance: number; other: Individual }): void {
  let place = list.length;
  while (place > 0 && list[place - 1].distance > item.distance) place--;
  list.splice(place, 0, item);
}

/** Binary tournament on biased fitness over both subpopulations together. */
export function binaryTournament(feasible: Subpopulation, infeasible: Subpopulation, random: Random): Individual {
  const f = feasible.members;
  const i = infeasible.members;
  const total = f.length + i.length;
  const pick = () => {
    const k = random.int(total);
    return k < f.length ? f[k] : i[k - f.length];
  };
  const a = pick();
  const b = pick();
  return a.biasedFitness < b.biasedFitness ? a : b;
}
