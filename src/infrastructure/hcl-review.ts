// The HCL rendering of a stack, for people reviewing a change and for teams
// leaving CDKTF: CDKTF renders it (the same code path as `cdktf synth --hcl`),
// this module repairs what that renderer gets wrong, and @cdktf/hcl-tools (the
// CLI's own formatter, `terraform fmt` compiled to WebAssembly) lays it out.
// `npm run plan` runs `terraform validate` and `terraform plan` on the result,
// so it is Terraform, not a picture of it. It is written to cdktf.out/review/,
// never beside the JSON Terraform loads.
//
// What CDKTF 0.21's renderer gets wrong, and the repair:
// - a string holding both a reference and quotes (every IAM policy built from
//   references) is written unescaped, and the formatter then tears it apart;
//   policies become `jsonencode({...})` with references as expressions, other
//   such strings a properly escaped template;
// - `depends_on` and `ignore_changes` entries are quoted strings; they
//   become references and attribute names (quoted ones are deprecated);
// - the `terraform` block renders any setting besides required_providers and
//   the backend as `0 = "required_version"`; it is rendered here from the
//   stack's JSON instead.
import { format } from '@cdktf/hcl-tools';
import type { TerraformStack } from './cdk';
import { closingBrace, hasInterpolation, hclValue, jsonencodeExpression, templateExpression } from './hcl-expression';
import { POLICY_ATTRIBUTES } from './policy';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;


const IDENTIFIER = /^[A-Za-z0-9_-]+$/;

interface Rewrites {
  /** `<key> = "<as cdktf wrote the value>"` → the expression to write instead. */
  readonly attributes: Map<string, string>;
  /** A list item written as `"<value>"` → its expression. */
  readonly items: Map<string, string>;
}

/** How CDKTF writes a string: verbatim when it holds `${`, otherwise with its quotes escaped. */
function asCdktfWrites(value: string): string {
  return value.includes('${') ? value : value.replace(/(?<!\\)"/g, '\\"');
}

function renderedKey(key: string): string {
  return /(^\d)|[^A-Za-z0-9_-]/.test(key) ? `"${key}"` : key;
}

/** Every string of the configuration that CDKTF renders wrongly or that reads better as an expression. */
function collectRewrites(tf: Json): Rewrites {
  const rewrites: Rewrites = { attributes: new Map(), items: new Map() };
  const visit = (value: Json, key: string | undefined): void => {
    if (typeof value === 'string') {
      const policy = key !== undefined && (POLICY_ATTRIBUTES as readonly string[]).includes(key) ? jsonencodeExpression(value) : undefined;
      if (policy === undefined && !hasInterpolation(value)) return;
      const expression = policy ?? templateExpression(value);
      if (key === undefined) rewrites.items.set(value, expression);
      else rewrites.attributes.set(`${renderedKey(key)} = "${asCdktfWrites(value)}"`, expression);
    } else if (Array.isArray(value)) {
      for (const item of value) visit(item, typeof item === 'string' ? undefined : key);
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) if (k !== '//' && k !== 'depends_on') visit(v, k);
    }
  };
  for (const section of ['provider', 'data', 'resource', 'output', 'locals', 'module']) visit(tf[section], undefined);
  return rewrites;
}

function rewriteLines(hcl: string, rewrites: Rewrites): string {
  const out: string[] = [];
  let inDependsOn = false;
  for (const line of hcl.split('\n')) {
    const trimmed = line.trim();
    const indent = line.slice(0, line.length - line.trimStart().length);
    if (inDependsOn) {
      if (trimmed.startsWith(']')) inDependsOn = false;
      // Terraform wants references and attribute names here; quoted ones are deprecated in HCL.
      const address = /^"([^"]+)"(,?)$/.exec(trimmed);
      out.push(address ? `${indent}${address[1]}${address[2]}` : line);
      continue;
    }
    if (/^(depends_on|ignore_changes)\s*=\s*\[$/.test(trimmed)) inDependsOn = true;
    const attribute = /^(\S+) = "(.*)"$/.exec(trimmed);
    const attributeExpression = attribute ? rewrites.attributes.get(trimmed) : undefined;
    if (attribute && attributeExpression !== undefined) {
      out.push(`${indent}${attribute[1]} = ${attributeExpression}`);
      continue;
    }
    const item = /^"(.*)"(,?)$/.exec(trimmed);
    const itemExpression = item ? rewrites.items.get(item[1]) : undefined;
    out.push(item && itemExpression !== undefined ? `${indent}${itemExpression}${item[2]}` : line);
  }
  return out.join('\n');
}

/** The end (exclusive) of the block that opens with the first `{` at or after `start`. */
function blockEnd(text: string, start: number): number {
  const end = closingBrace(text, text.indexOf('{', start));
  if (end < 0) throw new Error('unbalanced terraform block in the rendered HCL');
  return end;
}

function renderSettings(settings: Record<string, Json>): string {
  return Object.entries(settings).map(([k, v]) => `  ${k} = ${hclValue(v, '  ')}`).join('\n');
}

/** The `terraform` block: required_version, required_providers and the backend, from the stack's JSON. */
function renderTerraformBlock(terraform: Json): string {
  const { required_providers: providers = {}, backend = {}, ...rest } = terraform ?? {};
  const lines = ['terraform {'];
  for (const [name, value] of Object.entries(rest)) lines.push(`  ${name} = ${hclValue(value, '  ')}`);
  lines.push('  required_providers {');
  for (const [name, requirement] of Object.entries(providers)) {
    if (!IDENTIFIER.test(name)) throw new Error(`provider local name "${name}" cannot be written in HCL`);
    lines.push(`    ${name} = ${hclValue(requirement, '    ')}`);
  }
  lines.push('  }');
  for (const [type, settings] of Object.entries(backend as Record<string, Record<string, Json>>)) {
    lines.push(`  backend "${type}" {`, renderSettings(settings).replace(/^/gm, '  '), '  }');
  }
  lines.push('}');
  return lines.join('\n');
}

export async function renderReviewHcl(stack: TerraformStack): Promise<string> {
  const tf = stack.toTerraform();
  const rendered = stack.toHclTerraform().hcl;
  const terraformStart = rendered.indexOf('terraform {');
  if (terraformStart !== 0) throw new Error('the rendered HCL does not start with its terraform block');
  const body = rendered.slice(blockEnd(rendered, terraformStart));
  return format(`${renderTerraformBlock(tf.terraform)}\n${rewriteLines(body, collectRewrites(tf))}\n`);
}
