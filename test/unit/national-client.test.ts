/**
 * NationalClient (src/client) against a small HTTP server that answers as told: the envelope it
 * sends (msgid layout, inf_time, sign_no kept after 9001), a refusal surfacing as NationalError
 * whatever the HTTP status (200 in the 'platform' status mode), an answer that is not an
 * envelope, and a timeout surfacing as NationalTimeoutError carrying the msgid for 2601.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { msgidGenerator, NationalClient, NationalError, NationalTimeoutError, nationalTimeOf } from '../../src/client/index.js';

type Json = any;
type Handler = (body: Json, req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let baseUrl: string;
let handler: Handler = () => undefined;
const seen: Json[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      const body = JSON.parse(text);
      seen.push({ url: req.url, auth: req.headers.authorization, body });
      handler(body, req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const send = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};
const ok = (output: unknown) => ({ infcode: 0, inf_refmsgid: 'r', refmsg_time: '1', respond_time: '2', err_msg: null, output });
const at = new Date('2024-03-02T02:00:00Z'); // 10:00 China time

describe('NationalClient', () => {
  it('lays msgids out as 定点医药机构编号 + yyyyMMddHHmmss (China time) + a 4-digit sequence', () => {
    const next = msgidGenerator('H41030200001', () => at);
    expect([next(), next()]).toEqual(['H4103020000120240302100000' + '0001', 'H4103020000120240302100000' + '0002']);
    expect(msgidGenerator('H1', () => at, 9999)()).toBe('H1202403021000009999');
    expect(nationalTimeOf(at)).toBe('2024-03-02 10:00:00');
  });

  it('sends the envelope, keeps the sign_no of 9001 and sends it until 9002', async () => {
    handler = (body, _req, res) =>
      send(res, 200, ok(body.infno === '9001' ? { signinoutb: { sign_time: '2024-03-02 10:00:00', sign_no: 'SN-1' } } : { signoutoutb: { sign_time: 'x' } }));
    const c = new NationalClient({ baseUrl: `${baseUrl}/`, apiKey: 'KEY', fixmedinsCode: 'H1', fixmedinsName: '模拟医院', insuplcAdmdvs: '410300', opter: 'op', now: () => at });
    seen.length = 0;
    const a = await c.signIn({ signIn: { opter_no: 'op', mac: 'm', ip: 'i' } });
    expect(a.output.signinoutb.sign_no).toBe('SN-1');
    expect(c.signNo).toBe('SN-1');
    await c.signOut({ signOut: { opter_no: 'op' } });
    expect(c.signNo).toBeUndefined();
    expect(seen[0]).toMatchObject({
      url: '/v1/national/9001',
      auth: 'Bearer KEY',
      body: {
        infno: '9001',
        msgid: 'H1202403021000000001',
        inf_time: '2024-03-02 10:00:00',
        fixmedins_code: 'H1',
        fixmedins_name: '模拟医院',
        insuplc_admdvs: '410300',
        opter_type: '1',
        opter: 'op',
      },
    });
    expect(seen[0].body.sign_no).toBeUndefined();
    expect(seen[1].body).toMatchObject({ infno: '9002', sign_no: 'SN-1', input: { signOut: { opter_no: 'op', sign_no: 'SN-1' } } });
  });

  it('throws NationalError on a refusal, whatever the HTTP status', async () => {
    const c = new NationalClient({ baseUrl, apiKey: 'k', fixmedinsCode: 'H1' });
    const refusal = {
      infcode: -1,
      inf_refmsgid: 'r',
      refmsg_time: '1',
      respond_time: '2',
      err_msg: 'NOT_FOUND: 无此结算',
      output: null,
      error: { code: 'NOT_FOUND', message: '无此结算' },
    };
    for (const status of [200, 404, 409]) {
      handler = (_b, _r, res) => send(res, status, refusal);
      const e = await c.settlementInfo({ data: { psn_no: 'P', setl_id: 'S', mdtrt_id: 'V' } }, { msgid: `M${status}` }).catch((x) => x);
      expect(e).toBeInstanceOf(NationalError);
      expect(e).toMatchObject({ code: 'NOT_FOUND', errMsg: 'NOT_FOUND: 无此结算', infno: '5203', msgid: `M${status}`, status, transport: false });
    }
    // Without yibao's error block, the code is read from err_msg, else NATIONAL_REFUSED.
    handler = (_b, _r, res) => send(res, 200, { ...refusal, error: undefined, err_msg: '人员未参保' });
    expect(await c.cumulative({ data: { psn_no: 'P' } }).catch((x) => x)).toMatchObject({ code: 'NATIONAL_REFUSED', errMsg: '人员未参保' });
  });

  it('tells an answer that is not an envelope (no such transaction) from a refusal', async () => {
    const c = new NationalClient({ baseUrl, apiKey: 'k', fixmedinsCode: 'H1' });
    handler = (_b, _r, res) => send(res, 404, { message: 'Route POST:/v1/national/2601 not found', error: 'Not Found', statusCode: 404 });
    const e = await c.correct({ data: { psn_no: 'P', omsgid: 'M', oinfno: '2207' } }).catch((x) => x);
    expect(e).toBeInstanceOf(NationalError);
    expect(e).toMatchObject({ code: 'NOT_FOUND', status: 404, transport: true });
    handler = (_b, _r, res) => send(res, 502, '<html>bad gateway</html>');
    expect(await c.correct({ data: { psn_no: 'P', omsgid: 'M', oinfno: '2207' } }).catch((x) => x)).toMatchObject({ code: 'HTTP_502', transport: true });
  });

  it('throws NationalTimeoutError carrying the msgid when no answer comes in time', async () => {
    const exchanges: Json[] = [];
    const c = new NationalClient({ baseUrl, apiKey: 'k', fixmedinsCode: 'H1', timeoutMs: 50, onExchange: (x) => exchanges.push(x) });
    handler = (_b, _r, res) => setTimeout(() => send(res, 200, ok({})), 400);
    const msgid = c.nextMsgid();
    const e = await c
      .settle(
        {
          data: {
            psn_no: 'P',
            mdtrt_cert_type: '02',
            mdtrt_cert_no: 'x',
            med_type: '11',
            medfee_sumamt: '1.00',
            psn_setlway: '01',
            mdtrt_id: 'V',
            acct_used_flag: '0',
            insutype: '390',
          },
        },
        { msgid },
      )
      .catch((x) => x);
    expect(e).toBeInstanceOf(NationalTimeoutError);
    expect(e).toMatchObject({ code: 'NATIONAL_TIMEOUT', infno: '2207', msgid, timeoutMs: 50 });
    expect(exchanges.at(-1)).toMatchObject({ infno: '2207', status: 0, response: undefined });
  });
});
