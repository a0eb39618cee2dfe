/** Resident IDs (GB 11643): check digits computed by hand, birth dates and sex read, numbers masked. */
import { describe, expect, it } from 'vitest';
import { RequestError } from '../request/settle-request.js';
import { ageOn, maskCertno, parseIdentity, readResidentId, residentIdCheck } from './certno.js';

describe('resident ID check digit (ISO 7064 MOD 11-2)', () => {
  it('matches hand computations', () => {
    // 1·7+1·9+0·10+1·5+0·8+5·4+1·2+9·1+4·6+9·3+1·7+2·9+3·10+1·5+0·8+0·4+2·2 = 167; 167 mod 11 = 2 → X (GB 11643's example).
    expect(residentIdCheck('11010519491231002')).toBe('X');
    // 4·7+4·9+0+3·5+0+4·4+1·2+9·1+9·6+0+0+1·9+0+1·5+0+0+1·2 = 176; 176 mod 11 = 0 → 1.
    expect(residentIdCheck('44030419900101001')).toBe('1');
    // 28+9+0+15+0+8+4+0+0+0+0+18+20+45+8+8+6 = 169; 169 mod 11 = 4 → 8.
    expect(residentIdCheck('41030220000229123')).toBe('8');
    // 28+9+0+15+0+8+2+9+54+27+0+27+0+5+32+20+12 = 248; 248 mod 11 = 6 → 6.
    expect(residentIdCheck('41030219990301456')).toBe('6');
  });

  it('reads the birth date and the sex', () => {
    expect(readResidentId('11010519491231002X')).toEqual({ brdy: '1949-12-31', gend: '2' });
    expect(readResidentId('440304199001010011')).toEqual({ brdy: '1990-01-01', gend: '1' });
    // 2000 is a leap year: 2000-02-29 is real; sequence 123: 3 is odd, a man.
    expect(readResidentId('410302200002291238')).toEqual({ brdy: '2000-02-29', gend: '1' });
  });

  it('refuses a mistyped number, a date that does not exist, a date to come, the wrong shape', () => {
    expect(readResidentId('110105194912310021')).toMatch(/check digit/);
    expect(readResidentId('11010519491231002x')).toMatch(/18 characters/);
    expect(readResidentId('4103021999022945')).toMatch(/18 characters/);
    // 1999-02-29 does not exist (whatever the check digit).
    expect(readResidentId('410302199902291230')).toMatch(/not a real date/);
    // Born 2000-02-29, asked on 2000-02-28 (day number 11015).
    expect(readResidentId('410302200002291238', 11_015)).toMatch(/in the future/);
  });
});

describe('identity body', () => {
  it('takes sex and birth date from a resident ID and refuses given ones that disagree, never repeating the number', () => {
    expect(parseIdentity({ psn_cert_type: '01', certno: '11010519491231002X', psn_name: '张三' })).toEqual({
      psnCertType: '01',
      certno: '11010519491231002X',
      psnName: '张三',
      gend: '2',
      brdy: '1949-12-31',
      naty: null,
    });
    try {
      parseIdentity({ psn_cert_type: '01', certno: '110105194912310021', psn_name: '张三' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RequestError);
      const problems = (e as RequestError).problems;
      expect(problems).toEqual(['certno: 1101**********0021: the check digit (GB 11643, ISO 7064 MOD 11-2) does not match: the number is mistyped']);
      expect(problems.join()).not.toContain('110105194912310021');
    }
    expect(() => parseIdentity({ psn_cert_type: '99', certno: 'A1', psn_name: 'x' })).toThrow(RequestError);
    expect(parseIdentity({ psn_cert_type: '99', certno: 'A1', psn_name: 'x', gend: '9' }).brdy).toBeNull();
  });

  it('masks and counts full years', () => {
    expect(maskCertno('11010519491231002X')).toBe('1101**********002X');
    expect(maskCertno('ABCDEFGH')).toBe('********');
    expect(ageOn('1949-12-31', '2024-12-30')).toBe(74);
    expect(ageOn('1949-12-31', '2024-12-31')).toBe(75);
    expect(ageOn('2000-02-29', '2001-02-28')).toBe(0);
  });
});
