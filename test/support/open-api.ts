// Expectations shared by the OPEN API's tests.
import { expect } from "vitest";

/** The OPEN API's failure answer: result false, the code, and a message containing `msg`. */
export function expectFailure(answer: unknown, code: string, msg: string): void {
  expect(answer).toEqual({ result: false, code, msg: expect.stringContaining(msg) });
}
