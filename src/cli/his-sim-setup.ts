/**
 * `yibao his-sim --setup AGENCY_KEY`: the centre's side of the simulated day, made with the
 * agency's key before the hospital's day starts (issue 15): the district and paying centre the
 * institution is cleared by (涧西区 410305, 洛阳市医保中心 410300: the clearing examples of
 * docs/service.md), the institution's clearing record, and the day's persons (参保人) in the
 * person registry with their identity (身份信息: 证件号码 a valid resident ID, so that 1101 finds
 * them). Every call is idempotent (PUT): running the sim twice against one service is fine.
 *
 * Without --setup the sim expects all of this to exist already (docs/national.md, "The acceptance
 * kit").
 */

/** A simulated person (参保人): id, name and certificate number. */
export interface SimPerson {
  psnNo: string;
  name: string;
  certno: string;
  gend: '1' | '2';
  brdy: string;
}

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';

/** 居民身份证 check digit (GB 11643-1999) of the first 17 digits. */
export function residentIdCheck(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (WEIGHTS[i] as number);
  return CHECK[sum % 11] as string;
}

const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴'];
const GIVEN = ['伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋'];

/** The day's persons: SIM{seed}-{n}, resident adults of Luoyang (410300), IDs of 涧西区 410305. */
export function simPersons(count: number, seed: number): SimPerson[] {
  return Array.from({ length: count }, (_, i) => {
    const year = 1960 + ((seed + i * 7) % 40);
    const month = 1 + ((seed + i) % 12);
    const day = 1 + ((seed * 3 + i) % 28);
    const brdy = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
    const order = String(((seed % 100) * 10 + i) % 1000).padStart(3, '0');
    const first17 = `410305${brdy.replace(/-/g, '')}${order}`;
    const gend: '1' | '2' = Number(order) % 2 === 1 ? '1' : '2';
    return {
      psnNo: `SIM${seed}-${i + 1}`,
      name: `${SURNAMES[(seed + i) % 10]}${GIVEN[(seed * 7 + i * 3) % 10]}`,
      certno: first17 + residentIdCheck(first17),
      gend,
      brdy,
    };
  });
}

export interface SetupResult {
  /** What was set up, one line each (Chinese first). */
  lines: string[];
  /** Steps the service does not offer (404): the identity route before issue 15's session part. */
  unavailable: string[];
  problems: string[];
}

async function send(method: 'PUT' | 'POST', baseUrl: string, key: string, path: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${baseUrl.replace(/\/+$/, '')}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  return { status: res.status, body: parsed };
}

/** The registry entries the day needs, made with the agency's key. */
export async function setUpCentre(baseUrl: string, agencyKey: string, institution: string, persons: SimPerson[], year: number): Promise<SetupResult> {
  const out: SetupResult = { lines: [], unavailable: [], problems: [] };
  let unreachable = false;
  const step = async (label: string, path: string, body: unknown, optional = false, method: 'PUT' | 'POST' = 'PUT') => {
    if (unreachable) return;
    let r: { status: number; body: unknown };
    try {
      r = await send(method, baseUrl, agencyKey, path, body);
    } catch (e) {
      unreachable = true;
      return void out.problems.push(`${label}：无法连接 / cannot reach ${baseUrl}: ${(e as Error).message}`);
    }
    if (r.status < 300) return void out.lines.push(`${label}：已登记 (${r.status})`);
    if (optional && r.status === 404) return void out.unavailable.push(`${label}：服务未提供 ${path} (404)`);
    out.problems.push(`${label}：${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  };
  const post = (label: string, path: string, body: unknown) => step(label, path, body, false, 'POST');
  await step('县区 涧西区 410305', '/v1/clearing/districts/410305', { name: '涧西区', region: '410300', level: 'urban' });
  await step('医保中心 410300', '/v1/clearing/centres/410300', { name: '洛阳市医保中心', level: 'city', region: '410300' });
  await step(`定点医药机构 ${institution}`, `/v1/clearing/institutions/${encodeURIComponent(institution)}`, { district: '410305' });
  for (const p of persons) {
    const id = encodeURIComponent(p.psnNo);
    await step(`参保人 ${p.psnNo}`, `/v1/persons/${id}`, { region: '410300', scheme: 'resident', category: 'adult', district: '410305' });
    // This year's contribution, paid in the concentrated period before it (no waiting period).
    // 380.00 yuan is the simulated person's payment as recorded, not a policy figure.
    await post(`参保缴费 ${p.psnNo} ${year} 年度`, `/v1/persons/${id}/enrollments`, {
      requestId: `${p.psnNo}-${year}`,
      person: { id: p.psnNo, region: '410300', scheme: 'resident', category: 'adult' },
      coverageYear: year,
      paidOn: `${year - 1}-11-01`,
      amount: '380.00',
      payer: 'self',
    });
    await step(`身份信息 ${p.psnNo}`, `/v1/persons/${encodeURIComponent(p.psnNo)}/identity`, { psn_cert_type: '01', certno: p.certno, psn_name: p.name, naty: '01' }, true);
  }
  return out;
}
