/** A member named by phone (E.164) or by member number. */
export type MemberRef = { phone: string } | { memberNo: number };

export interface Idempotency {
  key: string;
  /** Hash of the operation and its parameters. */
  fingerprint: string;
}
