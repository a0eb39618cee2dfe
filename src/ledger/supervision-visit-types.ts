/**
 * A settlement's visit type (就诊类型) without a look-up per row: the type is its visit's (visits,
 * keyed by institution and visit id), but the benefit the engine chose for the settlement is
 * chosen by scheme and visit type (segment.benefits, by benefitSlot), and most benefits serve one
 * visit type only. A benefit id that every policy loaded uses for one visit type is mapped to it
 * in SQL; any other (shared by types, or not in the policies loaded now) is looked up in visits.
 * Reading 10,000,000 settlements, the look-up per row would cost more than all the rest.
 */
import { VISIT_TYPES } from '../domain.js';
import { CompiledRegion } from '../engine/compile.js';
import type { PolicySet } from '../policy/registry.js';

/** Each benefit id the policies use for exactly one visit type, with that type's index (VISIT_TYPES). */
export function benefitVisitTypes(policies: PolicySet): Map<string, number> {
  const types = new Map<string, Set<number>>();
  for (const region of policies.allRegions()) {
    for (const segment of new CompiledRegion(policies, region.code).segments) {
      segment.benefits.forEach((b, slot) => {
        if (!b) return;
        let set = types.get(b.benefitId);
        if (!set) types.set(b.benefitId, (set = new Set()));
        set.add(slot % VISIT_TYPES.length);
      });
    }
  }
  const out = new Map<string, number>();
  for (const [id, set] of types) if (set.size === 1) out.set(id, [...set][0] as number);
  return out;
}

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** The visit type's index of `s.type`-like text as SQL: 255 when not a visit type. */
const typeIndexSql = (column: string) => `case ${column} ${VISIT_TYPES.map((t, i) => `when ${quote(t)} then ${i}`).join(' ')} else 255 end`;

/**
 * The SQL expression of settlement `s`'s visit type index (VISIT_TYPES; 255 when unknown): by its
 * benefit where that says, else from its visit.
 */
export function visitTypeSql(byBenefit: ReadonlyMap<string, number>): string {
  const lookup = `(select ${typeIndexSql('v.type')} from visits v where v.person_id = s.person_id and v.institution_id = s.institution_id and v.id = s.visit_id)`;
  if (byBenefit.size === 0) return `coalesce(${lookup}, 255)`;
  const whens = [...byBenefit].map(([id, i]) => `when ${quote(id)} then ${i}`).join(' ');
  return `case s.benefit ${whens} else coalesce(${lookup}, 255) end`;
}
