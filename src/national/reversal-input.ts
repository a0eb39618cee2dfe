/**
 * 2601 冲正交易: the message (the Hunan edition of the national interface specification (V1.1.27),
 * 【2601】): input `data` { psn_no 人员编号, omsgid 原发送方报文ID, oinfno 原交易编号 }, a single row;
 * no output. The 2601's own msgid is required: it identifies the message (a retry is safe).
 */
import { z } from 'zod';
import { id, RequestError } from '../request/settle-request.js';
import { envelopeFields, parseNationalBody, text } from './input.js';

export const REVERSAL_INTERFACE_NAME = '冲正交易';

const reversalData = z.strictObject({
  psn_no: id,
  /** 原发送方报文ID: the original's msgid. */
  omsgid: z
    .string({ error: 'must be a string' })
    .min(1, 'must not be empty')
    .max(100, 'must be at most 100 characters')
    .regex(/^[A-Za-z0-9._:-]+$/, 'may contain letters, digits and . _ : - only'),
  /** 原交易编号. */
  oinfno: text(4).regex(/^\d{4}$/, 'must be a transaction number of 4 digits (2207, 2304, 2401)'),
  exp_content: z.unknown().optional(),
});

export const reversalBodySchema = z.strictObject({
  ...envelopeFields,
  input: z.strictObject({ data: reversalData }, { error: 'must be an object { data: {...} }' }),
});

/** A validated 2601 message. */
export interface NationalReversal {
  fixmedinsCode: string;
  psnNo: string;
  omsgid: string;
  oinfno: string;
  msgid: string;
}

/** @throws RequestError naming the national fields, in Chinese. */
export function parseNationalReversal(body: unknown): NationalReversal {
  const b = parseNationalBody(reversalBodySchema, '2601', REVERSAL_INTERFACE_NAME, body);
  if (b.msgid === undefined) throw new RequestError(['msgid: 2601 必须有发送方报文ID (msgid)：重发同一冲正时据此识别 (required for 2601)']);
  const d = b.input.data;
  return { fixmedinsCode: b.fixmedins_code, psnNo: d.psn_no, omsgid: d.omsgid, oinfno: d.oinfno, msgid: b.msgid };
}
