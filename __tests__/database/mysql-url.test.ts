// mysqlUrl(): the test servers' URLs parse back to the parts they were built from.
import { mysqlUrl } from '../../src/testing/mysql-url';

describe('mysqlUrl', () => {
  it('percent-encodes user, password and database, so a password with @ : / % # survives a round trip through URL', () => {
    const parts = { user: 'fn@user', password: 'p@ss:w/rd%41#?', host: '127.0.0.1', port: 33061, database: 'app db' };

    const url = new URL(mysqlUrl(parts));

    expect({
      user: decodeURIComponent(url.username), password: decodeURIComponent(url.password), host: url.hostname,
      port: Number(url.port), database: decodeURIComponent(url.pathname.slice(1)),
    }).toEqual(parts);
  });

  it('brackets an IPv6 host', () => {
    expect(new URL(mysqlUrl({ user: 'u', password: 'p', host: '::1', port: 3306, database: 'app' })).hostname).toBe('[::1]');
  });
});
