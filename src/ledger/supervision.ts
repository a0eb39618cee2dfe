/**
 * The supervision book (监管, 智能监管): the agency's rule settings, institution sites, runs of the
 * rules over the ledger's settlements — a batch over a span (3102 事中/事后 over a period), an
 * incremental run over what was settled since the last run, checks of visits before (3101 事前) and
 * while (3102) they are settled — and the findings (疑点线索) with their status changes.
 *
 * A run reads (supervision-load.ts, one snapshot), judges (supervision-scan.ts), finds each new
 * lead's settlements (supervision-evidence.ts), then writes its findings, its own row and its audit
 * row in ONE transaction: a run that fails writes nothing. A lead whose key is on file is the
 * finding already there: counted as a lead, not a new finding. A run writes at most
 * MAX_RUN_FINDINGS new findings; the rest are counted in `truncated`, not written.
 *
 * Personal data: findings hold person ids; the service audits their reads (this book does not).
 */
import type { LedgerDb } from './connect.js';
import { LedgerError } from './errors.js';
import { uuidv7 } from './ids.js';
import { InstitutionSites } from './institution-sites.js';
import type { MonitoringSettings } from './monitoring-settings.js';
import { RULES } from '../monitoring/catalogue.js';
import type { Lead, PeerStats, RunContext } from '../monitoring/types.js';
import { checkPerson, checkVisits } from './supervision-check.js';
import { FindingBook, findingRow, idsOfKeys, type FindingRow } from './supervision-findings.js';
import { EMPTY, findingRows, keyOf, personsSettled, runOf, writeRun } from './supervision-runs.js';
import { idList, idParam, loadPersonsSince, loadSpan, type Loaded, type Span } from './supervision-load.js';
import { openCheckReader, openRunReader, type Reader } from './supervision-reader.js';
import { SupervisionRules, type AnyRule, type RuleInForce } from './supervision-rules.js';
import { lookbackStart, scan, visitContext } from './supervision-scan.js';
import { benefitVisitTypes, visitTypeSql } from './supervision-visit-types.js';
import type { PolicySet } from '../policy/registry.js';
import type {
  CheckLead,
  CheckVisit,
  Finding,
  FindingCount,
  FindingQuery,
  FindingStatusChange,
  RuleSettingInput,
  RuleView,
  RunSummary,
  Site,
  SupervisionBookApi,
} from './supervision-types.js';
import type { Actor } from './types.js';

/** The most new findings one run writes (about 200 MB of evidence at most); beyond it, `truncated`. */
export const MAX_RUN_FINDINGS = 200_000;
/**
 * An incremental run ends this long before now: a settlement takes its time (created_at) before
 * its transaction commits, so one committed a moment after a run read could carry a time before
 * the run's end; 5 s is far longer than a settle's transaction takes.
 */
export const SETTLE_LAG_MS = 5_000;
/** At most this many runs a page returns. */
export const MAX_RUNS_PAGE = 1000;

export interface SupervisionOptions {
  /** The rules the book knows (default: the catalogue's RULES); tests give their own. */
  rules?: readonly AnyRule[];
  /** The policies settlements were settled under: their benefits say most settlements' visit types (supervision-visit-types.ts). */
  policies?: PolicySet;
}

type RunKind = RunSummary['kind'];

/** Keys a statement looks up. */
const KEY_CHUNK = 5_000;

/** The keys of `keys` that findings on file have (in the run's snapshot; a run writing them meanwhile is met by ON CONFLICT). */
async function keysOnFile(reader: Reader, keys: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < keys.length; i += KEY_CHUNK) {
    for (const r of await reader.all(`select key from findings where key in (${idList(reader)})`, [idParam(reader, keys.slice(i, i + KEY_CHUNK))])) out.add(String(r[0]));
  }
  return out;
}

function checkSpan(span: { from: number; to: number }): void {
  if (!Number.isSafeInteger(span?.from) || !Number.isSafeInteger(span?.to) || span.from < 0) throw new LedgerError('INVALID_REQUEST', 'from, to: epoch milliseconds');
  if (span.from >= span.to) throw new LedgerError('INVALID_REQUEST', `from: before to (${span.from} is not before ${span.to})`);
}

export class SupervisionBook implements SupervisionBookApi {
  private readonly ruleBook: SupervisionRules;
  private readonly siteBook: InstitutionSites;
  private readonly findingBook: FindingBook;
  private checkReader: ReturnType<typeof openCheckReader> | undefined;
  private peersCache: { id: string; peers: PeerStats } | undefined;
  private typeSql: string | undefined;

  constructor(
    private readonly store: LedgerDb,
    settings: MonitoringSettings,
    private readonly now: () => number = Date.now,
    private readonly options: SupervisionOptions = {},
  ) {
    this.ruleBook = new SupervisionRules(store.db, settings, options.rules ?? RULES);
    this.siteBook = new InstitutionSites(store.db, now);
    this.findingBook = new FindingBook(store.db, (id) => this.ruleBook.byId(id), now);
  }

  rules(): Promise<RuleView[]> {
    return this.ruleBook.views();
  }

  setRule(ruleId: string, input: RuleSettingInput, actor: Actor): Promise<RuleView> {
    return this.ruleBook.set(ruleId, input, actor);
  }

  sites(limit: number, offset: number): Promise<{ items: Site[]; total: number }> {
    return this.siteBook.list(limit, offset);
  }

  async setSite(site: Site, actor: Actor): Promise<Site> {
    return (await this.siteBook.set(site, actor)).site;
  }

  /** A batch over settlement times [from, to); `to` is brought back to now − SETTLE_LAG_MS when later (the span covered says so). */
  async run(span: { from: number; to: number }, actor: Actor): Promise<RunSummary> {
    checkSpan(span);
    const startedAt = this.now();
    const covered: Span = { from: span.from, to: Math.max(span.from, Math.min(span.to, startedAt - SETTLE_LAG_MS)) };
    const inForce = await this.ruleBook.inForce();
    const runnable = inForce.filter((r) => r.notRun === undefined);
    const notRun = inForce.filter((r) => r.notRun !== undefined).map((r) => ({ ruleId: r.rule.id, reason: r.notRun as string }));
    const ctx: RunContext = { fromMs: covered.from, toMs: covered.to };
    return this.execute(
      'batch',
      covered,
      actor,
      startedAt,
      runnable,
      notRun,
      (reader) => loadSpan(reader, covered, this.visitType()),
      () => ctx,
      true,
    );
  }

  /**
   * Since the last batch or incremental run's end (or the first settlement), to now − SETTLE_LAG_MS;
   * visit rules only, each given its look-back (supervision-scan.ts). The run is recorded even when
   * nothing was new or no rule could run, and the next starts at its end: a rule turned on later
   * judges the past in a batch.
   */
  async runIncremental(actor: Actor): Promise<RunSummary> {
    const startedAt = this.now();
    const to = startedAt - SETTLE_LAG_MS;
    const last = await this.store.db
      .selectFrom('supervision_runs')
      .select((eb) => eb.fn.max('span_to').as('to'))
      .where('kind', 'in', ['batch', 'incremental'])
      .executeTakeFirst();
    let from = last?.to === null || last?.to === undefined ? undefined : Number(last.to);
    if (from === undefined) {
      const first = await this.store.db
        .selectFrom('settlements')
        .select((eb) => eb.fn.min('created_at').as('t'))
        .executeTakeFirst();
      from = first?.t === null || first?.t === undefined ? to : Number(first.t);
    }
    const span: Span = { from: Math.min(from, to), to };
    const { runnable, notRun, peers } = await this.visitRules(await this.ruleBook.inForce(), 'an incremental run');
    const lookFrom = Math.min(span.from, ...runnable.map((r) => lookbackStart(r.rule, r.params, span.from)));
    return this.execute(
      'incremental',
      span,
      actor,
      startedAt,
      runnable,
      notRun,
      (reader) => loadPersonsSince(reader, span, lookFrom, this.visitType()),
      (r) => visitContext(r, span.from, span.to, peers),
      false,
    );
  }

  /**
   * The visit rules of those in force; a rule that compares with peers runs only when the last batch
   * kept its peer statistics. The others are not run, with the reason.
   */
  private async visitRules(inForce: readonly RuleInForce[], where: string, ruleIds?: readonly string[]) {
    const notRun: RunSummary['notRun'] = [];
    const runnable: RuleInForce[] = [];
    const needPeers = inForce.some((r) => r.notRun === undefined && r.rule.reach === 'visit' && r.rule.peerStats && (!ruleIds || ruleIds.includes(r.rule.id)));
    const peers = needPeers ? await this.latestPeers() : undefined;
    for (const r of inForce) {
      if (ruleIds && !ruleIds.includes(r.rule.id)) continue;
      if (r.notRun !== undefined) notRun.push({ ruleId: r.rule.id, reason: r.notRun });
      else if (r.rule.reach !== 'visit') notRun.push({ ruleId: r.rule.id, reason: `按期间筛查的规则，只在批量筛查中运行 (a period rule: not run in ${where})` });
      else if (r.rule.peerStats && !peers?.[r.rule.id]) notRun.push({ ruleId: r.rule.id, reason: '没有批量筛查保存的同类统计 (no peer statistics: run a batch first)' });
      else runnable.push(r);
    }
    return { runnable, notRun, peers };
  }

  /** The peer statistics the last batch (by the span's end) kept, read again only when there is a newer batch. */
  private async latestPeers(): Promise<PeerStats | undefined> {
    const reader = this.reader();
    const read = (t: string, p: unknown[]) => (reader.allNow ? reader.allNow(t, p) : reader.all(t, p));
    const [latest] = await read(`select id from supervision_runs where kind = 'batch' order by span_to desc, started_at desc limit 1`, []);
    if (!latest) return undefined;
    const id = String(latest[0]);
    if (this.peersCache?.id !== id) {
      const [row] = await read('select summary from supervision_runs where id = ?', [id]);
      const peers = (JSON.parse(String(row?.[0] ?? '{}')) as { peers?: PeerStats }).peers ?? {};
      this.peersCache = { id, peers };
    }
    return this.peersCache.peers;
  }

  /** The SQL of a settlement's visit type, made once from the policies. */
  private visitType(): string {
    this.typeSql ??= visitTypeSql(this.options.policies ? benefitVisitTypes(this.options.policies) : new Map());
    return this.typeSql;
  }

  private reader() {
    this.checkReader ??= openCheckReader(this.store);
    return this.checkReader;
  }

  /**
   * A run: read (one snapshot), judge, find the evidence of the new leads, then write the findings,
   * the run and its audit row in one transaction.
   */
  private async execute(
    kind: RunKind,
    span: Span,
    actor: Actor,
    startedAt: number,
    runnable: readonly RuleInForce[],
    notRun: RunSummary['notRun'],
    load: (reader: Reader) => Promise<Loaded>,
    ctxOf: (r: RuleInForce) => RunContext,
    keepPeers: boolean,
  ): Promise<RunSummary> {
    const runId = `SR-${uuidv7(startedAt)}`;
    const t0 = performance.now();
    const reader = await openRunReader(this.store);
    let rows: FindingRow[] = [];
    let summary: Omit<RunSummary, 'finishedAt'> | undefined;
    let peers: PeerStats = {};
    const timings = { loadMs: 0, evaluateMs: 0, resolveMs: 0, writeMs: 0 };
    try {
      const loaded = runnable.length > 0 && span.from < span.to ? await load(reader) : undefined;
      const data = loaded?.data ?? EMPTY;
      const t1 = performance.now();
      timings.loadMs = Math.round(t1 - t0);
      const found = scan(runnable, data, ctxOf, keepPeers);
      peers = found.peers;
      const t2 = performance.now();
      timings.evaluateMs = Math.round(t2 - t1);
      const distinct = new Map<string, Lead>();
      for (const lead of found.leads) if (!distinct.has(keyOf(lead))) distinct.set(keyOf(lead), lead);
      const onFile = await keysOnFile(reader, [...distinct.keys()]);
      let fresh = [...distinct.values()].filter((l) => !onFile.has(keyOf(l)));
      const truncated = Math.max(0, fresh.length - MAX_RUN_FINDINGS);
      if (truncated > 0) fresh = fresh.slice(0, MAX_RUN_FINDINGS);
      rows = await findingRows(this.now(), reader, runId, runnable, fresh, data, span.from, this.visitType());
      timings.resolveMs = Math.round(performance.now() - t2);
      summary = {
        id: runId,
        kind,
        from: span.from,
        to: span.to,
        startedAt,
        rules: runnable.map((r) => ({ ruleId: r.rule.id, severity: r.view.severity, params: r.view.params ?? {} })),
        notRun,
        settlements: data.settlements.length,
        persons: personsSettled(data),
        leads: found.leads.length,
        newFindings: 0,
        byRule: found.byRule,
        unjudged: found.unjudged,
        ...(truncated > 0 ? { truncated } : {}),
      };
    } finally {
      await reader.close();
    }
    if (!summary) throw new Error('supervision run: no summary');
    const t3 = performance.now();
    const written = await writeRun(this.store, this.now, summary, rows, actor, peers, timings, () => Math.round(performance.now() - t3));
    return written.summary;
  }

  async runs(limit: number, offset: number): Promise<{ items: RunSummary[]; total: number }> {
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_RUNS_PAGE) throw new LedgerError('INVALID_REQUEST', `limit: 1 to ${MAX_RUNS_PAGE}`);
    if (!Number.isInteger(offset) || offset < 0) throw new LedgerError('INVALID_REQUEST', 'offset: 0 or more');
    const rows = await this.store.db.selectFrom('supervision_runs').selectAll().orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit).offset(offset).execute();
    const total = await this.store.db
      .selectFrom('supervision_runs')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .executeTakeFirstOrThrow();
    return { items: rows.map(runOf), total: Number(total.n) };
  }

  async getRun(id: string): Promise<RunSummary | undefined> {
    const row = await this.store.db.selectFrom('supervision_runs').selectAll().where('id', '=', id).executeTakeFirst();
    return row && runOf(row);
  }

  /** 3101: the leads the visits would raise; nothing stored. */
  async check(visits: CheckVisit[], ruleIds?: string[]): Promise<CheckLead[]> {
    return (await this.checked(visits, ruleIds)).leads;
  }

  private async checked(visits: readonly CheckVisit[], ruleIds?: readonly string[]) {
    checkVisits(visits);
    if (ruleIds !== undefined) {
      const unknown = (Array.isArray(ruleIds) ? ruleIds : [ruleIds]).filter((id) => !this.ruleBook.byId(id));
      if (!Array.isArray(ruleIds) || unknown.length > 0) throw new LedgerError('INVALID_REQUEST', `ruleIds: not rules of the catalogue: ${unknown.join(', ')}`);
    }
    const { runnable, notRun } = await this.visitRules(await this.ruleBook.inForce(), 'a check', ruleIds);
    const peers = runnable.some((r) => r.rule.peerStats) ? await this.latestPeers() : undefined;
    const byPerson = new Map<string, CheckVisit[]>();
    for (const v of visits) byPerson.set(v.personId, [...(byPerson.get(v.personId) ?? []), v]);
    const out = { leads: [] as CheckLead[], keys: [] as string[], happened: [] as number[], rows: 0, runnable, notRun };
    if (runnable.length === 0) return out;
    for (const group of byPerson.values()) {
      const found = await checkPerson(this.reader(), runnable, group, peers, this.visitType());
      out.leads.push(...found.leads);
      out.keys.push(...found.keys);
      out.happened.push(...found.happened);
      out.rows += found.rows;
    }
    return out;
  }

  /**
   * 3102: as `check`, and the leads kept as findings of a run of kind in-process (audited), each
   * answered with its finding's id (the finding on file when its key was found before). A check
   * that raises no lead writes nothing.
   */
  async checkInProcess(visits: CheckVisit[], actor: Actor, ruleIds?: string[]): Promise<CheckLead[]> {
    const startedAt = this.now();
    const found = await this.checked(visits, ruleIds);
    // Nothing found, nothing kept: a settle that raises no lead writes no run.
    if (found.leads.length === 0) return [];
    const times = visits.map((v) => v.timeMs);
    const runId = `SR-${uuidv7(startedAt)}`;
    const now = this.now();
    const rows = found.leads.map((l, i) =>
      findingRow({
        key: found.keys[i] as string,
        ruleId: l.ruleId,
        runId,
        personId: l.personId,
        visitId: l.visitId,
        institutionId: l.institutionId,
        amount: l.amount,
        amountComputed: l.amountComputed,
        severity: l.severity,
        behaviour: l.behaviour,
        content: l.content,
        evidence: l.evidence,
        happenedAt: found.happened[i] as number,
        now,
      }),
    );
    const byRule: RunSummary['byRule'] = {};
    for (const r of found.runnable) byRule[r.rule.id] = { leads: found.leads.filter((l) => l.ruleId === r.rule.id).length, newFindings: 0 };
    const summary: Omit<RunSummary, 'finishedAt'> = {
      id: runId,
      kind: 'in-process',
      from: Math.min(...times),
      to: Math.max(...times) + 1,
      startedAt,
      rules: found.runnable.map((r) => ({ ruleId: r.rule.id, severity: r.view.severity, params: r.view.params ?? {} })),
      notRun: found.notRun,
      settlements: found.rows + visits.length,
      persons: new Set(visits.map((v) => v.personId)).size,
      leads: found.leads.length,
      newFindings: 0,
      byRule,
      unjudged: {},
    };
    const timings = { loadMs: 0, evaluateMs: 0, resolveMs: 0, writeMs: 0 };
    const t = performance.now();
    await writeRun(this.store, this.now, summary, rows, actor, {}, timings, () => Math.round(performance.now() - t));
    const ids = await idsOfKeys(this.store.db, found.keys);
    return found.leads.map((l, i) => ({ ...l, findingId: ids.get(found.keys[i] as string) as string }));
  }

  findings(q: FindingQuery): Promise<{ items: Finding[]; total: number }> {
    return this.findingBook.list(q);
  }

  finding(id: string): Promise<Finding | undefined> {
    return this.findingBook.get(id);
  }

  statusHistory(id: string): Promise<FindingStatusChange[]> {
    return this.findingBook.history(id);
  }

  setStatus(id: string, change: { status: Finding['status']; reason: string }, actor: Actor): Promise<Finding> {
    return this.findingBook.setStatus(id, change, actor);
  }

  counts(q: Omit<FindingQuery, 'limit' | 'offset' | 'personId'>): Promise<FindingCount[]> {
    return this.findingBook.counts(q);
  }
}
