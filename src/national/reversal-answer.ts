/** What a 2601 冲正 answers in its `yibao` block (the spec gives 2601 no output). */

/** The ledger's outcome, as the model sees it (src/ledger/national-reversals.ts ReversalOutcome). */
export type ReversalDone =
  | { kind: 'settlement-reversed'; oinfno: string; omsgid: string; setlId: string; reversalId: string; firstMsgid: string; created: boolean }
  | { kind: 'admission-cancelled'; oinfno: string; omsgid: string; mdtrtId: string; firstMsgid: string; created: boolean }
  | { kind: 'registered-before-original'; oinfno: string; omsgid: string; firstMsgid: string; created: boolean };

/** The `yibao` block: what was done, in Chinese first, and the ids. */
export function nationalReversalEnvelope(o: ReversalDone): Record<string, unknown> {
  const common = { oinfno: o.oinfno, omsgid: o.omsgid, firstMsgid: o.firstMsgid, replayed: !o.created };
  switch (o.kind) {
    case 'settlement-reversed':
      return { done: 'reversed', memo: `已冲正：结算 ${o.setlId} 由 ${o.reversalId} 撤销`, setlId: o.setlId, reversalId: o.reversalId, ...common };
    case 'admission-cancelled':
      return { done: 'cancelled', memo: `已冲正：入院办理 ${o.mdtrtId} 已撤销`, mdtrtId: o.mdtrtId, ...common };
    case 'registered-before-original':
      return { done: 'registered', memo: `已登记冲正：原交易 ${o.oinfno} ${o.omsgid} 尚未到达，到达时将被拒绝`, ...common };
  }
}
