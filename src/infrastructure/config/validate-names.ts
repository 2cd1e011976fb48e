// namePrefix is the start of every name the stack gives a resource, and each
// service has its own naming rules. A prefix that breaks one (RDS refuses `--`
// in a proxy name, IAM a role name over 64 characters) would otherwise pass
// synth and plan and fail half way through an apply. Each rule below is the
// service's rule for the full name the stack builds, so the message can name
// the resource that would refuse it.

/** The suffixes the stack appends to namePrefix; constructs import these, so the rules check the real names. */
export const NameSuffix = {
  functionRole: '-function',
  proxyRole: '-proxy',
  monitoringRole: '-rds-monitoring',
  flowLogsRole: '-flow-logs',
  layer: '-graceful-shutdown',
  securityGroup: '-database',
  /** Followed by the instance's creation time, YYYYMMDDhhmmss (database.ts). */
  finalSnapshot: '-final-',
  parameterGroup: '-mysql',
  /** Managed Instances: the role Lambda assumes to run the capacity provider's instances. */
  capacityOperatorRole: '-capacity-operator',
  /** The Secrets Manager secret RDS Proxy reads the function user's password from. */
  functionUserSecret: '-function-user',
} as const;

interface NameRule {
  /** What a platform engineer would look for in the console. */
  resource: string;
  name: (prefix: string) => string;
  maxLength: number;
  /** Characters allowed, and a description for the message. */
  charset: RegExp;
  charsetText: string;
  /** RDS identifiers: first character a letter, no `--`, no trailing hyphen. */
  rdsIdentifier: boolean;
}

// RDS identifiers are stored in lower case: an upper-case letter would show as
// a change on every plan, so the prefix itself is lower case (checked first).
const RDS_CHARS = { charset: /^[a-z0-9-]+$/, charsetText: 'lowercase letters, digits and hyphens', rdsIdentifier: true };

export const NAME_RULES: readonly NameRule[] = [
  { resource: 'RDS DB instance identifier', name: (p) => p, maxLength: 63, ...RDS_CHARS },
  { resource: 'RDS Proxy name', name: (p) => p, maxLength: 63, ...RDS_CHARS },
  { resource: 'RDS parameter group name', name: (p) => `${p}${NameSuffix.parameterGroup}8-4`, maxLength: 255, ...RDS_CHARS },
  { resource: 'RDS final snapshot identifier', name: (p) => `${p}${NameSuffix.finalSnapshot}20260101000000`, maxLength: 255, ...RDS_CHARS },
  { resource: 'RDS DB subnet group name', name: (p) => p, maxLength: 255, charset: /^[a-z0-9 ._-]+$/, charsetText: 'lowercase letters, digits, spaces, ., _ and -', rdsIdentifier: false },
  ...(['functionRole', 'proxyRole', 'monitoringRole', 'flowLogsRole', 'capacityOperatorRole'] as const).map((key) => ({
    resource: `IAM role name (${key})`, name: (p: string) => `${p}${NameSuffix[key]}`, maxLength: 64,
    charset: /^[\w+=,.@-]+$/, charsetText: 'letters, digits and +=,.@_-', rdsIdentifier: false,
  })),
  { resource: 'Lambda function name', name: (p) => p, maxLength: 64, charset: /^[a-zA-Z0-9_-]+$/, charsetText: 'letters, digits, - and _', rdsIdentifier: false },
  { resource: 'Lambda layer name', name: (p) => `${p}${NameSuffix.layer}`, maxLength: 140, charset: /^[a-zA-Z0-9_-]+$/, charsetText: 'letters, digits, - and _', rdsIdentifier: false },
  { resource: 'security group name', name: (p) => `${p}${NameSuffix.securityGroup}`, maxLength: 255, charset: /^[\x20-\x7e]+$/, charsetText: 'printable ASCII', rdsIdentifier: false },
  { resource: 'CloudWatch log group name', name: (p) => `/aws/rds/instance/${p}/slowquery`, maxLength: 512, charset: /^[\w./#-]+$/, charsetText: 'letters, digits and _-./#', rdsIdentifier: false },
];

/** Every rule namePrefix breaks, as a message naming the resource; empty when it fits all of them. */
export function namePrefixProblems(prefix: string): string[] {
  if (typeof prefix !== 'string' || !/^[a-z][a-z0-9-]*$/.test(prefix)) {
    return [`must start with a lowercase letter and hold only lowercase letters, digits and hyphens, got ${JSON.stringify(prefix)}`];
  }
  const problems: string[] = [];
  for (const rule of NAME_RULES) {
    const name = rule.name(prefix);
    const broken: string[] = [];
    if (name.length > rule.maxLength) broken.push(`is ${name.length} characters, at most ${rule.maxLength} allowed`);
    if (!rule.charset.test(name)) broken.push(`may hold only ${rule.charsetText}`);
    if (rule.rdsIdentifier && name.includes('--')) broken.push('must not contain two consecutive hyphens');
    if (rule.rdsIdentifier && name.endsWith('-')) broken.push('must not end with a hyphen');
    if (broken.length > 0) problems.push(`gives the ${rule.resource} ${JSON.stringify(name)}, which ${broken.join(' and ')}`);
  }
  return problems;
}
