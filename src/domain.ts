/**
 * The words of the domain, shared by policy files, requests and the engine.
 */

/** 居民医保 (residents, insutype 390) or 职工医保 (employees, insutype 310). */
export const SCHEMES = ['resident', 'employee'] as const;
export type Scheme = (typeof SCHEMES)[number];

/**
 * Who the person is within their scheme. Residents: adult, child, student (大学生), newborn (新生儿).
 * Employees: active (在职) or retired (退休).
 */
export const RESIDENT_CATEGORIES = ['adult', 'child', 'student', 'newborn'] as const;
export const EMPLOYEE_CATEGORIES = ['active', 'retired'] as const;
export const CATEGORIES = [...RESIDENT_CATEGORIES, ...EMPLOYEE_CATEGORIES] as const;
export type Category = (typeof CATEGORIES)[number];
export type ResidentCategory = (typeof RESIDENT_CATEGORIES)[number];
export type EmployeeCategory = (typeof EMPLOYEE_CATEGORIES)[number];

/** Which categories belong to which scheme: the one table (requests, policy files and the engine read it). */
export const SCHEME_CATEGORIES: Readonly<Record<Scheme, readonly Category[]>> = {
  resident: RESIDENT_CATEGORIES,
  employee: EMPLOYEE_CATEGORIES,
};

/** The scheme a category belongs to. */
export function schemeOf(category: Category): Scheme {
  return (EMPLOYEE_CATEGORIES as readonly Category[]).includes(category) ? 'employee' : 'resident';
}

/**
 * Hardship groups (困难群众): 特困人员 tekun, 低保对象 dibao, 返贫致贫人口 fanpin, 纳入监测范围的农村易返贫致贫人口
 * monitored, 建档立卡贫困人口 jiandang, 农村特困人员 rural-tekun, other.
 */
export const HARDSHIP_GROUPS = ['tekun', 'dibao', 'fanpin', 'monitored', 'jiandang', 'rural-tekun', 'other'] as const;
export type Hardship = (typeof HARDSHIP_GROUPS)[number];

/**
 * How an employee is insured (职工医保): `employer`, an employee of an employer (用人单位在职职工);
 * `flexible`, a flexible worker insured as an employee (以在职职工身份参加职工基本医疗保险的无雇工的个体工商户、
 * 非全日制从业人员以及其他灵活就业人员, 洛医保〔2023〕63号 四(一)).
 */
export const EMPLOYMENTS = ['employer', 'flexible'] as const;
export type Employment = (typeof EMPLOYMENTS)[number];

export const EMPLOYMENT_LABELS: Record<Employment, string> = {
  employer: '用人单位在职职工',
  flexible: '以在职职工身份参保的灵活就业人员',
};

/** 享受西部大开发政策的县 (western; in Henan 比照西部开发政策县) or the other counties (ordinary). */
export const COUNTY_TYPES = ['western', 'ordinary'] as const;
export type CountyType = (typeof COUNTY_TYPES)[number];

export const COUNTY_TYPE_LABELS: Record<CountyType, string> = {
  western: '享受西部大开发政策的县',
  ordinary: '其他县（市、区）',
};

export const HARDSHIP_LABELS: Record<Hardship, string> = {
  tekun: '特困人员',
  dibao: '低保对象',
  fanpin: '返贫致贫人口',
  monitored: '纳入监测范围的农村易返贫致贫人口',
  jiandang: '建档立卡贫困人口',
  'rural-tekun': '农村特困人员',
  other: '其他困难群众',
};

/**
 * What kind of visit is settled: ordinary outpatient (普通门诊), hypertension and diabetes drugs (两病),
 * natural birth (自然分娩), caesarean (剖宫产), prenatal checks (围产保健 / 产前检查), an inpatient stay (住院),
 * settled at discharge.
 */
export const VISIT_TYPES = ['outpatient', 'two-diseases', 'birth-natural', 'birth-cesarean', 'prenatal', 'inpatient'] as const;
export type VisitType = (typeof VISIT_TYPES)[number];

/** Administrative tier of an institution: 基层 primary, 县级 county, 市级 city, 省级 province. */
export const TIERS = ['primary', 'county', 'city', 'province'] as const;
export type Tier = (typeof TIERS)[number];

/** Hospital grade: 0 ungraded (未定级), 1 一级, 2 二级, 3 三级. */
export const GRADES = [0, 1, 2, 3] as const;
export type Grade = (typeof GRADES)[number];

export const TIER_LABELS: Record<Tier, string> = {
  primary: '基层',
  county: '县级',
  city: '市级',
  province: '省级',
};

export const CATEGORY_LABELS: Record<Category, string> = {
  adult: '成年居民',
  child: '少年儿童',
  student: '大学生',
  newborn: '新生儿',
  active: '在职职工',
  retired: '退休人员',
};

export const VISIT_TYPE_LABELS: Record<VisitType, string> = {
  outpatient: '普通门诊',
  'two-diseases': '两病门诊用药',
  'birth-natural': '自然分娩',
  'birth-cesarean': '剖宫产',
  prenatal: '围产保健（产前检查）',
  inpatient: '住院',
};
