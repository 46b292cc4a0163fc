import { forwardedRequestStart, internalHeaders, REQUEST_START_HEADER } from './identity';

describe('the request start a trusted caller forwards', () => {
  const now = 1_800_000_000_000;

  it('is sent as t=<ms> and read back', () => {
    const headers = internalHeaders('secret', null, now - 250.7);
    expect(headers[REQUEST_START_HEADER]).toBe(`t=${now - 251}`);
    expect(forwardedRequestStart(headers, now)).toBe(now - 251);
    expect(internalHeaders('secret', null)).not.toHaveProperty(REQUEST_START_HEADER);
  });

  it('is now when absent, malformed or implausible; a start slightly ahead of this clock counts as now', () => {
    for (const value of [undefined, '', 't=', 'soon', `t=${now}.5`, `${now}`, `t=${now - 61_000}`, `t=${now + 1_001}`, 't=99999999999999999']) {
      expect(forwardedRequestStart({ [REQUEST_START_HEADER]: value }, now)).toBe(now);
    }
    expect(forwardedRequestStart({ [REQUEST_START_HEADER]: `t=${now + 500}` }, now)).toBe(now);
    expect(forwardedRequestStart({ [REQUEST_START_HEADER]: [`t=${now - 10}`, `t=${now - 20}`] }, now)).toBe(now - 10);
  });
});
