/**
 * The house's walls (issue 12), checked by `npm run deps` (dependency-cruiser over src/):
 *
 *   domain.ts, errors.ts the shared vocabulary and the one error type; anyone may import them
 *   money, calendar      import nothing else in src/
 *   policy               money, calendar, domain
 *   engine               money, calendar, policy, domain
 *   ledger               the only importer of kysely and of the ledger's schema
 *   models, request      no ledger, service, CLI or simulation
 *   client               only src/national (the messages); no ledger, service, engine
 *   ledger               no service, CLI, simulation or analysis
 *   api, cli             never import each other
 *   everything           no import circles
 *
 * Type-only imports count: a wall that types may cross is not a wall.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import circle: the modules cannot be understood, tested or moved one at a time.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'money-calendar-stand-alone',
      severity: 'error',
      comment: 'src/money and src/calendar are the floor: each imports nothing else in src/ (src/domain.ts and src/errors.ts allowed).',
      from: { path: '^src/(money|calendar)/' },
      to: { path: '^src/', pathNot: ['^src/$1/', '^src/(domain|errors)\\.ts$'] },
    },
    {
      name: 'metrics-stand-alone',
      severity: 'error',
      comment: 'src/metrics (the metrics registry, pure) imports nothing else in src/: the ledger keeps its figures in it without knowing the service.',
      from: { path: '^src/metrics/' },
      to: { path: '^src/', pathNot: '^src/metrics/' },
    },
    {
      name: 'policy-below-engine',
      severity: 'error',
      comment: 'src/policy imports only src/money, src/calendar, src/domain.ts and src/errors.ts.',
      from: { path: '^src/policy/' },
      to: { path: '^src/', pathNot: ['^src/(policy|money|calendar)/', '^src/(domain|errors)\\.ts$'] },
    },
    {
      name: 'engine-pure',
      severity: 'error',
      comment: 'src/engine imports only src/money, src/calendar, src/policy, src/domain.ts and src/errors.ts: no ledger, service, CLI or I/O above it.',
      from: { path: '^src/engine/' },
      to: { path: '^src/', pathNot: ['^src/(engine|policy|money|calendar)/', '^src/(domain|errors)\\.ts$'] },
    },
    {
      name: 'models-below-ledger',
      severity: 'error',
      comment: 'The pure models and the boundary (account, contribution, enrollment, maternity, request, national, catalogue, clearing, monitoring, export) know no store, service, CLI or simulation.',
      from: { path: '^src/(account|contribution|enrollment|maternity|request|national|catalogue|clearing|monitoring|export)/' },
      to: { path: '^src/(ledger|api|cli|sim|analysis)/' },
    },
    {
      name: 'client-stands-alone',
      severity: 'error',
      comment: 'src/client is what a hospital system imports: it speaks HTTP and knows the messages (src/national types), never the ledger, service, CLI, engine or policy.',
      from: { path: '^src/client/' },
      to: { path: '^src/', pathNot: ['^src/client/', '^src/national/', '^src/(domain|errors)\\.ts$'] },
    },
    {
      name: 'ledger-below-service',
      severity: 'error',
      comment: 'The ledger serves the service and the CLI; it imports neither, nor the simulation or the analyses.',
      from: { path: '^src/ledger/' },
      to: { path: '^src/(api|cli|sim|analysis)/' },
    },
    {
      name: 'sim-analysis-below-front',
      severity: 'error',
      comment: 'The simulation and the policy analyses are used by the service and the CLI, never the reverse.',
      from: { path: '^src/(sim|analysis)/' },
      to: { path: '^src/(api|cli)/' },
    },
    {
      name: 'kysely-only-in-ledger',
      severity: 'error',
      comment: 'Only src/ledger talks SQL: kysely is imported nowhere else.',
      from: { path: '^src/', pathNot: '^src/ledger/' },
      to: { path: '(^|/)node_modules/kysely/' },
    },
    {
      name: 'ledger-schema-only-in-ledger',
      severity: 'error',
      comment: "The ledger's tables (src/ledger/schema.ts) are the ledger's own: others go through its functions.",
      from: { path: '^src/', pathNot: '^src/ledger/' },
      to: { path: '^src/ledger/schema\\.ts$' },
    },
    {
      name: 'api-not-cli',
      severity: 'error',
      comment: 'The service does not import the CLI.',
      from: { path: '^src/api/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'cli-not-api',
      severity: 'error',
      comment: 'The CLI does not import the service; whatever both need lives below them (ledger, request, policy).',
      from: { path: '^src/cli/' },
      to: { path: '^src/api/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to nothing.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.test.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js', '.d.ts'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
