/**
 * Reading a national answer in a test: its 数值型 fields must come as JSON numbers written with
 * their decimals (src/national/numbers.ts, the service's default); they are read back as the same
 * digits in text (`300.00` → "300.00"), so a test compares amounts exactly, never as floats.
 */
import { numericFieldsAsText, textInOutput } from '../../src/national/numbers.js';

export type NationalJson = any;

/** The answer's JSON with its numeric output fields as text; throws when one came as a string. */
export function nationalJson(payload: string): NationalJson {
  const asText = numericFieldsAsText(payload);
  if (asText.length > 0) throw new Error(`numeric fields answered as strings, not numbers: ${asText.join(', ')}`);
  return JSON.parse(textInOutput(payload));
}
