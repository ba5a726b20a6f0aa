// Customer phone numbers: parsed and validated by libphonenumber, stored as E.164, and masked
// wherever they are shown in logs. Its `mobile` metadata holds the full rules of mobile numbers
// only: for this check it answers as the full (`max`) metadata does, at half the cost per call.
import { parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js/mobile";

/** E.164 form of a mobile number of `region` (or an explicit +country), or null when not one. */
export function normalizeMobile(input: string, region: CountryCode): string | null {
  const parsed = parsePhoneNumberFromString(input, region);
  // A type is only found for a valid number (isValid() would work it out a second time).
  const type = parsed?.getType();
  return type === "MOBILE" || type === "FIXED_LINE_OR_MOBILE" ? parsed!.number : null;
}

/** `01012345678` -> `010****5678`: the first three and last four digits of what was given. */
export function maskPhone(value: string): string {
  const digits = value.replace(/\D/g, "");
  if (digits.length < 8) return "*".repeat(digits.length);
  return `${digits.slice(0, 3)}${"*".repeat(digits.length - 7)}${digits.slice(-4)}`;
}
