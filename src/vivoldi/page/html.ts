// An `html` tagged template: every interpolated value is escaped (escape-html) unless it is
// itself Html made by this template, so a page cannot carry a value's markup by mistake.
import escapeHtml from "escape-html";

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** What may go into a template: text (escaped), Html (as is), lists of those; nothing for null, undefined and false. */
export type Part = string | number | Html | null | undefined | false | Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return "";
  if (part instanceof Html) return part.text;
  if (Array.isArray(part)) return part.map(render).join("");
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...parts: Part[]): Html {
  return new Html(strings.reduce((out, s, i) => out + s + (i < parts.length ? render(parts[i]) : ""), ""));
}
