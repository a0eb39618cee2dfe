/**
 * The policies in force: which packs govern a region on a date.
 *
 * A region's own packs come first (newest first), then its parent region's (the province's), so
 * a city document's rules win and a provincial rule (such as Henan's payment periods) applies
 * wherever the city's document is silent. Each region's history is cut into segments in which
 * neither the packs in force nor any of their parameter values change; the engine compiles each
 * segment once.
 */
import { formatDate, type DayNumber } from '../calendar/calendar.js';
import type { Param, PolicyPack } from './model.js';

export interface Segment {
  from: DayNumber;
  /** Last day, inclusive; null = open-ended. */
  to: DayNumber | null;
  /** Packs in force, most specific first. Empty when nothing is in force. */
  chain: PolicyPack[];
}

export interface RegionInfo {
  code: string;
  name: string;
  aliases: string[];
  parent?: string;
}

const inForce = (pack: PolicyPack, day: DayNumber) => pack.effective.from <= day && (pack.effective.to === null || day <= pack.effective.to);

/** Every parameter of a pack (for collecting the dates its values change). */
function allParams(pack: PolicyPack): Iterable<Param> {
  return pack.params.values();
}

export class PolicySet {
  readonly packs: readonly PolicyPack[];
  private readonly regions = new Map<string, RegionInfo>();
  private readonly aliases = new Map<string, string>();
  private readonly timelines = new Map<string, Segment[]>();

  constructor(packs: readonly PolicyPack[]) {
    this.packs = packs;
    for (const p of packs) {
      const known = this.regions.get(p.region.code);
      const aliases = [...new Set([...(known?.aliases ?? []), ...p.region.aliases])];
      const info: RegionInfo = { code: p.region.code, name: p.region.name, aliases };
      const parent = p.region.parent ?? known?.parent;
      if (parent) info.parent = parent;
      this.regions.set(p.region.code, info);
      this.aliases.set(p.region.code, p.region.code);
      for (const a of p.region.aliases) this.aliases.set(a.toLowerCase(), p.region.code);
    }
  }

  /** The admdvs code for a code or an alias (`luoyang`, `洛阳`), or undefined. */
  regionCode(key: string): string | undefined {
    return this.aliases.get(key.trim().toLowerCase());
  }

  region(code: string): RegionInfo | undefined {
    return this.regions.get(code);
  }

  allRegions(): RegionInfo[] {
    return [...this.regions.values()].sort((a, b) => a.code.localeCompare(b.code));
  }

  /** The region and its ancestors, most specific first. */
  lineage(code: string): string[] {
    const out: string[] = [];
    let c: string | undefined = code;
    while (c && !out.includes(c)) {
      out.push(c);
      c = this.regions.get(c)?.parent;
    }
    return out;
  }

  /** Packs in force in a region on a day, most specific first. */
  chain(code: string, day: DayNumber): PolicyPack[] {
    const out: PolicyPack[] = [];
    for (const c of this.lineage(code)) {
      const own = this.packs.filter((p) => p.region.code === c && inForce(p, day)).sort((a, b) => b.effective.from - a.effective.from);
      out.push(...own);
    }
    return out;
  }

  /** The region's history as segments of constant policy, in date order. */
  timeline(code: string): Segment[] {
    const cached = this.timelines.get(code);
    if (cached) return cached;
    const lineage = this.lineage(code);
    const relevant = this.packs.filter((p) => lineage.includes(p.region.code));
    const cuts = new Set<number>();
    for (const p of relevant) {
      cuts.add(p.effective.from);
      if (p.effective.to !== null) cuts.add(p.effective.to + 1);
      for (const param of allParams(p)) {
        for (const v of param.versions) {
          cuts.add(v.from);
          if (v.to !== null) cuts.add(v.to + 1);
        }
      }
    }
    const starts = [...cuts].sort((a, b) => a - b);
    const segments: Segment[] = [];
    starts.forEach((from, i) => {
      const next = starts[i + 1];
      segments.push({ from, to: next === undefined ? null : next - 1, chain: this.chain(code, from) });
    });
    this.timelines.set(code, segments);
    return segments;
  }

  /** Describes what is in force, for messages. */
  describeInForce(code: string, day: DayNumber): string {
    const chain = this.chain(code, day);
    const region = this.regions.get(code);
    const where = `${region?.name ?? code} (${code})`;
    if (chain.length === 0) return `no policy is in force in ${where} on ${formatDate(day)}`;
    return `in force in ${where} on ${formatDate(day)}: ${chain.map((p) => p.document.number).join(', ')}`;
  }
}
