// The one place a `mysql://` URL is built for the test servers: user,
// password and database percent-encoded (a password may hold `@`, `:`, `/`,
// `%`), an IPv6 host in brackets, so the URL parses back to the same parts.
export interface MysqlUrlParts {
  readonly user: string;
  readonly password: string;
  readonly host: string;
  readonly port: number;
  readonly database: string;
}

export function mysqlUrl({ user, password, host, port, database }: MysqlUrlParts): string {
  const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `mysql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${hostPart}:${port}/${encodeURIComponent(database)}`;
}
