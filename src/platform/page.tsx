// What every page this server renders (the customer's stamp page, the store console) is made of:
// the document around it (doctype, language, a phone-width viewport, no search-engine indexing,
// its title and style sheet), the CSRF field of its forms, its headers. Pages are preact
// components rendered to HTML on the server; JSX escapes every value, so a page cannot carry a
// value's markup by mistake.
import type { ComponentChildren, VNode } from "preact";
import { render } from "preact-render-to-string";
import type { Language } from "./i18n.js";

interface DocumentProps {
  lang: Language;
  title: string;
  styleSheet: string;
  /** The body's content. */
  children: ComponentChildren;
}

export function Document(p: DocumentProps) {
  return (
    <html lang={p.lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>{p.title}</title>
        <link rel="stylesheet" href={p.styleSheet} />
      </head>
      <body>{p.children}</body>
    </html>
  );
}

/** The hidden CSRF field of a form (@fastify/csrf-protection reads `_csrf`). */
export const CsrfField = ({ csrf }: { csrf: string }) => <input type="hidden" name="_csrf" value={csrf} />;

/** A page's HTML: the doctype, then `page` (a Document). */
export const renderDocument = (page: VNode) => `<!doctype html>${render(page)}`;

/** Pages are made per request, in the browser's language, and may show what a cookie opens. */
export const HTML_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  vary: "Accept-Language, Cookie",
} as const;
