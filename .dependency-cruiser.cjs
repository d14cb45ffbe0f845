/**
 * The house's dependency direction (README "Layout"), checked by `npm run lint` inside `npm test`:
 *   http -> services -> {compute, nsd, activations, sae, extract, io, store, toy, threads, queue, db}
 *   jobs -> services;  main/server/cli at the top wire things together.
 * Nothing below services imports services, jobs or http; the data rooms do not import each other
 * (they share src/io); compute knows nothing of HTTP, the database or the data rooms.
 */
const BELOW_SERVICES = '^src/(compute|nsd|activations|sae|extract|io|store|toy|threads|queue|db|errors\\.ts|progress\\.ts|config\\.ts|logger\\.ts|version\\.ts|int-columns\\.ts)';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Files that import each other (type-only imports excepted).',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'below-services-stays-below',
      severity: 'error',
      comment: 'The data rooms, compute, the queue and db never reach up into services, jobs or http.',
      from: { path: BELOW_SERVICES },
      to: { path: '^src/(services|jobs|http|cli|server\\.ts|main\\.ts)' },
    },
    {
      name: 'services-not-up',
      severity: 'error',
      comment: 'Services are called by http and jobs; they never import them.',
      from: { path: '^src/services/' },
      to: { path: '^src/(jobs|http|cli)/' },
    },
    {
      name: 'jobs-through-services',
      severity: 'error',
      comment: 'Job handlers call services; they do not import http or run queries themselves.',
      from: { path: '^src/jobs/' },
      to: { path: '^src/(http|cli|db|generated|threads|compute|nsd|activations|sae|extract|io|store)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'http-through-services',
      severity: 'error',
      comment: 'Routes validate, call one service function and shape the answer: no database, jobs or threads.',
      from: { path: '^src/http/', pathNot: '^src/http/error-mapping\\.ts$' },
      to: { path: '^src/(db|generated|jobs|threads|cli)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'http-reads-only-registries-below',
      severity: 'error',
      comment:
        'Below services, routes read only the registries their zod enums and defaults are built from ' +
        '(presets, metrics, SAE settings, the manifest schema, toy defaults, poolings); everything else goes through a service.',
      from: { path: '^src/http/' },
      to: {
        path: '^src/(compute|nsd|activations|sae|extract|io|store|toy|queue)/',
        pathNot:
          '^src/(compute/ridge/presets|compute/metrics/registry|sae/settings|nsd/manifest|toy/experiment|extract/pooling)\\.ts$',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'compute-is-pure',
      severity: 'error',
      comment: 'src/compute takes typed arrays and returns them: no HTTP, database, data files or SAE code.',
      from: { path: '^src/compute/' },
      to: { path: '^src/(http|db|generated|services|jobs|queue|threads|nsd|activations|sae|extract|io|store|toy|cli)/' },
    },
    {
      name: 'data-rooms-apart',
      severity: 'error',
      comment: 'nsd, activations, sae and extract share file formats through src/io, not through each other.',
      from: { path: '^src/(nsd|activations|sae|extract|io)/' },
      to: { path: '^src/(nsd|activations|sae|extract)/' , pathNot: '^src/$1/' },
    },
    {
      name: 'prisma-only-in-db',
      severity: 'error',
      comment: 'The generated Prisma client is reached through src/db.',
      from: { path: '^src/', pathNot: '^src/(db|generated)/' },
      to: { path: '^src/generated/', dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/generated/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.mjs', '.js'] },
  },
};
