// Customer phone numbers: parsed and validated by libphonenumber, stored as E.164, and masked
// wherever they are shown in logs. Its `mobile` metadata holds the full rules of mobile numbers
// only: for this check it answers as the full (`max`) metadata does, at half the cost per call.
import { parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js/mobile";

/** Which customer phone numbers are taken. */
export interface PhonePolicy {
  /** The region of numbers without +country (PHONE_REGION). */
  region: CountryCode;
  /** Whether numbers of other regions are taken too (PHONE_FOREIGN). */
  foreign: boolean;
}

/**
 * What a written number may hold besides its digits: a leading +, and spaces, hyphens, dots and
 * parentheses (which are ignored). libphonenumber alone would drop a stray letter or read
 * `ext. 99` as an extension, and so take a mistyped number as another customer's.
 */
const WRITTEN_NUMBER = /^\s*\+?[\d\s.()-]+$/;

/** E.164 form of a mobile number that `policy` takes, or null when the input is not one. */
export function normalizeMobile(input: string, policy: PhonePolicy): string | null {
  if (!WRITTEN_NUMBER.test(input)) return null;
  const parsed = parsePhoneNumberFromString(input, policy.region);
  if (!parsed || (!policy.foreign && parsed.country !== policy.region)) return null;
  // A type is only found for a valid number (isValid() would work it out a second time).
  const type = parsed.getType();
  return type === "MOBILE" || type === "FIXED_LINE_OR_MOBILE" ? parsed.number : null;
}

/** `01012345678` -> `010****5678`: the first three and last four digits of what was given. */
export function maskPhone(value: string): string {
  const digits = value.replace(/\D/g, "");
  if (digits.length < 8) return "*".repeat(digits.length);
  return `${digits.slice(0, 3)}${"*".repeat(digits.length - 7)}${digits.slice(-4)}`;
}

/**
 * A stored (E.164) number as the shop writes it: `010-1234-5678` for a number of the region,
 * `+81 90 1234 5678` for another region's, so that it reads back as the same number.
 */
export function displayPhone(e164: string, policy: PhonePolicy): string {
  const parsed = parsePhoneNumberFromString(e164);
  if (!parsed) return e164;
  return parsed.country === policy.region ? parsed.formatNational() : parsed.formatInternational();
}

/**
 * A stored phone as the console and the report of what will expire show it: the shop's own format with all but the first 3 and the
 * last 4 digits hidden (`010-****-5678`); only exports show phones whole (migration.md).
 */
export function maskedPhone(e164: string, phones: PhonePolicy): string {
  const shown = displayPhone(e164, phones);
  const digits = shown.replace(/\D/g, "").length;
  let seen = 0;
  return shown.replace(/\d/g, (d) => (seen++ < 3 || seen > digits - 4 ? d : "*"));
}
