import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { executionView } from '../../cli/render/execution-view.js';
import { executionGraph, planGraph, type StageGraph } from '../../cli/render/graph-model.js';
import { renderSvg } from '../../cli/render/graph-svg.js';
import { renderDot, renderMermaid } from '../../cli/render/graph-text.js';
import { API_VERSION, Kinds } from '../../shared/api/index.js';
import { dotProblems, mermaidProblems, xmlProblems } from './graph-checks.js';
import { createExecution, createFailover, failoverStatus, setExecutionStatus, startCluster, type TestCluster } from './helpers.js';

let cluster: TestCluster;

before(async () => {
  cluster = await startCluster();
  await createFailover(cluster.kube, 'failover');
  await createExecution(cluster.kube, 'failover-run', { planRef: 'failover', operationType: 'Execute' });
  await setExecutionStatus(
    cluster.kube,
    'failover-run',
    failoverStatus('Running', { 'check/0/probe': 'Succeeded', 'drain/0/maintenance': 'Running', 'promote/0/fence': 'Failed' }),
  );
});
after(async () => {
  await cluster.dispose();
});

describe('drplan graph of a plan with parallel stages', () => {
  test('text puts independent stages on one level and lists parallel workflows', async () => {
    const run = await cluster.cli(['graph', 'failover']);

    assert.equal(run.code, 0, run.stderr);
    assert.equal(
      run.stdout,
      [
        'DRPlan default/failover',
        '5 stages in 4 levels; stages of one level run at the same time',
        '',
        ' 1  check',
        '      └ default/health',
        ' 2  drain  ← check',
        '      └ default/drain',
        ' 2  promote  ← check',
        '      └ default/database (target=http://db)',
        ' 3  switch  ← drain, promote  (workflows in parallel)',
        '      ├ default/config',
        '      └ default/traffic',
        ' 4  verify  ← switch',
        '      └ default/health',
        '',
      ].join('\n'),
    );
  });

  test('mermaid is a well-formed flowchart with one subgraph per stage and one edge per dependsOn', async () => {
    const run = await cluster.cli(['graph', 'failover', '--format', 'mermaid']);

    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(mermaidProblems(run.stdout), []);
    assert.deepEqual(
      run.stdout
        .split('\n')
        .filter((line) => line.includes('-->'))
        .map((line) => line.trim()),
      ['s0 --> s1', 's0 --> s2', 's1 --> s3', 's2 --> s3', 's3 --> s4'],
    );
    assert.match(run.stdout, /subgraph s3\["switch \(parallel\)"\]\n {4}direction TB\n {4}s3w0\["default\/config"\]\n {4}s3w1\["default\/traffic"\]\n {2}end/);
  });

  test('dot is well formed: balanced braces, quoted labels, every edge between declared nodes', async () => {
    const run = await cluster.cli(['graph', 'plan/failover', '--format', 'dot']);

    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(dotProblems(run.stdout), []);
    assert.equal((run.stdout.match(/ -> /g) ?? []).length, 5);
    assert.match(run.stdout, /s1w0 -> s3w0 \[ltail=cluster_s1, lhead=cluster_s3\];/);
  });

  test('svg is a well-formed document with a box per stage and per workflow and a curve per dependsOn', async () => {
    const run = await cluster.cli(['graph', 'failover', '--format', 'svg']);

    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(xmlProblems(run.stdout), []);
    assert.equal((run.stdout.match(/<g class="stage"/g) ?? []).length, 5);
    assert.equal((run.stdout.match(/<path class="edge"/g) ?? []).length, 5);
    assert.match(run.stdout, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  });

  test('places drain and promote in one column, between check and switch', async () => {
    const run = await cluster.cli(['graph', 'failover', '--format', 'svg']);

    const x = (id: string): number => Number(new RegExp(`<g class="stage" id="${id}">\\n<title>[^<]*</title>\\n<rect x="(\\d+)"`).exec(run.stdout)?.[1]);
    assert.equal(x('s1'), x('s2'));
    assert.ok(x('s0') < x('s1') && x('s2') < x('s3') && x('s3') < x('s4'));
  });
});

describe('drplan graph of an execution', () => {
  test('colours every stage and workflow by its phase', async () => {
    const run = await cluster.cli(['graph', 'execution/failover-run', '--format', 'mermaid']);

    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(mermaidProblems(run.stdout), []);
    assert.match(run.stdout, /\n {2}class s0,s0w0 Succeeded\n/);
    assert.match(run.stdout, /\n {2}class s1,s1w0 Running\n/);
    assert.match(run.stdout, /\n {2}class s2,s2w0 Failed\n/);
    assert.match(run.stdout, /\n {2}class s3,s3w0,s3w1,s4,s4w0 Pending\n/);
  });

  test('finds an execution by its bare name and fills the svg boxes with the phase colours, with a legend', async () => {
    const run = await cluster.cli(['graph', 'failover-run', '--format', 'svg']);

    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(xmlProblems(run.stdout), []);
    assert.match(run.stdout, /<title>DRPlanExecution default\/failover-run \(Execute of DRPlan failover\): Running<\/title>/);
    assert.match(
      run.stdout,
      /<rect x="\d+" y="\d+" width="\d+" height="28" rx="5" fill="#fee2e2" stroke="#dc2626"\/>\n<text x="\d+" y="\d+">default\/database {2}1\/2<\/text>/,
    );
    for (const phase of ['Pending', 'Running', 'Succeeded', 'Failed']) assert.match(run.stdout, new RegExp(`<text x="\\d+" y="\\d+">${phase}</text>`));
  });

  test('an execution that has not started yet shows its plan with every node Pending', async () => {
    await createExecution(cluster.kube, 'failover-new', { planRef: 'failover', operationType: 'Execute' });

    const run = await cluster.cli(['graph', 'failover-new', '--format', 'mermaid']);

    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /\n {2}class s0,s0w0,s1,s1w0,s2,s2w0,s3,s3w0,s3w1,s4,s4w0 Pending\n/);
  });
});

describe('drplan graph refuses', () => {
  test('a name that is neither a plan nor an execution', async () => {
    const run = await cluster.cli(['graph', 'nothing']);

    assert.equal(run.code, 1);
    assert.equal(run.stderr, 'drplan graph: no DRPlan or DRPlanExecution named "nothing" in namespace "default"\n');
  });

  test('an unknown format', async () => {
    const run = await cluster.cli(['graph', 'failover', '--format', 'png']);

    assert.equal(run.code, 2);
    assert.equal(run.stderr, 'drplan graph: --format must be text, mermaid, dot or svg, not "png"\n');
  });

  test('an unknown kind prefix', async () => {
    const run = await cluster.cli(['graph', 'workflow/health']);

    assert.equal(run.code, 2);
    assert.equal(run.stderr, 'drplan graph: "workflow" is not a kind graph draws (use plan/<name> or execution/<name>)\n');
  });
});

describe('the structural checkers', () => {
  test('find what is wrong with broken documents', () => {
    assert.deepEqual(xmlProblems('<svg><g></svg>'), ['</svg> closes <g>', 'unclosed: svg']);
    assert.deepEqual(xmlProblems('<svg><text>a & b</text></svg>'), ['bare "&" in text near "& b"']);
    assert.deepEqual(xmlProblems('<svg width=3/>'), ['malformed attributes in <svg width=3/>']);
    assert.deepEqual(mermaidProblems('flowchart LR\n  subgraph s0["a"]\n  s0 --> s9'), ['1 subgraph(s) not closed', 'edge names undeclared node s9']);
    assert.deepEqual(dotProblems('digraph "g" {\n  a [label="x"];\n  a -> b;\n'), ['unbalanced {}', 'edge names undeclared node b']);
  });
});

// ---- Properties over random plans -----------------------------------------------------------------

/** A plan of `count` stages; stage i may depend on any earlier stage (so the graph is acyclic). */
const planArbitrary = fc
  .array(
    fc.record({
      name: fc.string({ minLength: 1, maxLength: 12 }),
      parallel: fc.boolean(),
      workflows: fc.array(fc.string({ minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 3 }),
      deps: fc.array(fc.nat(), { maxLength: 3 }),
    }),
    { minLength: 1, maxLength: 8 },
  )
  .map((stages) =>
    stages.map((stage, index) => ({
      name: `${index}-${stage.name}`,
      parallel: stage.parallel,
      dependsOn: index === 0 ? [] : [...new Set(stage.deps.map((dep) => `${dep % index}-${stages[dep % index]?.name ?? ''}`))],
      workflows: stage.workflows.map((name) => ({ workflowRef: { name } })),
    })),
  );

const graphOf = (stages: unknown): StageGraph =>
  planGraph({ apiVersion: API_VERSION, kind: Kinds.plan, metadata: { name: 'p<&>"\'', namespace: 'default' }, spec: { stages } });

describe('graphs of random plans', () => {
  test('every stage is on a later level than each stage it depends on', () => {
    fc.assert(
      fc.property(planArbitrary, (stages) => {
        const graph = graphOf(stages);
        return (
          graph.edges.every(({ from, to }) => from.level < to.level) && graph.edges.length === stages.reduce((sum, stage) => sum + stage.dependsOn.length, 0)
        );
      }),
    );
  });

  test('mermaid, dot and svg stay well formed whatever the names hold', () => {
    fc.assert(
      fc.property(planArbitrary, (stages) => {
        const graph = graphOf(stages);
        assert.deepEqual(mermaidProblems(renderMermaid(graph)), []);
        assert.deepEqual(dotProblems(renderDot(graph)), []);
        assert.deepEqual(xmlProblems(renderSvg(graph)), []);
      }),
    );
  });

  test('an execution graph has the phase of each stage of the status', () => {
    const view = executionView(
      {
        apiVersion: API_VERSION,
        kind: Kinds.execution,
        metadata: { name: 'e', namespace: 'default' },
        spec: { planRef: 'p', operationType: 'Execute' },
        status: failoverStatus('Running', { 'check/0/probe': 'Succeeded' }),
      },
      new Date(),
    );

    const graph = executionGraph(view);

    assert.deepEqual(
      graph.stages.map((stage) => [stage.name, stage.phase, stage.level]),
      [
        ['check', 'Succeeded', 0],
        ['drain', 'Pending', 1],
        ['promote', 'Pending', 1],
        ['switch', 'Pending', 2],
        ['verify', 'Pending', 3],
      ],
    );
  });
});
