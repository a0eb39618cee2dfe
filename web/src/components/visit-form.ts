/**
 * What the calculator (待遇测算) and the clerk console (经办台) share about a visit: the choices
 * (GET /v1/calculations/options), the form's fields, and the person and visit the API is sent.
 */
import { lang } from '../i18n';

/** One choice: its code and its label (Chinese). */
export interface Choice {
  code: string;
  label: string;
}

/** The form's choices, as GET /v1/calculations/options answers them. */
export interface VisitOptions {
  regions: { code: string; name: string; from?: string; to?: string | null }[];
  schemes: (Choice & { categories: Choice[] })[];
  hardshipGroups: Choice[];
  tiers: Choice[];
  grades: { code: number; label: string }[];
  visitTypes: Choice[];
}

/** The fields of the person (参保人) and the visit (就诊) both pages ask for. */
export interface VisitForm {
  region: string;
  scheme: string;
  category: string;
  hardship: string;
  tier: string;
  grade: number;
  contracted: boolean;
  type: string;
  date: string;
  total: string;
  eligible: string;
}

/** A new form: a Luoyang resident adult at a contracted county hospital of grade 2, outpatient. */
export function newVisitForm(date = ''): VisitForm {
  return { region: '410300', scheme: 'resident', category: 'adult', hardship: '', tier: 'county', grade: 2, contracted: true, type: 'outpatient', date, total: '', eligible: '' };
}

/** A choice as shown: its label, and its code too in English. */
export const choiceLabel = (c: Choice) => (lang.value === 'en' ? `${c.label} (${c.code})` : c.label);

/**
 * The person and visit of the form as the API takes them: amounts as typed (the service checks
 * them: yuan with at most two decimals), the day at 10:00 China time.
 */
export function visitBody(form: VisitForm, ids: { person: string; visit: string; institution: string }): { person: Record<string, unknown>; visit: Record<string, unknown> } {
  const person: Record<string, unknown> = { id: ids.person, region: form.region, scheme: form.scheme, category: form.category };
  if (form.hardship) person.hardship = form.hardship;
  const visit: Record<string, unknown> = {
    id: ids.visit,
    time: form.date ? `${form.date}T10:00:00+08:00` : '',
    type: form.type,
    institution: { id: ids.institution, tier: form.tier, grade: form.grade, contracted: form.contracted },
    total: form.total.trim(),
  };
  if (form.eligible.trim()) visit.eligible = form.eligible.trim();
  return { person, visit };
}

/** The split's parts in the order a slip lists them. */
export const SPLIT = ['fundPay', 'criticalIllnessPay', 'assistancePay', 'accountPay', 'cashPay'] as const;
