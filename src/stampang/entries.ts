// How a ledger entry of a member reads in the OPEN API's history, and wherever the same rows are
// shown again (the history export): one mapping, so the two never disagree.
import type { EntryKind } from "../generated/prisma/enums.js";

const CONTENT: Partial<Record<EntryKind, string>> = {
  save: "적립",
  use: "차감",
  transfer: "양도",
  reversal: "취소",
  import: "이관",
  expire: "소멸",
};

/** `type` 0 for what adds to the balance, 1 for what takes from it; `count` its size; `content` its kind in Korean. */
export function presentEntry(entry: { kind: EntryKind; delta: number }): { type: 0 | 1; count: number; content: string } {
  return { type: entry.delta > 0 ? 0 : 1, count: Math.abs(entry.delta), content: CONTENT[entry.kind] ?? entry.kind };
}
