// The document's identity on a span: a sha256 of the printed (normalised) document, so operations can be
// grouped and compared without the query text, which may carry literals with personal data.
import { createHash } from 'node:crypto';
import { print, type DocumentNode } from 'graphql';

/** Longest `graphql.document` attribute, in characters. */
export const MAX_DOCUMENT_LENGTH = 8192;

interface Printed {
  readonly text: string;
  hash: string | undefined;
}

// yoga's parse cache hands out the same DocumentNode for the same query text, so each distinct
// document is printed and hashed once, not per operation.
const cache = new WeakMap<DocumentNode, Printed>();

function printed(document: DocumentNode): Printed {
  let entry = cache.get(document);
  if (entry === undefined) {
    entry = { text: print(document), hash: undefined };
    cache.set(document, entry);
  }
  return entry;
}

/** Hex sha256 of `print(document)`: equal for documents that differ only in whitespace or comments. */
export function documentHash(document: DocumentNode): string {
  const entry = printed(document);
  entry.hash ??= createHash('sha256').update(entry.text).digest('hex');
  return entry.hash;
}

/** The printed document, cut to {@link MAX_DOCUMENT_LENGTH}. */
export function documentText(document: DocumentNode): string {
  const text = printed(document).text;
  return text.length > MAX_DOCUMENT_LENGTH ? `${text.slice(0, MAX_DOCUMENT_LENGTH)}…` : text;
}
