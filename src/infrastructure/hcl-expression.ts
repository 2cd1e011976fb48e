// Terraform's JSON syntax holds expressions inside strings ("${aws_vpc.x.id}",
// "arn:${data.aws_partition.p.partition}:..."); HCL writes them as
// expressions. These helpers turn one JSON-syntax string into the HCL
// expression Terraform evaluates to the same value.

type Part = { readonly literal: string } | { readonly expression: string };

/**
 * Index just past the `}` that closes the `{` at `open`, or -1 when it is never
 * closed. A quoted string inside (split(":", ...) in an expression, a string
 * value in a block) may hold braces of its own and is skipped.
 */
export function closingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i >= 0 && i < text.length; i += 1) {
    const ch = text[i];
    if (ch === '"') {
      for (i += 1; i < text.length && text[i] !== '"'; i += 1) if (text[i] === '\\') i += 1;
    } else if (ch === '{') depth += 1;
    else if (ch === '}' && --depth === 0) return i + 1;
  }
  return -1;
}

/** Index just past the `}` closing the interpolation opened at `start` (which points at `${`). */
function interpolationEnd(text: string, start: number): number {
  const end = closingBrace(text, start + 1);
  if (end < 0) throw new Error(`unterminated interpolation in ${JSON.stringify(text)}`);
  return end;
}

/** Literal text and `${...}` interpolations, in order. `$${` stays literal, as in both syntaxes. */
export function splitTemplate(text: string): Part[] {
  const parts: Part[] = [];
  let literal = '';
  for (let i = 0; i < text.length;) {
    if (text.startsWith('$${', i)) {
      literal += '$${';
      i += 3;
    } else if (text.startsWith('${', i)) {
      if (literal) parts.push({ literal });
      literal = '';
      const end = interpolationEnd(text, i);
      parts.push({ expression: text.slice(i + 2, end - 1).trim() });
      i = end;
    } else {
      literal += text[i];
      i += 1;
    }
  }
  if (literal) parts.push({ literal });
  return parts;
}

export function hasInterpolation(text: string): boolean {
  return splitTemplate(text).some((part) => 'expression' in part);
}

function escapeLiteral(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
}

/** `"${x}"` becomes `x` (Terraform returns an interpolation-only template's value unchanged); anything else a quoted template. */
export function templateExpression(text: string): string {
  const parts = splitTemplate(text);
  if (parts.length === 1 && 'expression' in parts[0]) return parts[0].expression;
  return `"${parts.map((part) => ('expression' in part ? `\${${part.expression}}` : escapeLiteral(part.literal))).join('')}"`;
}

const PLACEHOLDER = /@@INTERPOLATION(\d+)@@/g;

/**
 * Parses a JSON document held in a JSON-syntax string whose values may
 * contain interpolations: each `${...}` becomes a placeholder for the parse
 * and is put back in the values. Undefined when the text is not a JSON object.
 */
export function parseTemplatedJson(text: string): unknown {
  if (!text.trimStart().startsWith('{')) return undefined;
  const expressions: string[] = [];
  const masked = splitTemplate(text).map((part) => {
    if ('literal' in part) return part.literal;
    expressions.push(part.expression);
    return `@@INTERPOLATION${expressions.length - 1}@@`;
  }).join('');
  let parsed: unknown;
  try {
    parsed = JSON.parse(masked);
  } catch {
    return undefined;
  }
  const restore = (value: unknown): unknown => {
    if (typeof value === 'string') return value.replace(PLACEHOLDER, (_m, n: string) => `\${${expressions[Number(n)]}}`);
    if (Array.isArray(value)) return value.map(restore);
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, restore(v)]));
    return value;
  };
  return restore(parsed);
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** An HCL expression for a JSON value whose strings are templates. */
export function hclValue(value: unknown, indent = ''): string {
  const inner = `${indent}  `;
  if (typeof value === 'string') return templateExpression(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => `${inner}${hclValue(v, inner)},`).join('\n')}\n${indent}]`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return '{}';
    const key = (k: string): string => (IDENTIFIER.test(k) ? k : JSON.stringify(k));
    return `{\n${entries.map(([k, v]) => `${inner}${key(k)} = ${hclValue(v, inner)}`).join('\n')}\n${indent}}`;
  }
  return String(value);
}

/** A policy document as `jsonencode({...})`: readable, and its references are expressions. */
export function jsonencodeExpression(text: string, indent = ''): string | undefined {
  const document = parseTemplatedJson(text);
  return document === undefined ? undefined : `jsonencode(${hclValue(document, indent)})`;
}
